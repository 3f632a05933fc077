import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DataError, ForeignKeyError, UniqueViolationError, ValidationError } from '../database/errors';
import type { BatchResult, RecordedEvent } from '../database/stores/recording.store';
import type { Logger } from '../logger';

export interface BatchWriter {
  writeBatch(events: RecordedEvent[]): Promise<BatchResult>;
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
  private spilled = 0;
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
    if (this.queue.length >= this.opts.maxQueue) {
      this.spill([{ event, at: performance.now() }]);
    } else {
      this.queue.push({ event, at: performance.now() });
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.running || this.timer) return;
    const delay = this.backoff || (this.queue.length >= this.opts.maxBatch ? 0 : this.opts.flushMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.drain().finally(() => {
        this.running = null;
        if (this.queue.length || this.spilled) this.schedule();
      });
    }, delay);
  }

  private async drain(): Promise<void> {
    while (this.queue.length || this.spilled) {
      if (!this.queue.length) this.unspill();
      const batch = this.queue.slice(0, this.limit);
      const outcome = await this.write(batch);
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
  private async write(batch: Item[]): Promise<'done' | 'retry' | 'split'> {
    try {
      const result = await this.writer.writeBatch(batch.map((i) => i.event));
      this.stats.batches++;
      this.stats.written += batch.length;
      this.stats.inserted += result.inserted;
      this.stats.duplicates += result.duplicates;
      this.onCommitted?.(batch, result);
      return 'done';
    } catch (e) {
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

  private spill(items: Item[]): void {
    mkdirSync(path.dirname(this.opts.spillFile), { recursive: true });
    appendFileSync(this.opts.spillFile, items.map((i) => JSON.stringify(i.event)).join('\n') + '\n');
    this.spilled += items.length;
    this.stats.spilled += items.length;
    if (this.spilled === items.length) this.opts.logger.warn({ source: 'recorder', spillFile: this.opts.spillFile, maxQueue: this.opts.maxQueue }, 'recorder: queue full; keeping further events on disk until the database catches up');
  }

  private unspill(): void {
    if (!existsSync(this.opts.spillFile)) {
      this.spilled = 0;
      return;
    }
    const claimed = `${this.opts.spillFile}.${process.pid}.reading`;
    renameSync(this.opts.spillFile, claimed);
    const lines = readFileSync(claimed, 'utf8').split('\n').filter(Boolean);
    rmSync(claimed, { force: true });
    this.spilled = 0;
    const at = performance.now();
    for (const line of lines) this.queue.push({ event: reviveEvent(JSON.parse(line)), at });
  }

  /** A spill file left by a process that died is replayed first. */
  private recoverSpill(): void {
    if (existsSync(this.opts.spillFile)) {
      this.spilled = 1; // unspill() reads the real count
      this.unspill();
      this.stats.received += this.queue.length;
      this.opts.logger.info({ source: 'recorder', events: this.queue.length }, 'recorder: replaying events kept on disk by an earlier run');
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
      this.schedule0();
    }
    return new Promise((resolve) => this.flushWaiters.push({ target, resolve }));
  }

  private schedule0(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.drain().finally(() => {
        this.running = null;
        if (this.queue.length || this.spilled) this.schedule();
      });
    }, 0);
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
      if (left.length) this.spill(left);
      this.opts.logger.error({ source: 'recorder', kept: left.length + this.spilled, spillFile: this.opts.spillFile }, 'recorder: database unavailable at shutdown; unwritten events kept on disk for the next start');
    }
  }
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
