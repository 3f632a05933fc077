import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DataError, ForeignKeyError, UniqueViolationError, ValidationError } from '../database/errors';
import type { BatchResult, PreparedBatch, RecordedEvent } from '../database/stores/recording.store';
import type { Logger } from '../logger';

export interface BatchWriter {
  writeBatch(events: RecordedEvent[]): Promise<BatchResult>;
  /**
   * The same in two steps (RecordingStore has it): with it, the queue prepares the next full batch
   * while the previous one commits, so the event loop's share of the work overlaps the database's.
   */
  prepare?(events: RecordedEvent[]): Promise<PreparedBatch>;
}

export interface WriteQueueOptions {
  /** Most events per transaction. */
  maxBatch: number;
  /** How long the first event of a batch may wait for company. */
  flushMs: number;
  /** Events held in memory; beyond this they go to `spillFile` and come back when there is room. */
  maxQueue: number;
  spillFile: string;
  logger: Logger;
}

interface Item {
  event: RecordedEvent;
  /** performance.now() when the event arrived (for latency figures). */
  at: number;
}

/** A spill file claimed for reading back, read a block at a time. */
interface SpillReader {
  file: string;
  fd: number;
  /** Complete lines read from the file but not yet taken. */
  lines: string[];
  /** The bytes of an incomplete last line. */
  carry: Buffer;
  eof: boolean;
}

const READ_BLOCK = 1 << 20;

/** Errors retrying cannot fix: the database refused the data for good, or the event itself is malformed. */
const PERMANENT = [UniqueViolationError, ForeignKeyError, ValidationError, DataError, TypeError, RangeError];

/**
 * The recorder's write-behind queue. Events are written in batches (one transaction each) at most
 * `flushMs` after the first arrives or as soon as `maxBatch` are waiting. When the database is slow
 * or down the batch is retried with backoff (100 ms doubling to 5 s) and nothing is dropped: past
 * `maxQueue` events the overflow is appended to a spill file on disk and read back when there is
 * room (also at the next start, if the process died with a spill file). A batch that fails for a
 * reason retrying cannot fix (a constraint or validation error) is split until the event at fault
 * is found; that event alone is logged with its message ids and dropped — the only loss.
 */
export class WriteQueue {
  private queue: Item[] = [];
  /** Events on disk, not yet read back (in the claimed file being read, then in the spill file). */
  private spilled = 0;
  private reader: SpillReader | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private backoff = 0;
  /** Current batch size: maxBatch, or smaller while a failing batch is being narrowed down. */
  private limit: number;
  /** Events still in the window of a batch that failed permanently. */
  private suspect = 0;
  private closed = false;
  /** Events written or dropped so far; the queue is FIFO, so this is a position in arrival order. */
  private processed = 0;
  private flushWaiters: { target: number; resolve: () => void }[] = [];
  /** The next batch, being prepared while the one before it commits: its first item and size. */
  private ahead: { first: Item; count: number; prepared: Promise<PreparedBatch> } | null = null;
  /** The batch whose commit is under way. */
  private committing: Item[] | null = null;
  readonly stats = { received: 0, written: 0, batches: 0, failures: 0, lost: 0, spilled: 0, inserted: 0, duplicates: 0 };
  /** Called after each committed batch with the arrival times of its events. */
  onCommitted?: (items: { event: RecordedEvent; at: number }[], result: BatchResult) => void;

  constructor(
    private readonly writer: BatchWriter,
    private readonly opts: WriteQueueOptions,
  ) {
    this.limit = opts.maxBatch;
    this.recoverSpill();
  }

  get depth(): number {
    return this.queue.length + this.spilled;
  }

  push(event: RecordedEvent): void {
    this.stats.received++;
    // Once anything is on disk, later events go there too, behind it: the order is kept.
    if (this.spilled > 0 || this.queue.length >= this.opts.maxQueue) {
      this.spill([{ event, at: performance.now() }]);
    } else {
      this.queue.push({ event, at: performance.now() });
    }
    this.schedule();
  }

  /** Starts a drain after `delay` ms (default: the backoff, or at once for a full batch, else flushMs). */
  private schedule(delay?: number): void {
    if (this.running || this.timer) return;
    delay ??= this.backoff || (this.queue.length >= this.opts.maxBatch ? 0 : this.opts.flushMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.drain().finally(() => {
        this.running = null;
        if (this.queue.length || this.spilled) this.schedule();
      });
    }, delay);
  }

  private async drain(): Promise<void> {
    try {
      await this.drainLoop();
    } finally {
      this.dropAhead();
    }
  }

  private async drainLoop(): Promise<void> {
    while (this.queue.length || this.spilled) {
      if (!this.queue.length) this.unspill();
      const ahead = this.ahead && this.ahead.first === this.queue[0] ? this.ahead : null;
      if (ahead) this.ahead = null;
      else this.dropAhead();
      const batch = this.queue.slice(0, ahead ? ahead.count : this.limit);
      const outcome = await this.write(batch, ahead?.prepared);
      if (outcome === 'retry') return; // backing off: schedule() comes back later
      this.backoff = 0;
      if (outcome === 'done') {
        this.queue.splice(0, batch.length);
        this.advance(batch.length);
        if (this.suspect > 0) this.suspect -= batch.length;
      }
      if (this.suspect <= 0) {
        this.suspect = 0;
        this.limit = this.opts.maxBatch;
      }
      if (this.queue.length < this.opts.maxQueue / 2 && this.spilled) this.unspill();
      // Below a full batch, let more events gather (latency stays ≤ flushMs).
      if (this.queue.length < this.opts.maxBatch && !this.closed && !this.suspect && !this.flushWaiters.length) return;
    }
  }

  /**
   * Writes a batch. A retryable failure → 'retry' (with backoff). A permanent one on a batch of
   * several → 'split': the batch limit halves and drain() tries the same events again in smaller
   * batches until the one at fault is alone; that one is logged and dropped ('done').
   */
  private async write(batch: Item[], prepared?: Promise<PreparedBatch>): Promise<'done' | 'retry' | 'split'> {
    try {
      let result: BatchResult;
      if (this.writer.prepare) {
        const p = await (prepared ?? this.writer.prepare(batch.map((i) => i.event)));
        this.committing = batch;
        try {
          result = await p.commit(() => {
            if (this.committing === batch) this.prepareAhead(batch.length);
          });
        } finally {
          this.committing = null;
        }
      } else {
        result = await this.writer.writeBatch(batch.map((i) => i.event));
      }
      this.stats.batches++;
      this.stats.written += batch.length;
      this.stats.inserted += result.inserted;
      this.stats.duplicates += result.duplicates;
      this.onCommitted?.(batch, result);
      return 'done';
    } catch (e) {
      this.dropAhead();
      this.stats.failures++;
      if (!PERMANENT.some((k) => e instanceof k)) {
        this.backoff = Math.min(this.backoff ? this.backoff * 2 : 100, 5_000);
        this.opts.logger.warn({ source: 'recorder', err: (e as Error).message, queued: this.depth, retryInMs: this.backoff }, 'recorder: database write failed; will retry');
        return 'retry';
      }
      if (batch.length > 1) {
        // Narrow down: the same events are retried from the head of the queue in halves.
        this.suspect = Math.max(this.suspect, batch.length);
        this.limit = Math.ceil(batch.length / 2);
        return 'split';
      }
      this.stats.lost++;
      const ids = messageIds(batch[0].event);
      this.opts.logger.error({ source: 'recorder', err: (e as Error).message, messageIds: ids, kind: batch[0].event.kind }, `recorder: could not store message ${ids.join(', ')}; dropped`);
      return 'done';
    }
  }

  /**
   * While a batch commits, starts preparing the next one — only when a full batch waits behind it
   * and nothing is going wrong (no backoff, no failing batch being narrowed down).
   */
  private prepareAhead(offset: number): void {
    if (!this.writer.prepare || this.ahead || this.suspect || this.backoff || this.limit !== this.opts.maxBatch) return;
    if (this.queue.length - offset < this.opts.maxBatch) return;
    const items = this.queue.slice(offset, offset + this.opts.maxBatch);
    const prepared = this.writer.prepare(items.map((i) => i.event));
    prepared.catch(() => undefined); // seen when the batch is written (or dropped)
    this.ahead = { first: items[0], count: items.length, prepared };
  }

  /** Gives up a batch prepared ahead (its predecessor failed, or the queue moved on). */
  private dropAhead(): void {
    const ahead = this.ahead;
    this.ahead = null;
    ahead?.prepared.then((p) => p.discard(), () => undefined);
  }

  private spill(items: Item[]): void {
    if (!this.spilled) mkdirSync(path.dirname(this.opts.spillFile), { recursive: true });
    appendFileSync(this.opts.spillFile, items.map((i) => JSON.stringify(i.event)).join('\n') + '\n');
    this.spilled += items.length;
    this.stats.spilled += items.length;
    if (this.spilled === items.length) this.opts.logger.warn({ source: 'recorder', spillFile: this.opts.spillFile, maxQueue: this.opts.maxQueue }, 'recorder: queue full; keeping further events on disk until the database catches up');
  }

  /**
   * Reads spilled events back, oldest first, while there is room in memory (up to `maxQueue`): the
   * spill file is claimed (renamed; later events start a new one behind it) and read a block at a
   * time, so a large spill never comes back into memory all at once.
   */
  private unspill(): void {
    let room = this.opts.maxQueue - this.queue.length;
    const at = performance.now();
    while (room > 0) {
      if (!this.reader) {
        if (!existsSync(this.opts.spillFile)) break;
        const file = `${this.opts.spillFile}.${process.pid}.reading`;
        renameSync(this.opts.spillFile, file);
        this.reader = { file, fd: openSync(file, 'r'), lines: [], carry: Buffer.alloc(0), eof: false };
      }
      const r = this.reader;
      if (!r.lines.length && !r.eof) readBlock(r);
      const take = r.lines.splice(0, room);
      for (const line of take) this.queue.push({ event: reviveEvent(JSON.parse(line)), at });
      room -= take.length;
      this.spilled = Math.max(0, this.spilled - take.length);
      if (r.eof && !r.lines.length) {
        closeSync(r.fd);
        rmSync(r.file, { force: true });
        this.reader = null;
      }
    }
    if (!this.reader && !existsSync(this.opts.spillFile)) this.spilled = 0;
  }

  /**
   * A spill file left by a process that died is replayed first — after any file it was reading
   * back when it died (replaying the part already written again is harmless: creates are
   * idempotent, and edits and deletes come again in their order).
   */
  private recoverSpill(): void {
    const dir = path.dirname(this.opts.spillFile);
    const base = path.basename(this.opts.spillFile);
    let orphans: string[] = [];
    try {
      orphans = readdirSync(dir)
        .filter((f) => f.startsWith(`${base}.`) && /\.\d+\.(reading|closing)$/.test(f) && !alive(Number(f.split('.').at(-2))))
        .map((f) => path.join(dir, f))
        .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
    } catch {
      // no directory yet: nothing to recover
    }
    if (orphans.length) {
      const merged = `${this.opts.spillFile}.${process.pid}.closing`;
      const out = openSync(merged, 'a');
      for (const f of [...orphans.filter((f) => f !== merged), ...(existsSync(this.opts.spillFile) ? [this.opts.spillFile] : [])]) {
        copyRest(openSync(f, 'r'), out, Buffer.alloc(0));
        rmSync(f, { force: true });
      }
      closeSync(out);
      renameSync(merged, this.opts.spillFile);
    }
    if (existsSync(this.opts.spillFile)) {
      this.spilled = countLines(this.opts.spillFile);
      this.stats.received += this.spilled;
      this.opts.logger.info({ source: 'recorder', events: this.spilled }, 'recorder: replaying events kept on disk by an earlier run');
      this.unspill();
      this.schedule();
    }
  }

  private advance(n: number): void {
    this.processed += n;
    if (!this.flushWaiters.length) return;
    const done = this.flushWaiters.filter((w) => w.target <= this.processed);
    this.flushWaiters = this.flushWaiters.filter((w) => w.target > this.processed);
    for (const w of done) w.resolve();
  }

  /**
   * Resolves when every event received before the call is committed (or, if refused for good,
   * logged and dropped), retrying as long as that takes. Events arriving meanwhile do not delay it.
   */
  flush(): Promise<void> {
    const target = this.stats.received;
    if (this.processed >= target) return Promise.resolve();
    if (this.timer && !this.backoff) {
      clearTimeout(this.timer);
      this.timer = null;
      this.schedule(0);
    }
    return new Promise((resolve) => this.flushWaiters.push({ target, resolve }));
  }

  /**
   * At shutdown: the events still in memory (the oldest), then those of a spill file being read
   * back, then the spill file, all into the spill file in that order, for the next start.
   */
  private keepOnDisk(left: Item[]): void {
    if (!left.length && !this.reader) return;
    mkdirSync(path.dirname(this.opts.spillFile), { recursive: true });
    const merged = `${this.opts.spillFile}.${process.pid}.closing`;
    const out = openSync(merged, 'w');
    if (left.length) writeSync(out, left.map((i) => JSON.stringify(i.event)).join('\n') + '\n');
    const r = this.reader;
    if (r) {
      if (r.lines.length) writeSync(out, r.lines.join('\n') + '\n');
      copyRest(r.fd, out, r.carry);
      rmSync(r.file, { force: true });
      this.reader = null;
    }
    if (existsSync(this.opts.spillFile)) copyRest(openSync(this.opts.spillFile, 'r'), out, Buffer.alloc(0));
    closeSync(out);
    renameSync(merged, this.opts.spillFile);
    this.spilled += left.length;
    this.stats.spilled += left.length;
  }

  /**
   * Stops for shutdown: writes everything, waiting up to `timeoutMs` for the database; what is still
   * unwritten then is kept in the spill file for the next start (and logged).
   */
  async close(timeoutMs = 15_000): Promise<void> {
    this.closed = true;
    let timeout: NodeJS.Timeout | undefined;
    const done = await Promise.race([this.flush().then(() => true), new Promise<boolean>((r) => (timeout = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(timeout);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!done) {
      if (this.running) await Promise.race([this.running, new Promise((r) => setTimeout(r, 1000))]);
      const left = this.queue.splice(0);
      const kept = left.length + this.spilled;
      this.keepOnDisk(left);
      this.opts.logger.error({ source: 'recorder', kept, spillFile: this.opts.spillFile }, 'recorder: database unavailable at shutdown; unwritten events kept on disk for the next start');
    }
  }
}

/** Whether a process with this id is running (its spill files are its own business). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads the next block of a claimed spill file into complete lines. */
function readBlock(r: SpillReader): void {
  const buf = Buffer.allocUnsafe(READ_BLOCK);
  const n = readSync(r.fd, buf, 0, READ_BLOCK, null);
  if (n === 0) {
    r.eof = true;
    const last = r.carry.toString('utf8');
    r.carry = Buffer.alloc(0);
    if (last.trim()) r.lines.push(last);
    return;
  }
  const data = r.carry.length ? Buffer.concat([r.carry, buf.subarray(0, n)]) : buf.subarray(0, n);
  const end = data.lastIndexOf(0x0a);
  if (end < 0) {
    r.carry = Buffer.from(data);
    return;
  }
  for (const line of data.subarray(0, end).toString('utf8').split('\n')) if (line) r.lines.push(line);
  r.carry = Buffer.from(data.subarray(end + 1));
}

/** Appends `head` and then everything from `from`'s current position to `to`; closes `from`. */
function copyRest(from: number, to: number, head: Buffer): void {
  if (head.length) writeSync(to, head);
  const buf = Buffer.allocUnsafe(READ_BLOCK);
  for (let n = readSync(from, buf, 0, READ_BLOCK, null); n > 0; n = readSync(from, buf, 0, READ_BLOCK, null)) writeSync(to, buf, 0, n);
  closeSync(from);
}

function countLines(file: string): number {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(READ_BLOCK);
  let lines = 0;
  let last = 0x0a;
  for (let n = readSync(fd, buf, 0, READ_BLOCK, null); n > 0; n = readSync(fd, buf, 0, READ_BLOCK, null)) {
    for (let i = 0; i < n; i++) if (buf[i] === 0x0a) lines++;
    last = buf[n - 1];
  }
  closeSync(fd);
  return lines + (last === 0x0a ? 0 : 1);
}

function messageIds(e: RecordedEvent): string[] {
  return e.kind === 'delete' ? e.discordMessageIds : [e.discordMessageId];
}

const DATE_KEYS = new Set(['createdAt', 'editedAt', 'deletedAt']);
/** JSON → event, with its dates back as Dates. */
export function reviveEvent(raw: RecordedEvent): RecordedEvent {
  const revive = (o: Record<string, unknown>) => {
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (DATE_KEYS.has(k) && typeof v === 'string') o[k] = new Date(v);
      else if (v && typeof v === 'object' && !Array.isArray(v) && k === 'full') revive(v as Record<string, unknown>);
    }
    return o;
  };
  return revive(raw as unknown as Record<string, unknown>) as unknown as RecordedEvent;
}
