/**
 * One measured client, in its own process (forked by bench/run.ts with the same node flags for every
 * kind, so the ceiling client and the bot get the same CPU conditions):
 * - `ceiling`: a plain discord.js client with the bot's clientOptions() and a no-op messageCreate;
 * - `bot`: the real bot (startBot) on a database;
 * - `naive`: a discord.js client that stores each message the way template bots do: one
 *   `repository.save()` per message after a user lookup and a session lookup.
 * - `store`: the write queue and RecordingStore alone, with the events the flood would produce (no gateway).
 * Talks to the parent over IPC: `expect` opens a window of N messages and answers when the N-th is
 * received (ceiling) or committed (bot, naive); `mem` answers RSS/heap after GC; `stop` shuts down.
 * Debugging aids (environment): BENCH_TRACE_SQL=1 prints wall time per statement kind at stop;
 * BENCH_MEM_TRACE=1 prints the bot's memory and queue depth every second.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Client, Events, type Message as DjsMessage } from 'discord.js';
import { IsNull } from 'typeorm';
import { startBot, type Bot } from '../src/bot/bot';
import { clientOptions } from '../src/bot/client';
import { loadConfig } from '../src/config';
import { Database } from '../src/database/database';
import { Message } from '../src/entities/Message';
import { Session } from '../src/entities/Session';
import { User } from '../src/entities/User';
import type { RecordedCreate } from '../src/recording/events';
import { RecordingStore } from '../src/recording/recording.store';
import { WriteQueue } from '../src/recording/write-queue';
import { createLogger } from '../src/logger';
import { procStatCpuMs, summarize, type Summary } from './stats';

export type WorkerMode = 'ceiling' | 'bot' | 'naive' | 'store';

export interface InitMsg {
  type: 'init';
  mode: WorkerMode;
  apiUrl: string;
  token: string;
  databaseUrl?: string;
  spillFile?: string;
  env?: Record<string, string>;
  /** store mode: the world the events come from (as the flood would send them). */
  userIds?: string[];
  channelIds?: string[];
  guildId?: string;
  contentLengths?: number[];
}

export type ToWorker = InitMsg | { type: 'expect'; id: number; count: number; latency?: boolean } | { type: 'mem' } | { type: 'storeRun'; id: number; count: number; batch: number } | { type: 'stop' };

export interface WindowResult {
  type: 'done';
  id: number;
  count: number;
  /** ms from the window's first arrival to its last arrival (ceiling) or last commit (bot, naive). */
  ms: number;
  /** ms from the first to the last arrival (how fast the client took the frames off the socket). */
  arrivalMs: number;
  /** CPU time (user + system) this process used during the window, ms. */
  cpuMs: number;
  /** CPU ms by thread: main (the event loop) and other (libuv pool, where sqlite3 runs statements; V8's GC and compiler threads). */
  threadMs: Record<string, number>;
  latency?: Summary;
  errors: number;
  /** bot mode: the event loop and the gateway connection during the window (item 11, bursts). */
  burst?: BurstStats;
}

export interface BurstStats {
  /** Event-loop delay over the window (perf_hooks.monitorEventLoopDelay, 10 ms resolution), ms. */
  loopP99Ms: number;
  loopMaxMs: number;
  /** Heartbeats acknowledged, and those whose ACK did not come before the next was due (discord.js then drops the connection as a zombie). */
  heartbeatAcks: number;
  heartbeatMissed: number;
  /** Highest RSS during the window (VmHWM, reset at the window's start), bytes; 0 where unknown. */
  peakRss: number;
  /** The most events the write queue held in memory, and on disk (spilled), during the window. */
  queuePeak: number;
  spilledPeak: number;
  /** The most bytes the write queue's memory estimate reached during the window. */
  queueBytesPeak: number;
}

export interface MemResult {
  type: 'mem';
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** The process's highest RSS so far (VmHWM), 0 where unknown. */
  peakRss: number;
}

export type FromWorker = { type: 'ready'; ms: number } | WindowResult | MemResult | { type: 'stopped'; stats?: Record<string, number> } | { type: 'error'; message: string };

const send = (m: FromWorker) => process.send!(m);

/** BENCH_TRACE_SQL=1: wall time per statement kind, printed to stderr at stop (for finding the slow statement). */
const sqlTimes = new Map<string, { n: number; ms: number }>();
if (process.env.BENCH_TRACE_SQL) {
  /* eslint-disable @typescript-eslint/no-require-imports */
  for (const mod of ['typeorm/driver/sqlite/SqliteQueryRunner', 'typeorm/driver/postgres/PostgresQueryRunner']) {
    const exported = require(mod) as Record<string, { prototype: { query: (...a: unknown[]) => Promise<unknown> } }>;
    const R = Object.values(exported)[0];
    const orig = R.prototype.query;
    R.prototype.query = async function (this: unknown, ...args: unknown[]) {
      const t = performance.now();
      try {
        return await orig.apply(this, args);
      } finally {
        const k = String(args[0]).replace(/\s+/g, ' ').slice(0, 48);
        const e = sqlTimes.get(k) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += performance.now() - t;
        sqlTimes.set(k, e);
      }
    };
  }
}
function printSqlTimes(): void {
  if (!sqlTimes.size) return;
  const rows = [...sqlTimes].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12);
  process.stderr.write(`sql wall time (${process.env.BENCH_LABEL ?? ''}):\n${rows.map(([k, v]) => `${v.ms.toFixed(0).padStart(8)} ms ${String(v.n).padStart(7)}x  ${k}`).join('\n')}\n`);
}

/** CPU ms of the main thread and of all other threads, from /proc/self/task (Linux only). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out; // not Linux
  }
  for (const tid of tids) {
    const ms = procStatCpuMs(`/proc/self/task/${tid}/stat`);
    if (ms === null) continue;
    // Node 20 does not name its threads: the libuv pool (where sqlite3 runs statements) and V8's
    // helpers (GC, compiler) are all "other".
    const kind = tid === String(process.pid) ? 'main' : 'other';
    out.set(kind, (out.get(kind) ?? 0) + ms);
  }
  return out;
}

function cpuDelta(a: Map<string, number>, b: Map<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [k, v] of b) d[k] = v - (a.get(k) ?? 0);
  return d;
}

interface Window {
  id: number;
  count: number;
  seen: number;
  firstAt: number;
  lastArrival: number;
  cpu: NodeJS.CpuUsage;
  threads: Map<string, number>;
  latencies: number[] | null;
  burst: BurstWatch | null;
}

let win: Window | null = null;
let errors = 0;
/** bot mode: watches the event loop, the heartbeats and the queue while a window is open. */
let burstWatch: (() => BurstWatch) | null = null;

interface BurstWatch {
  stop(): BurstStats;
}

function openWindow(id: number, count: number, latency: boolean): void {
  win = { id, count, seen: 0, firstAt: 0, lastArrival: 0, cpu: process.cpuUsage(), threads: threadCpu(), latencies: latency ? [] : null, burst: burstWatch?.() ?? null };
}

/** Resets the kernel's peak-RSS mark (VmHWM) of this process, so the next reading is this window's. */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux, or not allowed: the peak is then the process's
  }
}

function peakRssBytes(): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return hwm ? Number(hwm[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** What the client's event loop, gateway connection and (the bot's) queue did from now until stop(). */
function watchBurst(bot: Bot | null, heartbeats: { acks: number; missed: number }): BurstWatch {
  const loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  resetPeakRss();
  const acks0 = heartbeats.acks;
  const missed0 = heartbeats.missed;
  let queuePeak = 0;
  let spilledPeak = 0;
  let bytesPeak = 0;
  const sample = () => {
    if (!bot) return;
    queuePeak = Math.max(queuePeak, bot.queue.inMemory);
    spilledPeak = Math.max(spilledPeak, bot.queue.onDisk);
    bytesPeak = Math.max(bytesPeak, bot.queue.bytes);
  };
  const timer = setInterval(sample, 20);
  return {
    stop() {
      clearInterval(timer);
      sample();
      loop.disable();
      return {
        loopP99Ms: loop.percentile(99) / 1e6,
        loopMaxMs: loop.max / 1e6,
        heartbeatAcks: heartbeats.acks - acks0,
        heartbeatMissed: heartbeats.missed - missed0,
        peakRss: peakRssBytes(),
        queuePeak,
        spilledPeak,
        queueBytesPeak: bytesPeak,
      };
    },
  };
}

/** Counts `n` finished messages (received or committed) that arrived at `firstArrival`…`lastArrival` (performance.now()). */
function progress(n: number, firstArrival: number, lastArrival: number): void {
  const w = win;
  if (!w) return;
  if (w.seen === 0) w.firstAt = firstArrival;
  w.seen += n;
  w.lastArrival = lastArrival;
  if (w.seen >= w.count) {
    const end = performance.now();
    const cpu = process.cpuUsage(w.cpu);
    win = null;
    send({
      type: 'done',
      id: w.id,
      count: w.seen,
      ms: end - w.firstAt,
      arrivalMs: w.lastArrival - w.firstAt,
      cpuMs: (cpu.user + cpu.system) / 1000,
      threadMs: cpuDelta(w.threads, threadCpu()),
      latency: w.latencies ? summarize(w.latencies) : undefined,
      errors,
      burst: w.burst?.stop(),
    });
  }
}

/** Heartbeats as discord.js reports them: an ACK, or a connection dropped because none came. */
function countHeartbeats(client: Client): { acks: number; missed: number } {
  const heartbeats = { acks: 0, missed: 0 };
  client.on(Events.Debug, (line) => {
    if (line.includes('Heartbeat acknowledged')) heartbeats.acks++;
    else if (line.includes('Zombie connection')) heartbeats.missed++;
  });
  return heartbeats;
}

async function startCeiling(init: InitMsg): Promise<() => Promise<void>> {
  const client = new Client(clientOptions({ apiUrl: init.apiUrl }));
  const heartbeats = countHeartbeats(client);
  burstWatch = () => watchBurst(null, heartbeats);
  client.on(Events.MessageCreate, () => {
    const now = performance.now();
    progress(1, now, now);
  });
  await loginAndWait(client, init.token);
  return async () => {
    await client.destroy();
  };
}

async function startRealBot(init: InitMsg): Promise<{ bot: Bot; stop: () => Promise<void> }> {
  const config = loadConfig({ DATABASE_URL: init.databaseUrl, DISCORD_TOKEN: init.token, DISCORD_API_URL: init.apiUrl, MIGRATIONS: 'auto', LOG_LEVEL: 'warn', ...init.env });
  const bot = await startBot({ config, queue: init.spillFile ? { spillFile: init.spillFile } : undefined });
  burstWatch = () => watchBurst(bot, countHeartbeats(bot.client));
  bot.queue.onCommitted = (items) => {
    const w = win;
    if (!w) return;
    let n = 0;
    const now = Date.now();
    for (const { event } of items) {
      if (event.kind !== 'create') continue;
      n++;
      w.latencies?.push(now - event.createdAt.getTime());
    }
    if (n) progress(n, items[0].at, items[items.length - 1].at);
  };
  if (process.env.BENCH_MEM_TRACE) {
    const t = setInterval(() => {
      const m = process.memoryUsage();
      const mb = (b: number) => (b / 1048576).toFixed(0);
      process.stderr.write(`mem: rss ${mb(m.rss)} heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} external ${mb(m.external)} buffers ${mb(m.arrayBuffers)} queue ${bot.queue.depth}\n`);
    }, 1000);
    t.unref();
  }
  return { bot, stop: () => bot.stop() };
}

/** What a template bot does: per message, find-or-create the user, find-or-create the session, save the message. */
async function startNaive(init: InitMsg): Promise<() => Promise<void>> {
  const config = loadConfig({ DATABASE_URL: init.databaseUrl, MIGRATIONS: 'auto', LOG_LEVEL: 'warn' });
  const db = await Database.open(config.database);
  await db.migrate();
  const users = db.dataSource.getRepository(User);
  const sessions = db.dataSource.getRepository(Session);
  const messages = db.dataSource.getRepository(Message);
  const idleMs = config.sessionIdleMinutes * 60_000;
  const save = async (m: DjsMessage, arrival: number) => {
    const now = new Date();
    let user = await users.findOneBy({ channel: 'discord', channelUserId: m.author.id });
    if (!user) {
      user = await users.save(users.create({ id: randomUUID(), channel: 'discord', channelUserId: m.author.id, username: m.author.username, displayName: m.member?.nickname ?? m.author.globalName ?? null, createdAt: now, updatedAt: now }));
    }
    let session = await sessions.findOne({ where: { userId: user.id, channelId: m.channelId, endedAt: IsNull() }, order: { updatedAt: 'DESC' } });
    if (!session || m.createdAt.getTime() - session.updatedAt.getTime() >= idleMs) {
      session = await sessions.save(sessions.create({ id: randomUUID(), userId: user.id, channelId: m.channelId, guildId: m.guildId, createdAt: m.createdAt, updatedAt: m.createdAt, endedAt: null }));
    } else {
      session.updatedAt = m.createdAt;
      await sessions.save(session);
    }
    await messages.save(
      messages.create({
        id: randomUUID(),
        sessionId: session.id,
        role: 'user',
        content: m.content,
        contentEscaped: false,
        discordMessageId: m.id,
        channelId: m.channelId,
        guildId: m.guildId,
        replyToId: null,
        metadata: null,
        createdAt: m.createdAt,
        editedAt: null,
        deletedAt: null,
      }),
    );
    progress(1, arrival, arrival);
  };
  const client = new Client(clientOptions({ apiUrl: init.apiUrl }));
  // One at a time, as `await` in a handler would if events did not overlap: concurrent saves on
  // one SQLite connection fail ("cannot start a transaction within a transaction") and concurrent
  // find-or-create makes duplicate users; serialising is the version of the naive way that works.
  let chain = Promise.resolve();
  client.on(Events.MessageCreate, (m) => {
    const arrival = performance.now();
    chain = chain
      .then(() => save(m, arrival))
      .catch((e: Error) => {
        errors++;
        if (errors <= 5) process.stderr.write(`naive: ${e.message}\n`);
      });
  });
  await loginAndWait(client, init.token);
  return async () => {
    await chain;
    await client.destroy();
    await db.close();
  };
}

/**
 * The store alone: the events the recorder would make from the flood (same authors, channels,
 * content lengths, id order) pushed at once into the bot's write queue over a RecordingStore,
 * `batch` per transaction, no gateway: how fast the database side can go on its own.
 */
async function startStore(init: InitMsg): Promise<{ run: (id: number, count: number, batch: number) => Promise<void>; stop: () => Promise<void> }> {
  const config = loadConfig({ DATABASE_URL: init.databaseUrl, MIGRATIONS: 'auto', LOG_LEVEL: 'warn' });
  const db = await Database.open(config.database);
  await db.migrate();
  const store = new RecordingStore(db, { idleMs: config.sessionIdleMinutes * 60_000 });
  const users = init.userIds!.map((id, i) => ({ id, username: `user${i + 1}`, displayName: null }));
  const channels = init.channelIds!;
  const lengths = init.contentLengths!;
  const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua ';
  const text = words.repeat(Math.ceil(2000 / words.length) + 1);
  let next = (BigInt(Date.now()) - 1420070400000n) << 22n;
  const run = async (id: number, count: number, batch: number) => {
    const events: RecordedCreate[] = [];
    for (let i = 0; i < count; i++) {
      events.push({
        kind: 'create',
        discordMessageId: (next++).toString(),
        channelId: channels[i % channels.length],
        guildId: init.guildId ?? null,
        author: users[Math.floor(i / channels.length) % users.length],
        role: 'user',
        sessionOwner: null,
        content: text.slice(0, lengths[i % lengths.length]),
        createdAt: new Date(),
        editedAt: null,
        replyToId: null,
        metadata: null,
      });
    }
    // Through the bot's write queue (so batches are prepared ahead, as in the bot), all at once.
    const queue = new WriteQueue(store, {
      maxBatch: batch,
      flushMs: config.recorder.flushMs,
      maxQueue: count + 1,
      spillFile: path.join(os.tmpdir(), `chronicle-bench-store-${process.pid}.jsonl`),
      logger: createLogger({ level: 'warn' }).logger,
    });
    queue.onCommitted = (items) => progress(items.length, t0, t0);
    openWindow(id, count, false);
    const t0 = performance.now();
    for (const e of events) queue.push(e);
    await queue.flush();
    await queue.close();
  };
  return { run, stop: () => db.close() };
}

function loginAndWait(client: Client, token: string): Promise<void> {
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  return client.login(token).then(() => ready);
}

async function memory(): Promise<MemResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  const peakRss = peakRssBytes();
  return { type: 'mem', rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, peakRss };
}

async function main(): Promise<void> {
  let stop: (() => Promise<void>) | null = null;
  let bot: Bot | null = null;
  let storeRun: ((id: number, count: number, batch: number) => Promise<void>) | null = null;
  process.on('message', (msg: ToWorker) => {
    void (async () => {
      try {
        switch (msg.type) {
          case 'init': {
            const t = performance.now();
            if (msg.mode === 'ceiling') stop = await startCeiling(msg);
            else if (msg.mode === 'naive') stop = await startNaive(msg);
            else if (msg.mode === 'store') ({ run: storeRun, stop } = await startStore(msg));
            else ({ bot, stop } = await startRealBot(msg));
            send({ type: 'ready', ms: performance.now() - t });
            break;
          }
          case 'expect':
            openWindow(msg.id, msg.count, !!msg.latency);
            break;
          case 'mem':
            send(await memory());
            break;
          case 'storeRun':
            await storeRun!(msg.id, msg.count, msg.batch);
            break;
          case 'stop': {
            await stop?.();
            printSqlTimes();
            const stats = (bot as Bot | null)?.queue.stats;
            send({ type: 'stopped', stats: stats ? { ...stats } : undefined });
            process.disconnect?.();
            setTimeout(() => process.exit(0), 50);
            break;
          }
        }
      } catch (e) {
        send({ type: 'error', message: (e as Error).stack ?? String(e) });
      }
    })();
  });
}

void main();
