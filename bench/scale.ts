/**
 * `npm run bench -- --scale`: the read paths people feel, on a large database.
 *
 * Builds (once, in SQL — never through the gateway) a database of N messages from 100,000 users in
 * 2,000 channels of 50 guilds, with the skew of a real server (a few channels and people write most
 * of it), on each driver, and keeps it between runs: SQLite under bench/.scale/, PostgreSQL as the
 * database `chronicle_scale_<N>`. Then times every read path through the bot's own stores (the SQL
 * the commands run), p50 / p99 / max over repeated calls with varied arguments.
 *
 * People with exactly 50,000 messages are planted for /mydata; each run forgets one of them (the
 * forget is timed) and plants a new one for the next run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { Database } from '../src/database/database';
import { pgClient } from '../src/database/postgres-admin';
import { DISCORD_CHANNEL } from '../src/entities/User';
import type { RecordedCreate } from '../src/recording/events';
import { ActivityStore } from '../src/database/stores/activity.store';
import { parseQuery } from '../src/search/query';
import { RecordingStore } from '../src/recording/recording.store';
import { ROOT } from './emulator';
import type { Driver } from './db';
import { summarize, type Summary } from './stats';

export const SCALE_USERS = 100_000;
export const SCALE_CHANNELS = 2_000;
export const SCALE_GUILDS = 50;
export const PERSON_MESSAGES = 50_000;
const DAY = 86_400_000;
const DISCORD_EPOCH = 1_420_070_400_000;
/** The year the messages span ends here (fixed, so a kept database means the same every run). */
const SPAN_END = Date.UTC(2026, 10, 30);
const SPAN_START = SPAN_END - 365 * DAY;

export type Tier = 'interactive' | 'deferred' | 'recorder';

export interface PathResult {
  path: string;
  tier: Tier;
  summary: Summary;
  /** Peak RSS of this process during the calls, MB. */
  peakRssMb?: number;
}

export interface ScaleResult {
  driver: Driver;
  messages: number;
  buildMs: number | null;
  paths: PathResult[];
}

// Ids the builder and the read paths agree on.
const channelId = (c: number) => String(500_000_000_000_000_000n + BigInt(c));
const guildId = (g: number) => String(600_000_000_000_000_000n + BigInt(g));
const userSnowflake = (u: number) => String(400_000_000_000_000_000n + BigInt(u));
const personSnowflake = (k: number) => String(490_000_000_000_000_000n + BigInt(k));
const personUuid = (k: number) => `${k.toString(16).padStart(8, '0')}-0000-7000-9000-000000000000`;

/** One lookup table of per-driver SQL pieces for the generator (the formulas are the same). */
const GEN: Record<Driver, { hex: (expr: string, width: number) => string; ts: (ms: string) => string; series: (n: number) => string; int: (expr: string) => string; uuid: (text: string) => string }> = {
  sqlite: {
    uuid: (t) => t,
    hex: (e, w) => `printf('%0${w}x', ${e})`,
    ts: (ms) => `strftime('%Y-%m-%d %H:%M:%f', (${ms}) / 1000.0, 'unixepoch')`,
    series: (n) => `WITH RECURSIVE s(seq) AS (SELECT 0 UNION ALL SELECT seq + 1 FROM s WHERE seq < ${n - 1}) SELECT seq FROM s`,
    int: (e) => `CAST(${e} AS INTEGER)`,
  },
  postgres: {
    uuid: (t) => `CAST(${t} AS uuid)`,
    hex: (e, w) => `lpad(to_hex(${e}), ${w}, '0')`,
    ts: (ms) => `to_timestamp((${ms}) / 1000.0)`,
    series: (n) => `SELECT seq FROM generate_series(0::bigint, ${n - 1}) AS g(seq)`,
    int: (e) => `CAST(floor(${e}) AS bigint)`,
  },
};

interface Conn {
  driver: Driver;
  url: string;
  exec(sql: string): Promise<void>;
  query<T>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

async function connect(driver: Driver, url: string): Promise<Conn> {
  if (driver === 'postgres') {
    const c = pgClient({ connectionString: url, application_name: 'chronicle-bench-scale' });
    await c.connect();
    return { driver, url, exec: async (s) => void (await c.query(s)), query: async <T>(s: string) => (await c.query(s)).rows as T[], close: () => c.end() };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require('sqlite3') as typeof import('sqlite3');
  const file = url.slice('sqlite:'.length);
  const d = await new Promise<import('sqlite3').Database>((resolve, reject) => {
    const x: import('sqlite3').Database = new lib.Database(file, (e) => (e ? reject(e) : resolve(x)));
  });
  return {
    driver,
    url,
    exec: (s) => new Promise((res, rej) => d.exec(s, (e) => (e ? rej(e) : res()))),
    query: <T>(s: string) => new Promise<T[]>((res, rej) => d.all(s, (e, rows) => (e ? rej(e) : res(rows as T[])))),
    close: () => new Promise((res) => d.close(() => res())),
  };
}

/** Where the kept database of `n` messages lives (made if missing). */
async function scaleUrl(driver: Driver, n: number): Promise<string> {
  if (driver === 'sqlite') {
    const dir = path.join(ROOT, 'bench', '.scale');
    mkdirSync(dir, { recursive: true });
    return `sqlite:${path.join(dir, `scale-${n}.sqlite`)}`;
  }
  const name = `chronicle_scale_${n}`;
  const admin = pgClient({ connectionString: 'postgres://root@127.0.0.1:5432/postgres' });
  await admin.connect();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount;
    if (!exists) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return `postgres://root@127.0.0.1:5432/${name}`;
}

async function built(conn: Conn, n: number): Promise<boolean> {
  try {
    const rows = await conn.query<{ n: number | string }>(`SELECT n FROM bench_scale_meta`);
    return rows.length === 1 && Number(rows[0].n) === n;
  } catch {
    return false;
  }
}

/**
 * The database of `n` messages, in SQL. Message `seq` is at SPAN_START + seq × (a year / n), by
 * user 1 + ⌊99,999·r₁²⌋ in channel ⌊2,000·r₂²⌋ (r₁, r₂ ∈ [0,1) hashed from seq: the skew), in a
 * session per user, channel and week. Indexes are dropped for the load and made again after.
 */
async function build(conn: Conn, n: number, log: (s: string) => void): Promise<void> {
  const g = GEN[conn.driver];
  const pg = conn.driver === 'postgres';
  const step = (365 * DAY) / n;
  if (pg) await conn.exec(`SET synchronous_commit = off; SET maintenance_work_mem = '1GB'; SET work_mem = '256MB'`);
  else await conn.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -2000000; PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = OFF`);
  await conn.exec(`DELETE FROM messages; DELETE FROM sessions; DELETE FROM users; DELETE FROM channels`);
  const indexes = await droppableIndexes(conn, ['messages', 'sessions']);
  for (const ix of indexes) await conn.exec(`DROP INDEX ${ix.name}`);

  const r1 = `((seq * 2654435761) % 4294967296) / 4294967296.0`;
  const r2 = `((seq * 2246822519 + 3266489917) % 4294967296) / 4294967296.0`;
  const ms = `(${SPAN_START} + ${g.int(`seq * ${step}`)})`;
  log(`scale ${conn.driver}: generating ${n.toLocaleString('en-US')} messages`);
  await conn.exec(
    pg ? `DROP TABLE IF EXISTS scale_gen; CREATE UNLOGGED TABLE scale_gen (seq bigint, u bigint, c bigint, ms bigint)` : `DROP TABLE IF EXISTS scale_gen; CREATE TABLE scale_gen (seq INTEGER, u INTEGER, c INTEGER, ms INTEGER)`,
  );
  await conn.exec(`INSERT INTO scale_gen (seq, u, c, ms) SELECT seq, 1 + ${g.int(`${SCALE_USERS - 1} * (${r1}) * (${r1})`)}, ${g.int(`${SCALE_CHANNELS} * (${r2}) * (${r2})`)}, ${ms} FROM (${g.series(n)}) AS q`);

  const week = `((ms - ${SPAN_START}) / ${7 * DAY})`;
  const sessionId = `${g.hex('u', 8)} || '-' || ${g.hex('c', 4)} || '-7' || ${g.hex(week, 3)} || '-8000-000000000000'`;
  const userId = `${g.hex('u', 8)} || '-0000-7000-8000-000000000000'`;
  const now = pg ? `now()` : `strftime('%Y-%m-%d %H:%M:%f', 'now')`;
  log(`scale ${conn.driver}: users and channels`);
  await conn.exec(
    `INSERT INTO users (id, channel, channel_user_id, username, display_name, created_at, updated_at)
     SELECT ${g.uuid(`${g.hex('seq', 8)} || '-0000-7000-8000-000000000000'`)}, '${DISCORD_CHANNEL}', CAST(400000000000000000 + seq AS ${pg ? 'text' : 'TEXT'}), 'user' || seq, NULL, ${now}, ${now}
     FROM (${g.series(SCALE_USERS)}) AS q WHERE seq > 0`,
  );
  await conn.exec(
    `INSERT INTO channels (id, discord_channel_id, guild_id, name, type, parent_id, topic, archived, created_at, updated_at, deleted_at)
     SELECT ${g.uuid(`${g.hex('seq', 8)} || '-0000-7000-a000-000000000000'`)}, CAST(500000000000000000 + seq AS ${pg ? 'text' : 'TEXT'}), CAST(600000000000000000 + seq % ${SCALE_GUILDS} AS ${pg ? 'text' : 'TEXT'}), 'channel-' || seq, 0, NULL, NULL, ${pg ? 'false' : '0'}, ${now}, ${now}, NULL
     FROM (${g.series(SCALE_CHANNELS)}) AS q`,
  );
  log(`scale ${conn.driver}: sessions`);
  await conn.exec(
    `INSERT INTO sessions (id, user_id, channel_id, guild_id, created_at, updated_at, ended_at)
     SELECT ${g.uuid(sessionId)}, ${g.uuid(userId)}, CAST(500000000000000000 + c AS ${pg ? 'text' : 'TEXT'}), CAST(600000000000000000 + c % ${SCALE_GUILDS} AS ${pg ? 'text' : 'TEXT'}), ${g.ts('MIN(ms)')}, ${g.ts('MAX(ms)')}, NULL
     FROM scale_gen GROUP BY u, c, ${week}`,
  );
  log(`scale ${conn.driver}: messages`);
  const words = `CASE seq % 7 WHEN 0 THEN 'deploy the release tonight' WHEN 1 THEN 'lunch anyone? pizza or ramen' WHEN 2 THEN 'the build is green again' WHEN 3 THEN 'can someone review my pull request' WHEN 4 THEN 'meeting moved to thursday afternoon' WHEN 5 THEN 'ok' ELSE 'good morning everyone, coffee first' END`;
  await conn.exec(
    `INSERT INTO messages (id, session_id, role, content, content_escaped, discord_message_id, channel_id, guild_id, reply_to_id, metadata, created_at, edited_at, deleted_at)
     SELECT ${g.uuid(`${g.hex('ms / 65536', 8)} || '-' || ${g.hex('ms % 65536', 4)} || '-7' || ${g.hex('seq % 4096', 3)} || '-b' || ${g.hex('(seq / 4096) % 4096', 3)} || '-' || ${g.hex('seq', 12)}`)},
            ${g.uuid(sessionId)}, 'user', ${words} || ' #' || seq, ${pg ? 'false' : '0'}, CAST((ms - ${DISCORD_EPOCH}) * 4194304 + seq % 2048 AS ${pg ? 'text' : 'TEXT'}),
            CAST(500000000000000000 + c AS ${pg ? 'text' : 'TEXT'}), CAST(600000000000000000 + c % ${SCALE_GUILDS} AS ${pg ? 'text' : 'TEXT'}), NULL, NULL, ${g.ts('ms')}, NULL, NULL
     FROM scale_gen ORDER BY seq`,
  );
  await conn.exec(`DROP TABLE scale_gen`);
  log(`scale ${conn.driver}: indexes`);
  for (const ix of indexes) await conn.exec(ix.sql);
  await conn.exec(pg ? `VACUUM ANALYZE` : `ANALYZE`);
  await conn.exec(`DROP TABLE IF EXISTS bench_scale_meta; CREATE TABLE bench_scale_meta (n bigint); INSERT INTO bench_scale_meta (n) VALUES (${n})`);
}

/** The non-primary-key indexes of these tables, with the SQL that makes each again. */
async function droppableIndexes(conn: Conn, tables: string[]): Promise<{ name: string; sql: string }[]> {
  const list = tables.map((t) => `'${t}'`).join(', ');
  if (conn.driver === 'postgres') {
    const rows = await conn.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN (${list}) AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))`,
    );
    return rows.map((r) => ({ name: r.indexname, sql: r.indexdef }));
  }
  const rows = await conn.query<{ name: string; sql: string | null }>(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN (${list}) AND sql IS NOT NULL`);
  return rows.filter((r): r is { name: string; sql: string } => r.sql !== null).map((r) => ({ name: `"${r.name}"`, sql: r.sql }));
}

/** A person with exactly PERSON_MESSAGES messages across the year, in 20 channels (one session per channel and week). */
async function plantPerson(conn: Conn, k: number): Promise<void> {
  const g = GEN[conn.driver];
  const pg = conn.driver === 'postgres';
  const step = (365 * DAY) / PERSON_MESSAGES;
  const now = pg ? `now()` : `strftime('%Y-%m-%d %H:%M:%f', 'now')`;
  const ms = `(${SPAN_START} + ${g.int(`seq * ${step}`)} + 1)`;
  const c = `(seq % 20)`;
  const week = `((${ms} - ${SPAN_START}) / ${7 * DAY})`;
  const sessionId = `${g.hex(String(k), 8)} || '-' || ${g.hex(c, 4)} || '-7' || ${g.hex(week, 3)} || '-9000-000000000000'`;
  const txt = pg ? 'text' : 'TEXT';
  await conn.exec(`INSERT INTO users (id, channel, channel_user_id, username, display_name, created_at, updated_at) VALUES ('${personUuid(k)}', '${DISCORD_CHANNEL}', '${personSnowflake(k)}', 'person${k}', 'Person ${k}', ${now}, ${now})`);
  await conn.exec(
    `INSERT INTO sessions (id, user_id, channel_id, guild_id, created_at, updated_at, ended_at)
     SELECT ${g.uuid(sessionId)}, '${personUuid(k)}', CAST(500000000000000000 + ${c} AS ${txt}), CAST(600000000000000000 + ${c} % ${SCALE_GUILDS} AS ${txt}), ${g.ts(`MIN(${ms})`)}, ${g.ts(`MAX(${ms})`)}, NULL
     FROM (${g.series(PERSON_MESSAGES)}) AS q GROUP BY ${c}, ${week}`,
  );
  await conn.exec(
    `INSERT INTO messages (id, session_id, role, content, content_escaped, discord_message_id, channel_id, guild_id, reply_to_id, metadata, created_at, edited_at, deleted_at)
     SELECT ${g.uuid(`${g.hex(String(k), 8)} || '-' || ${g.hex('seq / 65536', 4)} || '-7' || ${g.hex('seq % 4096', 3)} || '-9' || ${g.hex('(seq / 4096) % 16', 3)} || '-' || ${g.hex('seq', 12)}`)},
            ${g.uuid(sessionId)}, 'user', 'a message of person ${k}, number ' || seq, ${pg ? 'false' : '0'}, CAST((${ms} - ${DISCORD_EPOCH}) * 4194304 + 2048 + ${k % 2048} AS ${txt}),
            CAST(500000000000000000 + ${c} AS ${txt}), CAST(600000000000000000 + ${c} % ${SCALE_GUILDS} AS ${txt}), NULL, NULL, ${g.ts(ms)}, NULL, NULL
     FROM (${g.series(PERSON_MESSAGES)}) AS q`,
  );
}

/** The kept database of `n` messages on `driver`, built if missing; the planted person to use this run. */
export async function scaleDatabase(driver: Driver, n: number, log: (s: string) => void): Promise<{ url: string; buildMs: number | null; person: number }> {
  const url = await scaleUrl(driver, n);
  if (driver === 'sqlite' && !existsSync(url.slice('sqlite:'.length))) log(`scale sqlite: a new file ${url}`);
  // The schema: the bot's own migrations.
  const db = await Database.open(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'warn' }).database);
  await db.migrate();
  await db.close();
  const conn = await connect(driver, url);
  try {
    let buildMs: number | null = null;
    if (!(await built(conn, n))) {
      const t = performance.now();
      await build(conn, n, log);
      buildMs = performance.now() - t;
      log(`scale ${driver}: ${n.toLocaleString('en-US')} messages built in ${(buildMs / 1000).toFixed(0)} s`);
    }
    // The next planted person not yet forgotten (plant one when none is left).
    const rows = await conn.query<{ id: string }>(`SELECT channel_user_id AS id FROM users WHERE channel_user_id >= '${personSnowflake(0)}' AND channel_user_id < '${personSnowflake(1_000_000)}' ORDER BY channel_user_id`);
    let person: number;
    if (rows.length > 0) person = Number(BigInt(rows[0].id) - BigInt(personSnowflake(0)));
    else {
      person = 0;
      log(`scale ${driver}: planting person ${person} with ${PERSON_MESSAGES.toLocaleString('en-US')} messages`);
      await plantPerson(conn, person);
    }
    return { url, buildMs, person };
  } finally {
    await conn.close();
  }
}

/** Plants the person the next run will forget (so every run finds one without waiting). */
export async function plantNext(driver: Driver, url: string, used: number): Promise<void> {
  const conn = await connect(driver, url);
  try {
    await plantPerson(conn, used + 1);
    if (driver === 'sqlite') await conn.exec('ANALYZE');
    else await conn.exec('ANALYZE messages; ANALYZE sessions; ANALYZE users');
  } finally {
    await conn.close();
  }
}

/** A small deterministic generator for varied arguments. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function time(calls: number, fn: (i: number) => Promise<unknown>): Promise<{ summary: Summary; peakRssMb: number }> {
  const ms: number[] = [];
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      await fn(i);
      ms.push(performance.now() - t);
    }
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return { summary: summarize(ms), peakRssMb: peak / 1024 / 1024 };
}

/** Every read path at this size, through the bot's stores. */
export async function scaleBench(driver: Driver, n: number, log: (s: string) => void, opts: { calls: number }): Promise<ScaleResult> {
  const { url, buildMs, person } = await scaleDatabase(driver, n, log);
  const db = await Database.open(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'warn' }).database);
  const paths: PathResult[] = [];
  const run = async (name: string, tier: Tier, calls: number, fn: (i: number) => Promise<unknown>) => {
    await fn(0); // warm the statement and the cache once
    const { summary, peakRssMb } = await time(calls, fn);
    paths.push({ path: name, tier, summary, peakRssMb });
    log(`scale ${driver} ${n.toLocaleString('en-US')}: ${name} p50 ${summary.p50.toFixed(1)} ms p99 ${summary.p99.toFixed(1)} ms max ${summary.max.toFixed(1)} ms`);
  };
  try {
    const r = rng(42);
    const activity = new ActivityStore(db);
    // People and channels as the skew makes them: mostly the busy ones, sometimes a quiet one.
    const someUser = () => 1 + Math.floor((SCALE_USERS - 1) * r() * r());
    const someChannel = () => Math.floor(SCALE_CHANNELS * r() * r());
    // "Now" inside the span, so sessions are open as they would be for someone chatting.
    const nowAt = () => new Date(SPAN_END - Math.floor(r() * 30) * DAY);
    const idleMs = 30 * 60_000;
    const calls = opts.calls;

    await run('/history (user, open session, last 10)', 'interactive', calls, async () => {
      const user = await db.users.getUserByChannel({ channel: DISCORD_CHANNEL, channelUserId: userSnowflake(someUser()) });
      const open = user ? await db.sessions.findOpenSession({ userId: user.id, channelId: channelId(someChannel()), idleMs: 7 * DAY, now: nowAt() }) : null;
      if (open) await db.messages.listBySession(open.id, { limit: 10, newestFirst: true, role: 'user' });
    });
    await run('/session info', 'interactive', calls, async () => {
      const user = await db.users.getUserByChannel({ channel: DISCORD_CHANNEL, channelUserId: userSnowflake(someUser()) });
      const open = user ? await db.sessions.findOpenSession({ userId: user.id, channelId: channelId(someChannel()), idleMs: 7 * DAY, now: nowAt() }) : null;
      if (open) await db.messages.countBySession(open.id);
    });
    for (const days of [1, 30, 90]) {
      const window = (until: Date) => (days === 1 ? { since: new Date(until.getTime() - 24 * 3_600_000), until, bucket: 'hour' as const } : { since: new Date(until.getTime() - days * DAY), until, bucket: 'day' as const });
      await run(`/stats channel ${days}d`, 'deferred', Math.ceil(calls / 2), () => db.stats.messageStats({ scope: { channelId: channelId(someChannel()) }, ...window(nowAt()), top: 5 }));
      await run(`/stats server ${days}d`, 'deferred', Math.ceil(calls / 4), () => db.stats.messageStats({ scope: { guildId: guildId(Math.floor(SCALE_GUILDS * r() * r())) }, ...window(nowAt()), top: 5 }));
    }
    // /search in a guild over the channels its person can read (all 40 of the guild's, as for a member who sees them all).
    const searchIn = (text: string) => {
      const g = Math.floor(SCALE_GUILDS * r() * r());
      const channelIds = Array.from({ length: SCALE_CHANNELS / SCALE_GUILDS }, (_, j) => channelId(g + j * SCALE_GUILDS));
      return db.search.search({ query: parseQuery(text), scope: { guildId: guildId(g), channelIds, threadParentIds: [] }, limit: 10 });
    };
    const seqIn = () => Math.floor(r() * n);
    await run('/search a common word (1 message in 7)', 'interactive', calls, () => searchIn('pizza'));
    await run('/search a rare word (one message)', 'interactive', calls, () => searchIn(String(seqIn())));
    await run('/search a phrase', 'interactive', calls, () => searchIn('"pull request"'));
    await run('/search from: a person, no words', 'interactive', calls, () => searchIn(`from:<@${userSnowflake(someUser())}>`));
    await run('/search a word, from: a person', 'interactive', calls, () => searchIn(`morning from:<@${userSnowflake(someUser())}>`));
    await run('digest skill (channel, 1 day)', 'deferred', Math.ceil(calls / 2), () => {
      const until = nowAt();
      return activity.summarize({ channelId: channelId(someChannel()), since: new Date(until.getTime() - DAY), until }, { topThreads: 3 });
    });
    await run('backfill planning (last ids of 40 channels)', 'recorder', Math.ceil(calls / 4), () => {
      const g = Math.floor(SCALE_GUILDS * r());
      return db.messages.lastDiscordMessageIds(Array.from({ length: SCALE_CHANNELS / SCALE_GUILDS }, (_, j) => channelId(g + j * SCALE_GUILDS)));
    });
    // The recorder: a batch of 100 messages from people already known (their user and open-session lookups, then the insert).
    const store = new RecordingStore(db, { idleMs });
    let nextId = BigInt(SPAN_END - DISCORD_EPOCH + DAY) * 4194304n;
    await run('recorder batch of 100 (lookups + insert)', 'recorder', calls, () => {
      const at = new Date();
      const events: RecordedCreate[] = Array.from({ length: 100 }, () => {
        const u = someUser();
        const c = someChannel();
        return {
          kind: 'create',
          discordMessageId: String(nextId++),
          channelId: channelId(c),
          guildId: guildId(c % SCALE_GUILDS),
          author: { id: userSnowflake(u), username: `user${u}`, displayName: null },
          role: 'user',
          sessionOwner: null,
          content: 'a new message',
          createdAt: at,
          editedAt: null,
          replyToId: null,
          metadata: null,
        };
      });
      return store.writeBatch(events);
    });
  } finally {
    await db.close();
  }
  // /mydata in a process of its own each (peak RSS is the call's), the bot's database closed meanwhile.
  const id = personSnowflake(person);
  for (const [op, calls] of [
    ['show', Math.min(opts.calls, 10)],
    ['export', 3],
    ['forget', 1],
  ] as const) {
    const r = await personCall(url, id, op, calls);
    const summary = summarize(r.ms);
    paths.push({ path: `/mydata ${op} (${PERSON_MESSAGES.toLocaleString('en-US')} messages)`, tier: 'deferred', summary, peakRssMb: r.peakRssMb });
    log(`scale ${driver} ${n.toLocaleString('en-US')}: /mydata ${op} p99 ${summary.p99.toFixed(0)} ms, peak RSS ${r.peakRssMb.toFixed(0)} MB (${r.baseRssMb.toFixed(0)} MB before the first call)`);
  }
  await plantNext(driver, url, person);
  return { driver, messages: n, buildMs, paths };
}

/** One /mydata call in a child process (bench/scale-person.ts). */
function personCall(url: string, discordUserId: string, op: 'show' | 'export' | 'forget', calls: number): Promise<{ ms: number[]; peakRssMb: number; baseRssMb: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'scale-person.ts'), url, discordUserId, op, String(calls)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`scale-person ${op} exited with ${code}`))));
  });
}

/** Goals per tier (p99 ms): a reply that is not deferred, one that is, the recorder's own work. */
export const TIER_GOAL_MS: Record<Tier, number> = { interactive: 300, deferred: 3000, recorder: 300 };
