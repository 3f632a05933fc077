/**
 * npm run bench — does the recorder keep up with discord.js itself, on both databases?
 *
 * Starts the local Discord in its own process (@chronicle/discord-emulator's src/cli.ts) and measures, in one run so
 * that ratios hold on a noisy machine, with every client in its own process started with the same
 * node flags (bench/worker.ts):
 *   1. ceiling: a plain discord.js client (the bot's clientOptions(), no-op messageCreate);
 *   2. the real bot (startBot) recording the same flood to SQLite and PostgreSQL, until the last
 *      row is committed, and the ratio to 1;
 *   3. the naive way (one repository.save() per message after a user and a session lookup);
 *   4. latency at a steady rate: dispatch → row committed;
 *   5. presence propagation: bot_status edited from another connection → op 3 at the emulator;
 *   6. memory after GC (--big: 1,000,000 messages from 10,000 users in 500 channels);
 *   7. cold start: process start → ready, migrations applied, on an empty SQLite file;
 *   8. recovery: a throwaway PostgreSQL cluster stopped and started under the bot → bot_status edit → op 3;
 *   9. retention: recording's commit latency alone and while a purge deletes 100,000 old messages (bench/retention.ts);
 *  10. scale (--scale): every read path on kept databases of 1M and 10M messages, and their 10M/1M ratio (bench/scale.ts);
 *  11. bursts: during each flood, the bot's event-loop delay p99, heartbeats acked and missed (every 2 s), peak RSS, the queue.
 * Every flood is checked afterwards: the ids recorded are exactly the ids sent.
 * Progress goes to stderr, the table to stdout; the last lines are `ratio sqlite=R postgres=R` and
 * `scale sqlite=P99MS postgres=P99MS` (the slowest non-deferred read path's p99 at the largest size).
 * Flags: see HELP below.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BenchDb, checkRecorded, type Driver, type RecordedCheck } from './db';
import { SCHEMA_VARIANTS, type SchemaVariant } from './schema-variants';
import { EmulatorProcess, ROOT, type FloodReply } from './emulator';
import { summarizeProfile } from './profile';
import { retentionBench } from './retention';
import { scaleBench, TIER_GOAL_MS, type ScaleResult } from './scale';
import { fmtInt, fmtMB, fmtMs, fmtRate, median, summarize, type Summary } from './stats';
import { WorkerHandle } from './worker-handle';
import type { BurstStats, WindowResult } from './worker';
import { PgCluster } from '../test/helpers/pg-cluster';

const HELP = `npm run bench [-- flags]
  --messages N       flood size for the ceiling and the bot (default 100000)
  --users N          authors in the flood (default 1000)
  --channels N       channels in the flood (default 50)
  --warmup N         messages sent before each measured flood, not timed (default 5000)
  --naive N          flood size for the naive way (default 5000)
  --rate N           steady rate for the latency run, messages/s (default 1000)
  --seconds N        length of the latency run (default 30)
  --presence N       bot_status edits per driver (default 40; 5 per 20 s, Discord's limit)
  --cold N           cold starts (default 3)
  --big              also: memory after 1,000,000 messages from 10,000 users in 500 channels
  --big-messages N   (default 1000000; sampled at half and at the end)
  --purge N          old messages the retention purge deletes under live recording (default 100000)
  --schema           also: the store alone without messages' session index and/or its foreign key
                     to sessions (what that part of the schema costs)
  --drivers LIST     sqlite,postgres (default both; PostgreSQL is skipped, and said so, when unreachable)
  --outages N        PostgreSQL outages: a throwaway cluster stopped, then started (default 3)
  --outage-seconds N how long each outage lasts (default 15)
  --only LIST        run only these items: ceiling,bot,naive,latency,presence,memory,cold,outage,retention,scale
                     (bot includes the store alone: the same events written with no gateway)
  --env K=V          extra environment for the bot (repeatable), e.g. --env RECORDER_BATCH_SIZE=5000
  --profile [DIR]    write V8 CPU profiles of every measured process and print what dominates
  --scale            also: every read path on kept databases of 1M and 10M messages (built once, in SQL:
                     about 25 min for 10M on each driver the first time; bench/.scale/, chronicle_scale_N)
  --scale-sizes LIST sizes for --scale (default 1000000,10000000; the largest is the one judged)
  --scale-calls N    calls per read path (default 200)
  --quick            small sizes (smoke test): 20000 messages, naive 1000, 5 s latency, 10 presence edits, 1 cold start, one 5 s outage`;

interface Opts {
  messages: number;
  users: number;
  channels: number;
  warmup: number;
  naive: number;
  rate: number;
  seconds: number;
  presence: number;
  outages: number;
  outageSeconds: number;
  cold: number;
  big: boolean;
  bigMessages: number;
  purge: number;
  schema: boolean;
  drivers: Driver[];
  only: Set<string> | null;
  env: Record<string, string>;
  profileDir?: string;
  scale: boolean;
  scaleSizes: number[];
  scaleCalls: number;
}

function parseFlags(argv: string[]): Opts {
  const o: Opts = {
    messages: 100_000,
    users: 1000,
    channels: 50,
    warmup: 5000,
    naive: 5000,
    rate: 1000,
    seconds: 30,
    presence: 40,
    outages: 3,
    outageSeconds: 15,
    cold: 3,
    big: false,
    bigMessages: 1_000_000,
    purge: 100_000,
    schema: false,
    drivers: ['sqlite', 'postgres'],
    only: null,
    env: {},
    scale: false,
    scaleSizes: [1_000_000, 10_000_000],
    scaleCalls: 200,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const num = () => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a number`);
      return n;
    };
    switch (flag) {
      case '--messages':
        o.messages = num();
        break;
      case '--users':
        o.users = num();
        break;
      case '--channels':
        o.channels = num();
        break;
      case '--warmup':
        o.warmup = num();
        break;
      case '--naive':
        o.naive = num();
        break;
      case '--rate':
        o.rate = num();
        break;
      case '--seconds':
        o.seconds = num();
        break;
      case '--presence':
        o.presence = num();
        break;
      case '--outages':
        o.outages = num();
        break;
      case '--outage-seconds':
        o.outageSeconds = num();
        break;
      case '--cold':
        o.cold = num();
        break;
      case '--big':
        o.big = true;
        break;
      case '--big-messages':
        o.bigMessages = num();
        break;
      case '--purge':
        o.purge = num();
        break;
      case '--scale':
        o.scale = true;
        break;
      case '--scale-sizes':
        o.scaleSizes = argv[++i].split(',').map((x) => {
          const n = Number(x.trim());
          if (!Number.isInteger(n) || n < 100_000) throw new Error(`--scale-sizes needs whole numbers of at least 100000, got ${x}`);
          return n;
        });
        o.scaleSizes.sort((a, b) => a - b);
        break;
      case '--scale-calls':
        o.scaleCalls = num();
        break;
      case '--schema':
        o.schema = true;
        break;
      case '--drivers':
        o.drivers = argv[++i]
          .split(',')
          .map((d) => d.trim())
          .filter((d): d is Driver => d === 'sqlite' || d === 'postgres');
        break;
      case '--env': {
        const [k, ...v] = argv[++i].split('=');
        o.env[k] = v.join('=');
        break;
      }
      case '--only':
        o.only = new Set(argv[++i].split(',').map((s) => s.trim()));
        break;
      case '--profile':
        o.profileDir = argv[i + 1] && !argv[i + 1].startsWith('--') ? path.resolve(argv[++i]) : mkdtempSync(path.join(os.tmpdir(), 'chronicle-profiles-'));
        break;
      case '--quick':
        Object.assign(o, { messages: 20_000, warmup: 2000, naive: 1000, seconds: 5, presence: 10, cold: 1, bigMessages: 200_000, purge: 20_000, outages: 1, outageSeconds: 5 });
        break;
      case '--help':
      case '-h':
        console.log(HELP);
        process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default:
        throw new Error(`unknown flag ${flag}\n${HELP}`);
    }
  }
  return o;
}

const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * The local Discord's heartbeat interval in the benchmark: Discord's 41.25 s would see one or two
 * heartbeats in a flood; every 2 s, a missed ACK (an event loop stalled past the interval) shows.
 */
const HEARTBEAT_MS = 2_000;

// ---- the table ----

type Status = 'ok' | 'MISSED' | 'FAILED' | 'info' | 'not run';
interface Row {
  item: string;
  what: string;
  n: string;
  figure: string;
  goal: string;
  status: Status;
}
const table: Row[] = [];
const add = (r: Row) => {
  table.push(r);
  log(`${r.item} ${r.what}: ${r.figure} [${r.status}]`);
};

function printTable(): void {
  const head: Row = { item: '#', what: 'measurement', n: 'N', figure: 'result', goal: 'goal', status: 'ok' };
  const cols: (keyof Row)[] = ['item', 'what', 'n', 'figure', 'goal', 'status'];
  const all = [head, ...table];
  const width = cols.map((c) => Math.max(...all.map((r) => (c === 'status' && r === head ? 'status' : String(r[c])).length)));
  const line = (r: Row) => `| ${cols.map((c, i) => (c === 'status' && r === head ? 'status' : String(r[c])).padEnd(width[i])).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  const order = (r: Row) => (/^\d+$/.test(r.item) ? Number(r.item) : 99);
  for (const r of table.map((r, i) => ({ r, i })).sort((a, b) => order(a.r) - order(b.r) || a.i - b.i)) console.log(line(r.r));
}

// ---- floods ----

/** Message lengths like a chat's: log-normal around 35 characters, a long tail, capped at Discord's 2000. */
function contentLengths(count = 997, seed = 7): number[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    return Math.max(1, Math.min(2000, Math.round(Math.exp(Math.log(35) + 1.1 * z))));
  });
}
const LENGTHS = contentLengths();
const MEAN_LENGTH = LENGTHS.reduce((a, b) => a + b, 0) / LENGTHS.length;

/** What has been sent to one bot: consecutive ids across floods, for checking what was recorded. */
class Sent {
  count = 0;
  firstId: string | null = null;
  lastId: string | null = null;
  contentChars = 0;
  private readonly authors = new Set<string>();

  constructor(private readonly world: { userIds: string[]; channelIds: string[] }) {}

  get users(): number {
    return this.authors.size;
  }

  nextStart(): bigint | undefined {
    return this.lastId ? BigInt(this.lastId) + 1n : undefined;
  }

  add(count: number, r: FloodReply, subset?: { userIds: string[]; channelIds: string[] }): void {
    if (r.sent !== count) throw new Error(`emulator sent ${r.sent} of ${count}`);
    this.firstId ??= r.firstId;
    this.lastId = r.lastId;
    this.count += count;
    // The emulator's flood restarts its cycles at every command: message i has length
    // LENGTHS[i % L], channel channelIds[i % C] and author userIds[floor(i / C) % U].
    const full = Math.floor(count / LENGTHS.length);
    this.contentChars += full * LENGTHS.reduce((a, b) => a + b, 0);
    for (let i = 0; i < count % LENGTHS.length; i++) this.contentChars += LENGTHS[i];
    const { userIds, channelIds } = subset ?? this.world;
    const authors = Math.min(userIds.length, Math.ceil(count / channelIds.length));
    for (let u = 0; u < authors; u++) this.authors.add(userIds[u]);
  }
}

async function flood(emu: EmulatorProcess, sent: Sent | null, count: number, o: { rate?: number; subset?: { userIds: string[]; channelIds: string[] } } = {}): Promise<FloodReply> {
  const r = await emu.flood({ count, contentLengths: LENGTHS, startId: sent?.nextStart(), rate: o.rate, userIds: o.subset?.userIds, channelIds: o.subset?.channelIds });
  sent?.add(count, r, o.subset);
  return r;
}

// ---- measurements ----

const perMsg = (ms: number, n: number) => `${((ms * 1000) / n).toFixed(1)} µs`;

function cpuNote(w: WindowResult, n: number, serverMs?: number | null, emulatorMs?: number | null): string {
  const t = w.threadMs;
  const parts = [`CPU/msg: main thread ${perMsg(t.main ?? w.cpuMs, n)}`];
  if (t.other !== undefined) parts.push(`other threads ${perMsg(t.other, n)}`);
  if (t.main === undefined) parts[0] = `CPU/msg ${perMsg(w.cpuMs, n)}`;
  if (serverMs != null) parts.push(`postgres ${perMsg(serverMs, n)}`);
  if (emulatorMs != null) parts.push(`emulator ${perMsg(emulatorMs, n)}`);
  return parts.join(', ');
}

interface Throughput {
  rate: number;
  window: WindowResult;
  /** CPU ms the emulator used from the flood's start to the window's end (null: /proc unreadable). */
  emulatorMs: number | null;
}

/** The emulator's CPU ms from now until `done` settles. */
async function emulatorCpu<T>(emu: EmulatorProcess, done: Promise<T>): Promise<[T, number | null]> {
  const e0 = emu.cpuMs();
  const r = await done;
  const e1 = emu.cpuMs();
  return [r, e0 !== null && e1 !== null ? e1 - e0 : null];
}

/**
 * CPU µs per message in every process of a flood (client, emulator, PostgreSQL server): on a
 * machine of `cores` cores no rate can exceed cores · 10⁶ / that, whatever the code does with
 * its wall time. Null where a share could not be read.
 */
function cpuPerMsg(t: Throughput, n: number, serverMs: number | null, driver?: Driver): number | null {
  if (t.emulatorMs === null || (driver === 'postgres' && serverMs === null)) return null;
  return ((t.window.cpuMs + t.emulatorMs + (serverMs ?? 0)) * 1000) / n;
}

async function ceilingRun(emu: EmulatorProcess, o: Opts, label: string): Promise<Throughput> {
  log(`ceiling (${label}): plain discord.js client, ${fmtInt(o.messages)} messages`);
  const { worker } = await WorkerHandle.start({ mode: 'ceiling', apiUrl: emu.info.apiUrl, token: emu.info.token }, { profileDir: o.profileDir });
  try {
    await emu.waitForReady();
    if (o.warmup) {
      const w = worker.expect(o.warmup);
      await flood(emu, null, o.warmup);
      await w;
    }
    const w = worker.expect(o.messages);
    const [window, emulatorMs] = await emulatorCpu(
      emu,
      flood(emu, null, o.messages).then(() => w),
    );
    return { rate: (o.messages / window.ms) * 1000, window, emulatorMs };
  } finally {
    await worker.stop();
    await profileSummary(o, 'ceiling');
  }
}

interface BotRun {
  throughput: Throughput;
  check: RecordedCheck;
  serverMs: number | null;
}

async function botRun(emu: EmulatorProcess, o: Opts, driver: Driver): Promise<BotRun> {
  const db = await BenchDb.create(driver, 'bot');
  const sent = new Sent(emu.info);
  log(`bot on ${driver}: starting (${db.driver === 'postgres' ? db.pgName : db.url})`);
  const { worker } = await WorkerHandle.start({ mode: 'bot', apiUrl: emu.info.apiUrl, token: emu.info.token, databaseUrl: db.url, spillFile: path.join(db.dir, 'spill.jsonl'), env: o.env }, { profileDir: o.profileDir });
  let result: BotRun | null = null;
  try {
    await emu.waitForReady();
    if (o.warmup) {
      const w = worker.expect(o.warmup, { timeoutMs: 600_000 });
      await flood(emu, sent, o.warmup);
      await w;
    }
    // 2. Throughput: first arrival → last row committed.
    log(`bot on ${driver}: flood of ${fmtInt(o.messages)} messages`);
    const cpu0 = await db.serverCpuMs();
    const w = worker.expect(o.messages, { timeoutMs: 600_000 });
    const [window, emulatorMs] = await emulatorCpu(
      emu,
      flood(emu, sent, o.messages).then(() => w),
    );
    const cpu1 = await db.serverCpuMs();
    const serverMs = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
    const check = await checkRecorded(db, { count: sent.count, firstId: sent.firstId!, lastId: sent.lastId!, contentChars: sent.contentChars, users: sent.users });
    const rate = (o.messages / window.ms) * 1000;
    result = { throughput: { rate, window, emulatorMs }, check, serverMs };
    add({
      item: '2',
      what: `bot → ${driver}: first arrival → last row committed`,
      n: fmtInt(o.messages),
      figure: `${fmtRate(rate)} (${cpuNote(window, o.messages, serverMs, emulatorMs)})`,
      goal: '',
      status: 'info',
    });
    add({ item: '2', what: `bot → ${driver}: recorded = sent`, n: fmtInt(sent.count), figure: check.detail, goal: 'equal', status: check.ok ? 'ok' : 'FAILED' });
    if (window.burst) burstRow(driver, `the flood of ${fmtInt(o.messages)}`, fmtInt(o.messages), window.burst);

    if (want(o, 'memory')) {
      const m = await worker.memory();
      add({ item: '6', what: `bot (${driver}) memory after GC, ${fmtInt(sent.count)} messages recorded`, n: fmtInt(sent.count), figure: `RSS ${fmtMB(m.rss)}, heap ${fmtMB(m.heapUsed)}`, goal: '(--big for the goal)', status: 'info' });
    }

    // 4. Latency at a steady rate.
    if (want(o, 'latency') && o.seconds > 0) {
      await sleep(1000);
      const n = Math.round(o.rate * o.seconds);
      log(`bot on ${driver}: ${fmtInt(o.rate)} messages/s for ${o.seconds} s`);
      const lw = worker.expect(n, { latency: true, timeoutMs: o.seconds * 1000 + 600_000 });
      const f = await flood(emu, sent, n, { rate: o.rate });
      const lr = await lw;
      const l = lr.latency!;
      const achieved = (n / f.ms) * 1000;
      const lcheck = await checkRecorded(db, { count: sent.count, firstId: sent.firstId!, lastId: sent.lastId!, contentChars: sent.contentChars, users: sent.users });
      add({
        item: '4',
        what: `${driver}: dispatch → row committed at ${fmtRate(achieved)}`,
        n: fmtInt(l.n),
        figure: `p50 ${fmtMs(l.p50)}, p99 ${fmtMs(l.p99)}, max ${fmtMs(l.max)}`,
        goal: 'p99 ≤ 200 ms',
        status: l.p99 <= 200 ? 'ok' : 'MISSED',
      });
      if (lr.burst) burstRow(driver, `${fmtInt(o.rate)} messages/s for ${o.seconds} s`, fmtInt(n), lr.burst);
      if (!lcheck.ok) add({ item: '4', what: `${driver}: recorded = sent after the latency run`, n: fmtInt(sent.count), figure: lcheck.detail, goal: 'equal', status: 'FAILED' });
    }

    // 5. Presence propagation.
    if (want(o, 'presence') && o.presence > 0) {
      await sleep(500);
      const p = await presenceRun(emu, db, o.presence);
      const goalMs = driver === 'postgres' ? 200 : 1500;
      add({
        item: '5',
        what: `${driver}: bot_status commit (other connection) → op 3 at Discord (≤ 105 edits a minute)`,
        n: fmtInt(p.summary.n),
        figure: `p50 ${fmtMs(p.summary.p50)}, p99 ${fmtMs(p.summary.p99)}, max ${fmtMs(p.summary.max)}${p.lost ? `, ${p.lost} never arrived` : ''}`,
        goal: `p99 ≤ ${fmtMs(goalMs)}`,
        status: p.lost === 0 && p.summary.p99 <= goalMs ? 'ok' : 'MISSED',
      });
    }
    return result;
  } finally {
    const stats = await worker.stop().catch((e: Error) => {
      log(`bot on ${driver}: stop failed: ${e.message}`);
      return undefined;
    });
    if (stats && (stats.lost || stats.failures)) log(`bot on ${driver}: queue reported lost=${stats.lost} failures=${stats.failures}`);
    await db.drop();
    await profileSummary(o, 'bot');
  }
}

/** bot_status edits from the bench's own connection, at random moments; commit → op 3 at the emulator. */
async function presenceRun(emu: EmulatorProcess, db: BenchDb, count: number): Promise<{ summary: Summary; lost: number }> {
  log(`${db.driver}: ${count} bot_status edits`);
  // Activity texts unique to this run: the emulator keeps every presence it was sent.
  const tag = `${db.driver}-${Math.random().toString(36).slice(2, 8)}`;
  const now = new Date();
  await db.query('INSERT INTO bot_status (id, status, activity_type, activity, url, is_active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    'bench',
    'online',
    'playing',
    `${tag} 0`,
    null,
    db.bool(true),
    db.date(now),
    db.date(now),
  ]);
  await emu.waitForPresence(`${tag} 0`, 10_000);
  const lat: number[] = [];
  let lost = 0;
  // Edits land at random moments (uniform over SQLite's poll interval), as an operator's would,
  // and at most 5 per 20 s: Discord's presence limit per connection, which the bot keeps to
  // (past it the bot waits for a free slot and sends only the latest row), so going faster would
  // measure the limit rather than Chronicle.
  const spread = db.driver === 'sqlite' ? 250 : 20;
  const PER_WINDOW = 5;
  const WINDOW_MS = 20_000;
  const sentAt: number[] = [Date.now()];
  for (let i = 1; i <= count; i++) {
    await sleep(Math.random() * spread);
    if (sentAt.length >= PER_WINDOW) {
      const wait = sentAt[sentAt.length - PER_WINDOW] + WINDOW_MS + 500 - Date.now();
      if (wait > 0) {
        if (wait > 5000) log(`${db.driver}: ${i - 1} edits done; waiting ${(wait / 1000).toFixed(0)} s to stay under Discord's 5 presence updates per 20 s`);
        await sleep(wait + Math.random() * spread);
      }
    }
    sentAt.push(Date.now());
    const activity = `${tag} ${i}`;
    // Taken before the UPDATE is sent: the figure includes the statement's own time (conservative).
    const t = Date.now();
    await db.query('UPDATE bot_status SET activity = ?, updated_at = ? WHERE id = ?', [activity, db.date(new Date()), 'bench']);
    try {
      const p = await emu.waitForPresence(activity, 5_000);
      lat.push(p.at - t);
      if (p.at - t > 1000) log(`${db.driver}: edit ${i} reached Discord after ${fmtMs(p.at - t)}`);
    } catch {
      lost++;
      log(`${db.driver}: edit ${i} did not reach Discord within 5 s`);
    }
  }
  return { summary: summarize(lat), lost };
}

/**
 * The bot on a throwaway PostgreSQL cluster, stopped for `outageSeconds` and started again, `outages` times. At
 * the moment the server accepts connections again, an operator edits bot_status: the time until
 * the presence reaches Discord is what recovery costs (the LISTEN connection has to come back).
 */
async function outageRun(emu: EmulatorProcess, o: Opts): Promise<void> {
  const cluster = await PgCluster.create('bench');
  const db = BenchDb.external(cluster.url(), 'outage');
  log(`postgres outage: bot on a throwaway cluster (port ${cluster.port}), ${o.outages} outages of ${o.outageSeconds} s`);
  const { worker } = await WorkerHandle.start({ mode: 'bot', apiUrl: emu.info.apiUrl, token: emu.info.token, databaseUrl: db.url, spillFile: path.join(db.dir, 'spill.jsonl'), env: o.env }, { profileDir: o.profileDir });
  const lat: number[] = [];
  let lost = 0;
  try {
    await emu.waitForReady();
    const tag = `outage-${Math.random().toString(36).slice(2, 8)}`;
    const now = new Date();
    await db.query('INSERT INTO bot_status (id, status, activity_type, activity, url, is_active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', ['bench', 'online', 'playing', `${tag} 0`, null, true, now, now]);
    await emu.waitForPresence(`${tag} 0`, 10_000);
    for (let i = 1; i <= o.outages; i++) {
      await db.close();
      cluster.stop('fast');
      // Outages of different lengths (a fixed one could line up with a reconnect attempt).
      await sleep(o.outageSeconds * 1000 * (1 + Math.random()));
      // The edit goes in as soon as the server accepts connections, before pg_ctlcluster returns.
      const started = cluster.start();
      await cluster.waitUntilReady();
      const t = Date.now();
      const activity = `${tag} ${i}`;
      await db.query('UPDATE bot_status SET activity = ?, updated_at = ? WHERE id = ?', [activity, new Date(), 'bench']);
      try {
        const p = await emu.waitForPresence(activity, 15_000);
        lat.push(p.at - t);
        await started;
      } catch {
        lost++;
        log(`postgres outage ${i}: the edit did not reach Discord within 15 s`);
        await started;
      }
      // Presence updates are limited to 5 per 20 s on Discord: keep well under it.
      await sleep(4000);
    }
  } finally {
    await worker.stop().catch((e: Error) => log(`outage bot: stop failed: ${e.message}`));
    await db.drop();
    cluster.drop();
  }
  const s = summarize(lat);
  add({
    item: '8',
    what: `postgres down ${o.outageSeconds}–${o.outageSeconds * 2} s, then up: bot_status edit once it accepts connections → op 3 at Discord`,
    n: fmtInt(s.n),
    figure: `p50 ${fmtMs(s.p50)}, p99 ${fmtMs(s.p99)}, max ${fmtMs(s.max)}${lost ? `, ${lost} never arrived` : ''}`,
    goal: 'p99 ≤ 1 s',
    status: lost === 0 && s.p99 <= 1000 ? 'ok' : 'MISSED',
  });
}

/** The store alone, no gateway: the same events through the write queue (the database side's own limit). */
async function storeAlone(emu: EmulatorProcess, o: Opts, driver: Driver, variant?: SchemaVariant): Promise<{ rate: number; window: WindowResult; serverMs: number | null }> {
  const db = await BenchDb.create(driver, 'store');
  const batch = Number(o.env.RECORDER_BATCH_SIZE ?? 1000);
  log(`store alone on ${driver}${variant ? `, schema ${variant.name}` : ''}: ${fmtInt(o.messages)} events, ${fmtInt(batch)} per batch`);
  const { worker } = await WorkerHandle.start(
    { mode: 'store', apiUrl: emu.info.apiUrl, token: emu.info.token, databaseUrl: db.url, userIds: emu.info.userIds, channelIds: emu.info.channelIds, guildId: emu.info.guildId, contentLengths: LENGTHS },
    { profileDir: o.profileDir },
  );
  try {
    // The worker has migrated the (empty) database; a variant changes it before anything is written.
    await variant?.apply(db);
    if (o.warmup) await worker.storeRun(o.warmup, batch);
    const cpu0 = await db.serverCpuMs();
    const window = await worker.storeRun(o.messages, batch);
    const cpu1 = await db.serverCpuMs();
    const [{ n }] = await db.query<{ n: number | string }>('SELECT count(*) AS n FROM "messages"');
    if (Number(n) !== o.warmup + o.messages) throw new Error(`store alone on ${driver}: ${n} messages stored, ${o.warmup + o.messages} written`);
    return { rate: (o.messages / window.ms) * 1000, window, serverMs: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null };
  } finally {
    await worker.stop().catch(() => undefined);
    await db.drop();
    await profileSummary(o, 'store');
  }
}

async function naiveRun(emu: EmulatorProcess, o: Opts, driver: Driver): Promise<{ rate: number; check: RecordedCheck; window: WindowResult }> {
  const db = await BenchDb.create(driver, 'naive');
  const sent = new Sent(emu.info);
  log(`naive on ${driver}: ${fmtInt(o.naive)} messages, one save() each`);
  const { worker } = await WorkerHandle.start({ mode: 'naive', apiUrl: emu.info.apiUrl, token: emu.info.token, databaseUrl: db.url }, { profileDir: o.profileDir });
  try {
    await emu.waitForReady();
    const w = worker.expect(o.naive, { timeoutMs: 1_800_000 });
    await flood(emu, sent, o.naive);
    const window = await w;
    const check = await checkRecorded(db, { count: sent.count, firstId: sent.firstId!, lastId: sent.lastId!, contentChars: sent.contentChars, users: sent.users });
    return { rate: (o.naive / window.ms) * 1000, check, window };
  } finally {
    await worker.stop().catch(() => undefined);
    await db.drop();
    await profileSummary(o, 'naive');
  }
}

/** 7. `tsx src/main.ts` (what npm run dev runs) on an empty SQLite file: spawn → "Chronicle is ready". */
async function coldStart(emu: EmulatorProcess): Promise<{ ms: number; migrated: boolean }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-bench-cold-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: `sqlite:${path.join(dir, 'cold.sqlite')}`,
    DB_URL: '',
    DISCORD_TOKEN: emu.info.token,
    DISCORD_API_URL: emu.info.apiUrl,
    MIGRATIONS: 'auto',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
  };
  const t0 = performance.now();
  const proc = spawn(process.execPath, [require.resolve('tsx/cli'), 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let migrated = false;
  const errors: string[] = [];
  createInterface({ input: proc.stderr! }).on('line', (l) => errors.push(l));
  try {
    const ms = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no "Chronicle is ready" within 60 s')), 60_000);
      proc.once('exit', (code) => reject(new Error(`exited with ${code}: ${errors.slice(-3).join(' / ')}`)));
      createInterface({ input: proc.stdout! }).on('line', (l) => {
        let msg = '';
        try {
          msg = String((JSON.parse(l) as { msg?: string }).msg ?? '');
        } catch {
          return;
        }
        if (/^applied \d+ migration/.test(msg)) migrated = true;
        if (msg === 'Chronicle is ready') {
          clearTimeout(timer);
          resolve(performance.now() - t0);
        }
      });
    });
    return { ms, migrated };
  } finally {
    proc.removeAllListeners('exit');
    if (proc.exitCode === null) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * 6. --big: RSS and heap after GC at half and at the end of a long flood. The flood goes out in
 * commands of 10,000 messages, each from 100 of the users in 5 of the channels (rotating through
 * all 10,000 and 500), so each session gets 20 messages, as in a chat, and the emulator builds
 * 500 frame templates per command instead of 5,000,000.
 */
async function bigRun(o: Opts, driver: Driver): Promise<void> {
  const world = { users: 10_000, channels: 500 };
  const emu = await EmulatorProcess.start({ ...world, heartbeatMs: HEARTBEAT_MS });
  const db = await BenchDb.create(driver, 'big');
  const sent = new Sent(emu.info);
  const { worker } = await WorkerHandle.start({ mode: 'bot', apiUrl: emu.info.apiUrl, token: emu.info.token, databaseUrl: db.url, spillFile: path.join(db.dir, 'spill.jsonl'), env: o.env }, { profileDir: o.profileDir });
  const PER = 10_000;
  let command = 0;
  const subset = () => {
    const k = command++;
    const u0 = (k * 100) % world.users;
    const c0 = (k * 5) % world.channels;
    return { userIds: emu.info.userIds.slice(u0, u0 + 100), channelIds: emu.info.channelIds.slice(c0, c0 + 5) };
  };
  try {
    await emu.waitForReady(60_000);
    // Samples after GC at 50 %, 75 % and 100 %: "flat" compares the first and the last.
    const half = Math.floor(o.bigMessages / 2);
    const quarter = Math.floor(o.bigMessages / 4);
    const samples: { at: number; rss: number; heap: number; rate: number }[] = [];
    let peakRss = 0;
    const bursts: BurstStats[] = [];
    for (const part of [half, quarter, o.bigMessages - half - quarter]) {
      log(`big on ${driver}: ${fmtInt(part)} messages (${fmtInt(world.users)} users, ${world.channels} channels)`);
      const w = worker.expect(part, { timeoutMs: 3_600_000 });
      for (let left = part; left > 0; left -= PER) await flood(emu, sent, Math.min(PER, left), { subset: subset() });
      const r = await w;
      if (r.burst) bursts.push(r.burst);
      const m = await worker.memory();
      samples.push({ at: sent.count, rss: m.rss, heap: m.heapUsed, rate: (part / r.ms) * 1000 });
      peakRss = Math.max(peakRss, m.peakRss);
      log(
        `big on ${driver}: ${fmtInt(sent.count)} recorded at ${fmtRate((part / r.ms) * 1000)}; after GC: RSS ${fmtMB(m.rss)}, heap ${fmtMB(m.heapUsed)} of ${fmtMB(m.heapTotal)}, external ${fmtMB(m.external)}; peak RSS so far ${fmtMB(m.peakRss)}`,
      );
    }
    const check = await checkRecorded(db, { count: sent.count, firstId: sent.firstId!, lastId: sent.lastId!, contentChars: sent.contentChars, users: sent.users });
    const a = samples[0];
    const b = samples[samples.length - 1];
    const growth = (b.rss - a.rss) / a.rss;
    const maxRss = Math.max(...samples.map((x) => x.rss));
    add({
      item: '6',
      what: `bot (${driver}) memory after GC at ${samples.map((x) => fmtInt(x.at)).join(' / ')} messages (${fmtInt(sent.users)} users, ${world.channels} channels)`,
      n: fmtInt(b.at),
      figure: `RSS ${samples.map((x) => fmtMB(x.rss)).join(' / ')} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}% from half to end), heap ${samples.map((x) => fmtMB(x.heap)).join(' / ')}; peak RSS during the floods ${fmtMB(peakRss)}`,
      goal: 'RSS ≤ 250 MB, flat (±10%)',
      status: maxRss <= 250 * 1024 * 1024 && Math.abs(growth) <= 0.1 ? 'ok' : 'MISSED',
    });
    if (bursts.length) burstRow(driver, `the big flood (${bursts.length} parts)`, fmtInt(sent.count), mergeBursts(bursts));
    add({ item: '6', what: `bot (${driver}) big flood: recorded = sent (${samples.map((x) => fmtRate(x.rate)).join(' / ')} per part)`, n: fmtInt(sent.count), figure: check.detail, goal: 'equal', status: check.ok ? 'ok' : 'FAILED' });
  } finally {
    await worker.stop().catch(() => undefined);
    await db.drop();
    await emu.stop();
    await profileSummary(o, 'bot');
  }
}

/** Goals of item 11 (bursts): the event loop, the heartbeats and memory while a flood outruns the database. */
const BURST_GOALS = { loopP99Ms: 50, peakRssMb: 350 };

/** 11. What the bot's event loop, gateway connection and memory did during a flood (bench/worker.ts watchBurst). */
function burstRow(driver: Driver, what: string, n: string, b: BurstStats): void {
  const peakMb = b.peakRss / 1048576;
  const ok = b.loopP99Ms <= BURST_GOALS.loopP99Ms && b.heartbeatMissed === 0 && (b.peakRss === 0 || peakMb <= BURST_GOALS.peakRssMb);
  add({
    item: '11',
    what: `bot (${driver}) during ${what}: event loop, heartbeats (every ${HEARTBEAT_MS / 1000} s), peak RSS, the queue`,
    n,
    figure:
      `loop delay p99 ${fmtMs(b.loopP99Ms)} (max ${fmtMs(b.loopMaxMs)}); heartbeats acked ${b.heartbeatAcks}, missed ${b.heartbeatMissed}; ` +
      `peak RSS ${b.peakRss ? `${peakMb.toFixed(0)} MB` : '?'}; queue at most ${fmtInt(b.queuePeak)} events in memory (${(b.queueBytesPeak / 1048576).toFixed(0)} MB est.), ${fmtInt(b.spilledPeak)} on disk`,
    goal: `p99 ≤ ${BURST_GOALS.loopP99Ms} ms, 0 missed, RSS ≤ ${BURST_GOALS.peakRssMb} MB`,
    status: ok ? 'ok' : 'MISSED',
  });
}

function mergeBursts(all: BurstStats[]): BurstStats {
  const max = (f: (b: BurstStats) => number) => Math.max(...all.map(f));
  const sum = (f: (b: BurstStats) => number) => all.reduce((n, b) => n + f(b), 0);
  return {
    loopP99Ms: max((b) => b.loopP99Ms),
    loopMaxMs: max((b) => b.loopMaxMs),
    heartbeatAcks: sum((b) => b.heartbeatAcks),
    heartbeatMissed: sum((b) => b.heartbeatMissed),
    peakRss: max((b) => b.peakRss),
    queuePeak: max((b) => b.queuePeak),
    spilledPeak: max((b) => b.spilledPeak),
    queueBytesPeak: max((b) => b.queueBytesPeak),
  };
}

/** With --profile: what dominated the newest profile of `label`'s main thread. */
async function profileSummary(o: Opts, label: string): Promise<void> {
  if (!o.profileDir) return;
  await sleep(200);
  const dir = path.join(o.profileDir, label);
  let files: string[];
  try {
    files = readdirSync(dir).map((f) => path.join(dir, f));
  } catch {
    return;
  }
  // The newest process's files; its main thread's profile is the biggest.
  const newest = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const pid = path.basename(newest[0] ?? '').split('.')[3];
  const mine = newest.filter((f) => path.basename(f).split('.')[3] === pid).sort((a, b) => statSync(b).size - statSync(a).size);
  if (!mine[0]) return;
  const s = summarizeProfile(mine[0], 12);
  log(
    `profile ${mine[0]} (${s.totalMs.toFixed(0)} ms):\n${s.groups.map((g) => `    ${g.pct.toFixed(1).padStart(5)}% ${g.group}`).join('\n')}\n  functions:\n${s.functions.map((f) => `    ${f.pct.toFixed(1).padStart(5)}% ${f.name} ${f.where}`).join('\n')}`,
  );
}

/** Rows of item 10: each path at each size against its tier's goal, and how it grew from the smallest size to the largest. */
function scaleRows(d: Driver, results: ScaleResult[]): void {
  for (const r of results) {
    if (r.buildMs !== null) add({ item: '10', what: `${d}: scale database built in SQL (users, channels, sessions, messages, indexes)`, n: fmtInt(r.messages), figure: fmtMs(r.buildMs), goal: '', status: 'info' });
  }
  const small = results[0];
  const large = results[results.length - 1];
  for (const p of large.paths) {
    const goal = p.path.startsWith('/mydata export') || p.path.startsWith('/mydata forget') ? 5000 : TIER_GOAL_MS[p.tier];
    const before = results.length > 1 ? small.paths.find((x) => x.path === p.path) : undefined;
    // Forget runs once per size: its p99 is its one figure.
    const growth = before ? p.summary.p99 / before.summary.p99 : null;
    const rss = p.path.startsWith('/mydata') ? `, peak RSS ${p.peakRssMb!.toFixed(0)} MB` : '';
    const rssOk = !rss || p.peakRssMb! <= 300;
    add({
      item: '10',
      what: `${d}: ${p.path} (${p.tier === 'interactive' ? 'reply not deferred' : p.tier === 'deferred' ? 'deferred reply' : "recorder's work"})`,
      n: `${fmtInt(large.messages)} ×${p.summary.n}`,
      figure: `p50 ${fmtMs(p.summary.p50)}, p99 ${fmtMs(p.summary.p99)}, max ${fmtMs(p.summary.max)}${rss}${growth === null ? '' : `; ${(large.messages / small.messages).toFixed(0)}× data → p99 ${growth.toFixed(2)}× (${fmtMs(before!.summary.p99)} at ${fmtInt(small.messages)})`}`,
      goal: `p99 ≤ ${fmtMs(goal)}${rss ? ', RSS ≤ 300 MB' : ''}${growth === null ? '' : ', growth ≤ 2×'}`,
      status: p.summary.p99 <= goal && rssOk && (growth === null || growth <= 2) ? 'ok' : 'MISSED',
    });
  }
}

function want(o: Opts, item: string): boolean {
  return !o.only || o.only.has(item);
}

async function main(): Promise<void> {
  const o = parseFlags(process.argv.slice(2));
  const started = performance.now();
  if (o.drivers.includes('postgres') && !(await BenchDb.postgresAvailable())) {
    log('PostgreSQL is not reachable at POSTGRES_ADMIN_URL: its figures are not run');
    o.drivers = o.drivers.filter((d) => d !== 'postgres');
    add({ item: '2', what: 'bot → postgres', n: '', figure: 'PostgreSQL unreachable (POSTGRES_ADMIN_URL)', goal: '', status: 'not run' });
  }
  log(
    `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${fmtMB(os.totalmem())} RAM, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; node ${process.version}`,
  );
  log(`content lengths: ${LENGTHS.length} log-normal lengths cycled, mean ${MEAN_LENGTH.toFixed(0)}, median ${median(LENGTHS)}, max ${Math.max(...LENGTHS)} characters`);
  if (o.profileDir) log(`CPU profiles go to ${o.profileDir}`);

  const ratios: Partial<Record<Driver, number>> = {};
  const emulatorItems = ['ceiling', 'bot', 'naive', 'latency', 'presence', 'memory', 'cold', 'outage'];
  const emu = emulatorItems.some((i) => want(o, i)) ? await EmulatorProcess.start({ channels: o.channels, users: o.users, heartbeatMs: HEARTBEAT_MS }) : null;
  if (emu) {
    try {
      // 1 and 2, interleaved: ceiling, bot per driver, ceiling again (the machine's speed drifts).
      const ceilings: Throughput[] = [];
      const ceilingRate = () => ceilings.reduce((a, c) => a + c.rate, 0) / ceilings.length;
      if (want(o, 'ceiling') || want(o, 'bot')) ceilings.push(await ceilingRun(emu, o, 'before'));
      const bots: Partial<Record<Driver, BotRun>> = {};
      if (want(o, 'bot') || want(o, 'latency') || want(o, 'presence') || want(o, 'memory')) {
        for (const d of o.drivers) bots[d] = await botRun(emu, o, d);
      }
      if (want(o, 'ceiling') || want(o, 'bot')) ceilings.push(await ceilingRun(emu, o, 'after'));
      if (want(o, 'bot')) {
        for (const d of o.drivers) {
          const s = await storeAlone(emu, o, d);
          add({
            item: '2',
            what: `store alone → ${d}: the same events, no gateway (the database side's own limit)`,
            n: fmtInt(o.messages),
            figure: `${fmtRate(s.rate)} (${cpuNote(s.window, o.messages, s.serverMs)})`,
            goal: '',
            status: 'info',
          });
        }
      }
      if (ceilings.length) {
        const c = ceilingRate();
        const spread = ceilings.map((x) => fmtInt(x.rate)).join(' / ');
        add({
          item: '1',
          what: 'ceiling: plain discord.js client, no-op messageCreate',
          n: fmtInt(o.messages),
          figure: `${fmtRate(c)} (mean of ${spread} before / after the bots; ${cpuNote(ceilings[0].window, o.messages, null, ceilings[0].emulatorMs)})`,
          goal: '',
          status: 'info',
        });
        const loops = ceilings.map((x) => x.window.burst).filter((x): x is BurstStats => !!x);
        if (loops.length) {
          const l = mergeBursts(loops);
          add({
            item: '11',
            what: 'ceiling (plain discord.js client) during the same flood: its own event loop and memory, for reference',
            n: fmtInt(o.messages),
            figure: `loop delay p99 ${fmtMs(l.loopP99Ms)} (max ${fmtMs(l.loopMaxMs)}); heartbeats acked ${l.heartbeatAcks}, missed ${l.heartbeatMissed}; peak RSS ${l.peakRss ? `${(l.peakRss / 1048576).toFixed(0)} MB` : '?'}`,
            goal: '',
            status: 'info',
          });
        }
        for (const d of o.drivers) {
          const b = bots[d];
          if (!b) continue;
          const r = b.throughput.rate / c;
          ratios[d] = r;
          add({ item: '2', what: `bot → ${d}: ratio to the ceiling`, n: fmtInt(o.messages), figure: `${r.toFixed(2)} (${fmtRate(b.throughput.rate)})`, goal: '≥ 0.80', status: b.check.ok ? (r >= 0.8 ? 'ok' : 'MISSED') : 'FAILED' });
        }
        // What the machine allows: the CPU every process spent per message, against the cores.
        const cores = os.cpus().length;
        const ceilingCpu = cpuPerMsg(ceilings[0], o.messages, null);
        for (const d of o.drivers) {
          const b = bots[d];
          const botCpu = b ? cpuPerMsg(b.throughput, o.messages, b.serverMs, d) : null;
          if (!b || botCpu === null || ceilingCpu === null) continue;
          const bound = (cores * 1e6) / botCpu;
          add({
            item: '2',
            what: `bot → ${d}: CPU per message in all processes (bot, emulator${d === 'postgres' ? ', postgres' : ''}), and the most ${cores} cores allow at that cost`,
            n: fmtInt(o.messages),
            figure: `${botCpu.toFixed(1)} µs (ceiling's: ${ceilingCpu.toFixed(1)} µs) → at most ${fmtRate(bound)}, ratio ≤ ${(bound / c).toFixed(2)}; 0.80 needs ≤ ${((cores * 1e6) / (0.8 * c)).toFixed(1)} µs`,
            goal: '',
            status: 'info',
          });
        }
      }

      // What messages' session index and foreign key cost the database side (opt-in).
      if (o.schema) {
        for (const d of o.drivers) {
          let base: number | null = null;
          for (const v of SCHEMA_VARIANTS) {
            const s = await storeAlone(emu, o, d, v);
            base ??= s.rate;
            add({
              item: '2',
              what: `store alone → ${d}, schema ${v.name}`,
              n: fmtInt(o.messages),
              figure: `${fmtRate(s.rate)} (${(s.rate / base).toFixed(2)}× as migrated; ${cpuNote(s.window, o.messages, s.serverMs)})`,
              goal: '',
              status: 'info',
            });
          }
        }
      }

      // 3. The naive way.
      if (want(o, 'naive') && o.naive > 0) {
        for (const d of o.drivers) {
          const r = await naiveRun(emu, o, d);
          const vs = ratios[d] !== undefined && bots[d] ? `; the bot is ${(bots[d]!.throughput.rate / r.rate).toFixed(0)}× faster` : '';
          add({ item: '3', what: `naive → ${d}: save() per message + user and session lookups${vs}`, n: fmtInt(o.naive), figure: fmtRate(r.rate), goal: '', status: r.check.ok ? 'info' : 'FAILED' });
          if (!r.check.ok) add({ item: '3', what: `naive → ${d}: recorded = sent`, n: fmtInt(o.naive), figure: r.check.detail, goal: 'equal', status: 'FAILED' });
        }
      }

      // 7. Cold start.
      if (want(o, 'cold') && o.cold > 0) {
        const runs: { ms: number; migrated: boolean }[] = [];
        for (let i = 0; i < o.cold; i++) {
          log(`cold start ${i + 1}/${o.cold}`);
          try {
            runs.push(await coldStart(emu));
          } catch (e) {
            add({ item: '7', what: 'cold start', n: '', figure: (e as Error).message, goal: '≤ 3 s', status: 'FAILED' });
          }
        }
        if (runs.length) {
          const ms = runs.map((r) => r.ms);
          const worst = Math.max(...ms);
          add({
            item: '7',
            what: `cold start: \`tsx src/main.ts\` spawn → "Chronicle is ready", empty SQLite file${runs.every((r) => r.migrated) ? ', migrations applied' : ' (NO migration log line seen)'}`,
            n: String(runs.length),
            figure: `median ${fmtMs(median(ms))}, max ${fmtMs(worst)}`,
            goal: '≤ 3 s',
            status: worst <= 3000 && runs.every((r) => r.migrated) ? 'ok' : 'MISSED',
          });
        }
      }
      // 8. Recovery after a PostgreSQL outage.
      if (want(o, 'outage') && o.outages > 0 && o.drivers.includes('postgres')) {
        if (!PgCluster.available()) add({ item: '8', what: 'postgres outage: bot_status edit once it accepts connections → op 3', n: '', figure: 'needs pg_createcluster as root', goal: 'p99 ≤ 1 s', status: 'not run' });
        else await outageRun(emu, o);
      }
      const violations = await emu.violations();
      if (violations.length) add({ item: '-', what: 'emulator: Discord API violations', n: String(violations.length), figure: JSON.stringify(violations[0]).slice(0, 120), goal: 'none', status: 'FAILED' });
    } finally {
      await emu.stop();
    }
  }

  // 6. Memory at scale.
  if (o.big) {
    for (const d of o.drivers) await bigRun(o, d);
  } else if (want(o, 'memory')) {
    add({ item: '6', what: 'memory after 1,000,000 messages from 10,000 users in 500 channels', n: '', figure: 'run with --big', goal: 'RSS ≤ 250 MB, flat', status: 'not run' });
  }

  // 9. Recording's latency during a retention purge.
  if (want(o, 'retention') && o.purge > 0) {
    for (const d of o.drivers) {
      const r = await retentionBench(d, o.purge, log);
      const ratio = r.during.p99 / r.alone.p99;
      add({ item: '9', what: `${d}: recording commit latency (10 messages every 10 ms) alone`, n: fmtInt(r.alone.n), figure: `p50 ${fmtMs(r.alone.p50)}, p99 ${fmtMs(r.alone.p99)}, max ${fmtMs(r.alone.max)}`, goal: '', status: 'info' });
      add({
        item: '9',
        what: `${d}: the same during a retention purge of ${fmtInt(r.old)} old messages (${fmtInt(r.purged)} deleted in ${fmtMs(r.purgeMs)}, ${fmtRate((r.purged * 1000) / r.purgeMs).replace('msg/s', 'deleted/s')})`,
        n: fmtInt(r.during.n),
        figure: `p50 ${fmtMs(r.during.p50)}, p99 ${fmtMs(r.during.p99)}, max ${fmtMs(r.during.max)}; p99 ${ratio.toFixed(2)}× alone`,
        goal: 'p99 ≤ 2× alone',
        status: r.purged === r.old ? (ratio <= 2 ? 'ok' : 'MISSED') : 'FAILED',
      });
    }
  }

  // 10. Read paths on large databases.
  const slowest: Partial<Record<Driver, number>> = {};
  if (o.scale ? want(o, 'scale') : o.only?.has('scale')) {
    for (const d of o.drivers) {
      const results: ScaleResult[] = [];
      for (const n of o.scaleSizes) results.push(await scaleBench(d, n, log, { calls: o.scaleCalls }));
      scaleRows(d, results);
      const largest = results[results.length - 1];
      const interactive = largest.paths.filter((p) => p.tier === 'interactive').map((p) => p.summary.p99);
      if (interactive.length) slowest[d] = Math.max(...interactive);
    }
  }

  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  printTable();
  const fmt = (d: Driver) => (ratios[d] === undefined ? 'n/a' : ratios[d]!.toFixed(2));
  console.log(`ratio sqlite=${fmt('sqlite')} postgres=${fmt('postgres')}`);
  if (Object.keys(slowest).length) {
    const ms = (d: Driver) => (slowest[d] === undefined ? 'n/a' : String(Math.round(slowest[d]!)));
    console.log(`scale sqlite=${ms('sqlite')} postgres=${ms('postgres')}`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
