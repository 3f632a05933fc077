import { afterEach, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { startBot, type Bot, type BotOptions } from '../../src/bot/bot';
import { DiscordEmulator, type PresenceRecord } from '@chronicle/discord-emulator';
import { deployCommands } from '../../src/commands/deploy';
import { createLogger } from '../../src/logger';
import type { Driver } from './databases';
import { scratchDatabase, type ScratchDb } from './databases';

/** Log lines the bot wrote, parsed. */
export class LogCapture extends Writable {
  lines: Record<string, unknown>[] = [];
  /** The lines as written (JSON.parse would hide a key written twice). */
  raw: string[] = [];
  /** Lines that carry a top-level key twice (`"source":"bot","source":"database"`). */
  repeated: string[] = [];
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void) {
    for (const l of chunk.toString('utf8').split('\n')) {
      if (!l.trim()) continue;
      this.raw.push(l);
      const line = JSON.parse(l) as Record<string, unknown>;
      this.lines.push(line);
      if (topLevelKeys(l).length !== Object.keys(line).length) this.repeated.push(l);
    }
    cb();
  }
  find(re: RegExp) {
    return this.lines.filter((l) => re.test(String(l.msg)));
  }
}

/** The top-level keys of a JSON object as written, repeats included. */
export function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (ch === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      // A string at depth 1 followed by a colon is a key.
      if (
        depth === 1 &&
        json
          .slice(j + 1)
          .trimStart()
          .startsWith(':')
      )
        keys.push(JSON.parse(json.slice(i, j + 1)) as string);
      i = j;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  return keys;
}

export interface World {
  emu: DiscordEmulator;
  guildId: string;
  general: string;
  random: string;
  ada: string;
  bob: string;
  admin: string;
}

/** A local Discord with a guild, two channels, two people and an admin. */
export async function startWorld(): Promise<World> {
  const emu = await DiscordEmulator.start();
  return { emu, ...populate(emu, 'Chronicle Test') };
}

/** A guild with #general and #random, ada ("Ada Lovelace"), bob (nick "Bobby") and an admin (root). */
function populate(emu: DiscordEmulator, name: string): Omit<World, 'emu'> {
  const admin = emu.createUser({ username: 'root', globalName: 'Admin' });
  const g = emu.createGuild({ name, ownerId: admin.id });
  const general = emu.createChannel({ guildId: g.id, name: 'general' }).id;
  const random = emu.createChannel({ guildId: g.id, name: 'random' }).id;
  const ada = emu.createUser({ username: 'ada', globalName: 'Ada Lovelace' }).id;
  const bob = emu.createUser({ username: 'bob', globalName: null }).id;
  emu.addMember(g.id, ada);
  emu.addMember(g.id, bob, { nick: 'Bobby' });
  emu.addMember(g.id, admin.id, { admin: true });
  return { guildId: g.id, general, random, ada, bob, admin: admin.id };
}

let made = 0;
/** A name no other test in this process uses (for activity texts, channel names, contents). */
export function unique(prefix: string): string {
  return `${prefix} #${++made}`;
}

/**
 * A fresh person for one test: a new user who is a member of the world's guild (or `guildId`).
 * Nothing recorded about them yet, whatever other tests did. Returns the user id.
 */
export function newMember(world: Pick<World, 'emu' | 'guildId'>, username: string, o: { globalName?: string | null; nick?: string; admin?: boolean; guildId?: string } = {}): string {
  const id = world.emu.createUser({ username, globalName: o.globalName ?? null }).id;
  world.emu.addMember(o.guildId ?? world.guildId, id, { nick: o.nick, admin: o.admin });
  return id;
}

/** A fresh text channel in the world's guild (or `guildId`) for one test. Returns the channel id. */
export function newChannel(world: Pick<World, 'emu' | 'guildId'>, name: string, guildId = world.guildId): string {
  return world.emu.createChannel({ guildId, name }).id;
}

/**
 * A fresh guild in the harness's local Discord, joined by the running bot, with the bot's commands
 * registered, #general and #random, ada, bob ("Bobby") and an admin: a world of its own for one
 * test (for what is counted server-wide). The emulator and bot are the harness's.
 */
export async function newGuild(h: Harness, name = unique('Guild')): Promise<World> {
  const w = { emu: h.emu, ...populate(h.emu, name) };
  await deployCommands({ token: h.emu.token, apiUrl: h.emu.apiUrl, guildId: w.guildId });
  await until(
    () => h.bot.client.guilds.cache.get(w.guildId)?.channels.cache.size ?? 0,
    (n) => n === 2,
    5000,
    `the bot to see guild ${name}`,
  );
  return w;
}

/**
 * Marks the presence history now: the returned wait matches only op 3 updates sent after this
 * call (emu.waitForPresence also matches the history, i.e. what earlier tests caused). The default
 * wait covers Discord's presence limit (5 per 20 s), which the bot keeps to also in tests.
 */
export function presencesFromNow(emu: DiscordEmulator): { wait(pred: (p: PresenceRecord) => boolean, timeoutMs?: number): Promise<PresenceRecord>; since(): PresenceRecord[] } {
  const before = new Set(emu.presences());
  return {
    wait: (pred, timeoutMs = 25_000) => emu.waitForPresence((p) => !before.has(p) && pred(p), timeoutMs),
    since: () => emu.presences().filter((p) => !before.has(p)),
  };
}

export interface Harness extends World {
  bot: Bot;
  scratch: ScratchDb;
  logs: LogCapture;
  env: Record<string, string>;
  /** Starts a fresh bot process-equivalent on the same database and emulator. */
  restart(extra?: Partial<BotOptions>): Promise<Bot>;
  dispose(): Promise<void>;
}

export async function startHarness(driver: Driver, label: string, opts: { env?: Record<string, string>; bot?: Partial<BotOptions>; world?: World; scratch?: ScratchDb; before?: (s: ScratchDb) => Promise<void> } = {}): Promise<Harness> {
  const world = opts.world ?? (await startWorld());
  const scratch = opts.scratch ?? (await scratchDatabase(driver, label));
  if (opts.before) await opts.before(scratch);
  // Each bot its own data directory (the spill file is locked by the process that owns it).
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `chronicle-data-${label}-`));
  const env = { DATABASE_URL: scratch.url, DISCORD_TOKEN: world.emu.token, DISCORD_API_URL: world.emu.apiUrl, MIGRATIONS: 'auto', SQLITE_POLL_MS: '50', DATA_DIR: dataDir, ...opts.env };
  const logs = new LogCapture();
  const make = (extra: Partial<BotOptions> = {}) => {
    const config = loadConfig(env);
    const log = createLogger({ level: 'info', dbLevel: config.logDbLevel, destination: logs, secrets: [config.discord.token] });
    return startBot({ config, log, presenceRefreshMs: 600_000, ...opts.bot, ...extra });
  };
  const bot = await make();
  await deployCommands({ token: world.emu.token, apiUrl: world.emu.apiUrl, guildId: world.guildId });
  const h: Harness = {
    ...world,
    bot,
    scratch,
    logs,
    env,
    async restart(extra) {
      await h.bot.stop();
      h.bot = await make(extra);
      return h.bot;
    },
    async dispose() {
      await h.bot.stop().catch(() => undefined);
      await world.emu.stop();
      await scratch.dispose();
      rmSync(dataDir, { recursive: true, force: true });
      // Every harness checks the bot's log lines: a key written twice is a bug of the logger's children.
      if (logs.repeated.length) throw new Error(`log lines with a key written twice:\n${logs.repeated.slice(0, 3).join('\n')}`);
    },
  };
  return h;
}

export async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await fn();
    if (ok(last)) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** After every test of the file: the queue drained, and nothing Discord would refuse was sent. */
export function checkDiscordAfterEach(harness: () => Harness | undefined): void {
  afterEach(async () => {
    const h = harness();
    if (!h) return;
    await until(
      () => h.bot.queue.depth,
      (d) => d === 0,
    );
    expect(h.emu.violations()).toEqual([]);
  });
}
