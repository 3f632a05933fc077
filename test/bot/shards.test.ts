/**
 * The shard Proof: 4 shards in 2 processes (as 2 machines: SHARD_IDS 0-1 and 2-3) on one PostgreSQL
 * database, guilds spread over every shard, through the local Discord and real discord.js.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiscordEmulator } from '@chronicle/discord-emulator';
import { Database } from '../../src/database/database';
import { DRIVERS, scratchDatabase } from '../helpers/databases';
import { externalExec } from '../helpers/external';
import { until } from '../helpers/harness';
import { runBot, type Run } from '../helpers/process';

const SHARDS = 4;
const MAX_CONCURRENCY = 2;
const PER_SHARD = 3;

const pg = DRIVERS.find((d) => d.driver === 'postgres')!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function recorded(scratch: { config: unknown; url: string }): Promise<string[]> {
  const rows = (await externalExec(scratch as never, 'SELECT discord_message_id AS id FROM messages')) as { id: string }[];
  return rows.map((r) => String(r.id));
}

/** IDENTIFYs let in, per bucket, at least 5 s apart. */
function expectPaced(emu: DiscordEmulator): void {
  const log = emu.identifies().filter((i) => i.outcome === 'ready');
  for (let bucket = 0; bucket < MAX_CONCURRENCY; bucket++) {
    const times = log.filter((i) => i.shard[0] % MAX_CONCURRENCY === bucket).map((i) => i.at);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1], `bucket ${bucket}: IDENTIFY ${i} after ${i - 1}`).toBeGreaterThanOrEqual(5_000);
  }
}

describe('shards across processes on one PostgreSQL', () => {
  it.skipIf(pg.skip)(
    '4 shards in 2 processes: each message once, a bot_status UPDATE on every shard, IDENTIFY paced per bucket, a killed process comes back and the other never drops',
    async () => {
      const emu = await DiscordEmulator.start({ shards: SHARDS, maxConcurrency: MAX_CONCURRENCY, checkIdentifyConcurrency: 'record' });
      const scratch = await scratchDatabase('postgres', 'shards');
      const dirs = [0, 1].map((i) => mkdtempSync(path.join(os.tmpdir(), `chronicle-shard${i}-`)));
      const runs: Run[] = [];
      try {
        // Guilds on every shard ((id >> 22) % 4 is the id's millisecond mod 4): made until each shard has PER_SHARD.
        const user = emu.createUser({ username: 'ada' });
        const perShard = new Map<number, { guild: string; channel: string }[]>(Array.from({ length: SHARDS }, (_, i) => [i, []]));
        while ([...perShard.values()].some((l) => l.length < PER_SHARD)) {
          await sleep(1);
          const g = emu.createGuild({ name: `guild ${perShard.size}` });
          const list = perShard.get(emu.shardOf(g.id, SHARDS))!;
          const channel = emu.createChannel({ guildId: g.id, name: 'general' }).id;
          emu.addMember(g.id, user.id);
          list.push({ guild: g.id, channel });
        }
        const guilds = [...perShard.entries()].flatMap(([shard, l]) => l.map((g) => ({ ...g, shard })));
        const dm = emu.createDmChannel(user.id).id;
        const db = await Database.open(scratch.config);
        await db.migrate();
        const status = await db.botStatus.createBotStatus({ id: 'shared', activityType: 'watching', activity: 'before', isActive: true });
        await db.close();

        const env = (i: number, ids: string) => ({
          DATABASE_URL: scratch.url,
          DISCORD_TOKEN: emu.token,
          DISCORD_API_URL: emu.apiUrl,
          DATA_DIR: dirs[i],
          MIGRATIONS: 'auto',
          SHARD_COUNT: String(SHARDS),
          SHARD_IDS: ids,
        });
        // Two "machines" started together: they share the identify buckets.
        const a = runBot(env(0, '0-1'));
        const b = runBot(env(1, '2-3'));
        runs.push(a, b);
        await Promise.all([a.ready(90_000), b.ready(90_000)]);
        expect(a.stdout).toMatch(/"msg":"gateway: 4 shard\(s\), session starts left \d+\/1000 \(this process: shard\(s\) 0-1; identify 2 per 5 s\)"/);
        expect(b.stdout).toMatch(/"msg":"gateway: 4 shard\(s\), session starts left \d+\/1000 \(this process: shard\(s\) 2-3;/);
        // Commands are compared once: by the process with shard 0.
        expect(a.stdout).toMatch(/"msg":"(slash commands|could not compare the registered slash commands)/);
        expect(b.stdout).not.toMatch(/"msg":"(slash commands|could not compare the registered slash commands)/);
        await until(
          () => emu.connectedShards().map((s) => s[0]),
          (s) => [0, 1, 2, 3].every((id) => s.includes(id)),
          10_000,
          'all 4 shards connected',
        );
        expect(emu.identifies().map((i) => i.outcome)).toEqual(['ready', 'ready', 'ready', 'ready']);
        expectPaced(emu);
        expect(emu.violations()).toEqual([]);

        // Each message recorded exactly once, whichever process holds its guild; a DM on shard 0.
        const sent: string[] = [];
        for (let round = 0; round < 3; round++) for (const g of guilds) sent.push(emu.sendMessage({ channelId: g.channel, authorId: user.id, content: `round ${round} on shard ${g.shard}` }).id);
        sent.push(emu.sendMessage({ channelId: dm, authorId: user.id, content: 'a DM' }).id);
        let got = await until(
          () => recorded(scratch),
          (ids) => ids.length >= sent.length,
          20_000,
          'every message recorded',
        );
        await sleep(500);
        got = await recorded(scratch);
        expect(got.length).toBe(sent.length);
        expect(new Set(got)).toEqual(new Set(sent));

        // One UPDATE of bot_status: all 4 shards send the presence.
        const since = Date.now();
        await externalExec(scratch, 'UPDATE bot_status SET activity = ? WHERE id = ?', ['after the update', status.id]);
        await until(
          () => emu.presences().filter((p) => p.at >= since && p.activities[0]?.name === 'after the update'),
          (ps) => new Set(ps.map((p) => p.shard[0])).size === SHARDS,
          15_000,
          'the presence on every shard',
        );
        expect(
          new Set(
            emu
              .presences()
              .filter((p) => p.at >= since && p.activities[0]?.name === 'after the update')
              .map((p) => p.shard.join('/')),
          ),
        ).toEqual(new Set(['0/4', '1/4', '2/4', '3/4']));

        // kill -9 of the second process: the first's shards never drop; the second comes back, its
        // shards identify again and what was said meanwhile is backfilled.
        const identifiesBefore = emu.identifies().length;
        const resumesBefore = emu.requests().length >= 0 ? (a.stdout.match(/resum/gi) ?? []).length : 0;
        let dropped = false;
        const watch = setInterval(() => {
          const up = emu.connectedShards().map((s) => s[0]);
          if (!up.includes(0) || !up.includes(1)) dropped = true;
        }, 20);
        try {
          b.child.kill('SIGKILL');
          expect(await b.exited).toBe(-1);
          await until(
            () => emu.connectedShards().map((s) => s[0]),
            (s) => !s.includes(2) && !s.includes(3),
            5_000,
            "the killed process's shards gone",
          );
          const meanwhile = guilds.map((g) => emu.sendMessage({ channelId: g.channel, authorId: user.id, content: `while shard ${g.shard}'s process is down` }).id);
          sent.push(...meanwhile);
          const b2 = runBot(env(1, '2-3'));
          runs.push(b2);
          await b2.ready(90_000);
          await until(
            () => emu.connectedShards().map((s) => s[0]),
            (s) => [0, 1, 2, 3].every((id) => s.includes(id)),
            10_000,
            'all 4 shards connected again',
          );
          got = await until(
            () => recorded(scratch),
            (ids) => ids.length >= sent.length,
            20_000,
            'the messages sent meanwhile recorded',
          );
          await sleep(500);
          got = await recorded(scratch);
          expect(got.length).toBe(sent.length);
          expect(new Set(got)).toEqual(new Set(sent));
        } finally {
          clearInterval(watch);
        }
        expect(dropped, 'a shard of the process that was not killed dropped').toBe(false);
        const again = emu.identifies().slice(identifiesBefore);
        expect(again.map((i) => [i.shard[0], i.outcome]).sort()).toEqual([
          [2, 'ready'],
          [3, 'ready'],
        ]);
        expect((a.stdout.match(/resum/gi) ?? []).length).toBe(resumesBefore);
        expectPaced(emu);
        expect(emu.violations()).toEqual([]);
      } finally {
        await Promise.all(runs.filter((r) => r.child.exitCode === null && r.child.signalCode === null).map((r) => r.stop()));
        await emu.stop();
        await scratch.dispose();
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      }
    },
    240_000,
  );
});
