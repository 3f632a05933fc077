/**
 * Sharding at the emulator: GET /gateway/bot, IDENTIFY with `shard: [id, count]`, guilds on shard
 * `(guild_id >> 22) % count`, DMs on shard 0, close 4010 / 4011, identify concurrency per bucket, and
 * a real discord.js client with several shards.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, Events, GatewayIntentBits } from 'discord.js';
import { WebSocket } from 'ws';
import { DiscordEmulator, GatewayCloseCodes, GatewayOp, Intents } from '../src';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const INTENTS = Intents.GUILDS | Intents.GUILD_MESSAGES | Intents.DIRECT_MESSAGES | Intents.MESSAGE_CONTENT;

/** A raw gateway connection: every frame it receives, and how it closed. */
interface Raw {
  ws: WebSocket;
  frames: Json[];
  closed: Promise<number>;
  dispatches(t: string): Json[];
}

async function connect(emu: DiscordEmulator): Promise<Raw> {
  const ws = new WebSocket(`${emu.gatewayUrl}?v=10&encoding=json`);
  const frames: Json[] = [];
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  await once(ws, 'open');
  return { ws, frames, closed, dispatches: (t) => frames.filter((f) => f.op === 0 && f.t === t).map((f) => f.d) };
}

async function identify(emu: DiscordEmulator, shard?: [number, number]): Promise<Raw> {
  const c = await connect(emu);
  c.ws.send(JSON.stringify({ op: GatewayOp.IDENTIFY, d: { token: emu.token, intents: INTENTS, properties: {}, ...(shard ? { shard } : {}) } }));
  return c;
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

let emu: DiscordEmulator | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await emu?.stop();
  emu = undefined;
});

/** A world of `guilds` guilds, each with a channel and a member, and a user with a DM channel. */
function world(e: DiscordEmulator, guilds: number) {
  const user = e.createUser({ username: 'ada' });
  const gs = Array.from({ length: guilds }, (_, i) => {
    const g = e.createGuild({ name: `g${i}` });
    const channel = e.createChannel({ guildId: g.id, name: 'general' });
    e.addMember(g.id, user.id);
    return { guild: g, channel };
  });
  return { user, guilds: gs, dm: e.createDmChannel(user.id) };
}

describe('the local Discord serves several shards', () => {
  it('GET /gateway/bot gives the configured shard count and session_start_limit with max_concurrency', async () => {
    emu = await DiscordEmulator.start({ shards: 4, maxConcurrency: 2 });
    const res = await fetch(`${emu.apiUrl}/v10/gateway/bot`, { headers: { authorization: `Bot ${emu.token}` } });
    const body = (await res.json()) as Json;
    expect(body.shards).toBe(4);
    expect(body.session_start_limit).toEqual({ total: 1000, remaining: 1000, reset_after: expect.any(Number), max_concurrency: 2 });
  });

  it("each guild's events go only to shard (guild_id >> 22) % count; DMs only to shard 0", async () => {
    emu = await DiscordEmulator.start({ shards: 2, maxConcurrency: 2 });
    const w = world(emu, 12);
    const shards = [await identify(emu, [0, 2]), await identify(emu, [1, 2])];
    sockets.push(...shards.map((s) => s.ws));
    await until(() => shards.every((s) => s.dispatches('READY').length === 1));
    for (const [id, s] of shards.entries()) {
      const mine = w.guilds.filter((g) => Number((BigInt(g.guild.id) >> 22n) % 2n) === id).map((g) => g.guild.id);
      expect(mine.length).toBeGreaterThan(0);
      expect(s.dispatches('READY')[0].shard).toEqual([id, 2]);
      expect(
        s
          .dispatches('READY')[0]
          .guilds.map((g: Json) => g.id)
          .sort(),
      ).toEqual([...mine].sort());
      expect(
        s
          .dispatches('GUILD_CREATE')
          .map((g) => g.id)
          .sort(),
      ).toEqual([...mine].sort());
    }
    for (const g of w.guilds) emu.sendMessage({ channelId: g.channel.id, authorId: w.user.id, content: `in ${g.guild.id}` });
    emu.sendMessage({ channelId: w.dm.id, authorId: w.user.id, content: 'a DM' });
    await until(() => shards[0].dispatches('MESSAGE_CREATE').length + shards[1].dispatches('MESSAGE_CREATE').length === 13);
    for (const [id, s] of shards.entries()) {
      const got = s.dispatches('MESSAGE_CREATE');
      for (const m of got) if (m.guild_id) expect(emu.shardOf(m.guild_id, 2)).toBe(id);
      expect(got.some((m) => m.content === 'a DM')).toBe(id === 0);
    }
    // A guild the bot joins while connected: its GUILD_CREATE goes to its shard only.
    const late = emu.createGuild({ name: 'late' });
    const shard = emu.shardOf(late.id, 2);
    await until(() => shards[shard].dispatches('GUILD_CREATE').some((g) => g.id === late.id));
    expect(shards[1 - shard].dispatches('GUILD_CREATE').some((g) => g.id === late.id)).toBe(false);
    // Presence updates are recorded with the shard that sent them.
    shards[1].ws.send(JSON.stringify({ op: GatewayOp.PRESENCE_UPDATE, d: { status: 'idle', activities: [], since: null, afk: false } }));
    expect((await emu.waitForPresence((p) => p.status === 'idle')).shard).toEqual([1, 2]);
  });

  it('an invalid shard closes with 4010; fewer shards than required closes with 4011 (sharding required)', async () => {
    emu = await DiscordEmulator.start({ shards: 4, requiredShards: 2, maxConcurrency: 16 });
    for (const shard of [
      [2, 2],
      [-1, 4],
      [0, 0],
    ] as [number, number][]) {
      const c = await identify(emu, shard);
      expect(await c.closed).toBe(GatewayCloseCodes.INVALID_SHARD);
    }
    const unsharded = await identify(emu);
    expect(await unsharded.closed).toBe(GatewayCloseCodes.SHARDING_REQUIRED);
    const one = await identify(emu, [0, 1]);
    expect(await one.closed).toBe(GatewayCloseCodes.SHARDING_REQUIRED);
    expect(emu.identifies().map((i) => i.outcome)).toEqual(['invalid_shard', 'invalid_shard', 'invalid_shard', 'sharding_required', 'sharding_required']);
    const ok = await identify(emu, [1, 2]);
    sockets.push(ok.ws);
    await until(() => ok.dispatches('READY').length === 1);
  });

  it('identify concurrency: one IDENTIFY per 5 s per bucket (id % max_concurrency); one too soon gets op 9, not resumable', async () => {
    emu = await DiscordEmulator.start({ shards: 4, maxConcurrency: 2, checkIdentifyConcurrency: true });
    // Shards 0 and 1 are in different buckets: both let in at once. Shard 2 shares shard 0's bucket.
    const a = await identify(emu, [0, 4]);
    const b = await identify(emu, [1, 4]);
    const c = await identify(emu, [2, 4]);
    sockets.push(a.ws, b.ws, c.ws);
    await until(() => a.dispatches('READY').length === 1 && b.dispatches('READY').length === 1);
    await until(() => c.frames.some((f) => f.op === GatewayOp.INVALID_SESSION));
    expect(c.frames.find((f) => f.op === GatewayOp.INVALID_SESSION)!.d).toBe(false);
    expect(c.dispatches('READY')).toEqual([]);
    const log = emu.identifies();
    expect(log.map((i) => [i.shard[0], i.outcome])).toEqual([
      [0, 'ready'],
      [1, 'ready'],
      [2, 'too_fast'],
    ]);
    expect(log.every((i) => typeof i.at === 'number')).toBe(true);
  });

  it('a per-shard guild limit: GET /gateway/bot recommends enough shards, an IDENTIFY without sharding (or with too few) closes with 4011', async () => {
    emu = await DiscordEmulator.start({ guildsPerShard: 2, maxConcurrency: 16, sessionStarts: { total: 1000, remaining: 7 } });
    world(emu, 5);
    const res = await fetch(`${emu.apiUrl}/v10/gateway/bot`, { headers: { authorization: `Bot ${emu.token}` } });
    const body = (await res.json()) as Json;
    expect(body.shards).toBe(3);
    expect(body.session_start_limit).toMatchObject({ total: 1000, remaining: 7 });
    expect(await (await identify(emu)).closed).toBe(GatewayCloseCodes.SHARDING_REQUIRED);
    expect(await (await identify(emu, [0, 2])).closed).toBe(GatewayCloseCodes.SHARDING_REQUIRED);
    const ok = await identify(emu, [2, 3]);
    sockets.push(ok.ws);
    await until(() => ok.dispatches('READY').length === 1);
    expect(emu.identifies().map((i) => i.outcome)).toEqual(['sharding_required', 'sharding_required', 'ready']);
    const after = (await (await fetch(`${emu.apiUrl}/v10/gateway/bot`, { headers: { authorization: `Bot ${emu.token}` } })).json()) as Json;
    expect(after.session_start_limit.remaining).toBe(6);
  });

  it("checkIdentifyConcurrency 'record': an IDENTIFY too soon in its bucket is let in and recorded as a violation", async () => {
    emu = await DiscordEmulator.start({ shards: 4, maxConcurrency: 2, checkIdentifyConcurrency: 'record' });
    const a = await identify(emu, [0, 4]);
    const b = await identify(emu, [1, 4]);
    sockets.push(a.ws, b.ws);
    await until(() => a.dispatches('READY').length === 1 && b.dispatches('READY').length === 1);
    expect(emu.violations()).toEqual([]);
    const c = await identify(emu, [2, 4]);
    sockets.push(c.ws);
    await until(() => c.dispatches('READY').length === 1);
    expect(emu.identifies().map((i) => i.outcome)).toEqual(['ready', 'ready', 'ready']);
    expect(emu.violations()).toEqual([expect.objectContaining({ kind: 'gateway', detail: expect.stringMatching(/^IDENTIFY of shard 2 \d+ ms after the last one in bucket 0/) })]);
  });

  it('without the check, IDENTIFYs are still recorded (for tests) and let in', async () => {
    emu = await DiscordEmulator.start({ shards: 2 });
    const a = await identify(emu, [0, 2]);
    const b = await identify(emu, [0, 2]);
    sockets.push(a.ws, b.ws);
    await until(() => b.dispatches('READY').length === 1);
    expect(emu.identifies().map((i) => i.outcome)).toEqual(['ready', 'ready']);
  });

  it('a discord.js client with 2 shards: both ready, identify paced 5 s apart in one bucket, each guild on its shard', async () => {
    emu = await DiscordEmulator.start({ shards: 2, checkIdentifyConcurrency: true });
    const w = world(emu, 6);
    const client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages], rest: { api: emu.apiUrl }, shards: 'auto' });
    try {
      const ready = once(client, Events.ClientReady);
      await client.login(emu.token);
      await ready;
      expect(client.ws.shards.size).toBe(2);
      expect(client.guilds.cache.size).toBe(6);
      for (const g of w.guilds) expect(client.guilds.cache.get(g.guild.id)!.shardId).toBe(emu.shardOf(g.guild.id, 2));
      const log = emu.identifies();
      expect(log.map((i) => i.outcome)).toEqual(['ready', 'ready']);
      expect(log[1].at - log[0].at).toBeGreaterThanOrEqual(5_000);
    } finally {
      await client.destroy();
    }
  }, 20_000);
});
