import { randomUUID } from 'node:crypto';
import { DataError, ForeignKeyError, UniqueViolationError, ValidationError } from '../database/errors';
import type { Logger } from '../logger';
import { concerns, isRequest, messageIds, type ForgetRequest, type QueuedEvent, type RecordedEvent, type RecordingRequest, type SessionRequest } from './events';
import type { BatchResult, PreparedBatch } from './recording.store';
import { Journal, mergeJournalIntoSpill } from './journal';
import { SpillFile } from './spill-file';

/** A request as a command hands it over, before it has its ticket. */
export type NewRequest = Omit<ForgetRequest, 'ticket'> | Omit<SessionRequest, 'ticket'>;

export interface BatchWriter {
  writeBatch(events: RecordedEvent[]): Promise<BatchResult>;
  /**
   * The same in two steps (RecordingStore has it): with it, the queue prepares the next full batch
   * while the previous one commits, so the event loop's share of the work overlaps the database's.
   */
  prepare?(events: RecordedEvent[]): Promise<PreparedBatch>;
  /** Applies a command's request (an erasure, a session change) in its own transaction. */
  apply(request: RecordingRequest): Promise<unknown>;
}

export interface WriteQueueOptions {
  /** Most events per transaction. */
  maxBatch: number;
  /** How long the first event of a batch may wait for company. */
  flushMs: number;
  /** Events held in memory; beyond this they go to `spillFile` and come back when there is room. */
  maxQueue: number;
  /**
   * The same bound in bytes (an estimate of what the queued events take on the heap, see
   * `eventBytes`): a flood of long messages spills long before `maxQueue` events. Unbounded when absent.
   */
  maxBytes?: number;
  spillFile: string;
  /**
   * The journal's directory, read at start either way (what an earlier run left is replayed), and
   * whether it is written (JOURNAL): every event received, on disk within `syncMs`, so a crash
   * loses none. Off, what is only in memory dies with the process.
   */
  journal?: { dir: string; syncMs: number; on: boolean };
  logger: Logger;
}

interface Item {
  event: QueuedEvent;
  /** performance.now() when the event arrived (for latency figures). */
  at: number;
  /** Dropped while waiting (its person was erased): counted as processed, never written. */
  dropped?: boolean;
  /** Its estimated size on the heap (`eventBytes`), counted in `bytes` while it is in the queue. */
  size?: number;
}

/** Per event: the object, its ids, dates and author (measured: about 550 bytes for a message with no content). */
const EVENT_OVERHEAD = 600;

/**
 * An upper estimate of the heap an event takes in the queue: a fixed overhead plus two bytes per
 * character of its text (V8 keeps Latin-1 strings at one byte a character, others at two).
 */
export function eventBytes(event: QueuedEvent): number {
  // Never throws: a malformed event (no content) is queued, and refused by the database, as before.
  const text = (v: unknown) => (typeof v === 'string' ? 2 * v.length : 0);
  switch (event.kind) {
    case 'create':
      return EVENT_OVERHEAD + text(event.content) + (event.metadata ? 2 * approxJsonLength(event.metadata) : 0) + (Array.isArray(event.attachments) ? event.attachments.length * 400 : 0);
    case 'edit':
      return EVENT_OVERHEAD + text(event.content) + (event.full ? eventBytes(event.full) : 0);
    case 'delete':
      return EVENT_OVERHEAD + 60 * (Array.isArray(event.discordMessageIds) ? event.discordMessageIds.length : 0);
    case 'channel':
      return EVENT_OVERHEAD + (Array.isArray(event.channels) ? event.channels.reduce((n, c) => n + 200 + text(c.name) + text(c.topic), 0) : 0);
    default:
      return EVENT_OVERHEAD;
  }
}

/** The length of a small object's JSON without building it (metadata: embeds, flags, stickers). */
function approxJsonLength(v: unknown, depth = 0): number {
  if (v === null || v === undefined) return 4;
  if (typeof v === 'string') return v.length + 2;
  if (typeof v !== 'object') return 8;
  if (depth > 6) return 64;
  let n = 2;
  if (Array.isArray(v)) for (const x of v) n += approxJsonLength(x, depth + 1) + 1;
  else for (const [k, x] of Object.entries(v)) n += k.length + 3 + approxJsonLength(x, depth + 1) + 1;
  return n;
}

/** The command waiting for a request's result. */
interface Waiter {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** Errors retrying cannot fix: the database refused the data for good, or the event itself is malformed. */
const PERMANENT = [UniqueViolationError, ForeignKeyError, ValidationError, DataError, TypeError, RangeError];

/**
 * The recorder's write-behind queue. Events are written in batches (one transaction each) at most
 * `flushMs` after the first arrives or as soon as `maxBatch` are waiting. When the database is slow
 * or down the batch is retried with backoff (100 ms doubling to 5 s) and nothing is dropped: past
 * `maxQueue` events the overflow is appended to the spill file and read back when there is room
 * (also at the next start, if the process died with a spill file). A batch that fails for a
 * reason retrying cannot fix (a constraint or validation error) is split until the event at fault
 * is found; that event alone is logged with its message ids and dropped — the only loss.
 *
 * Commands' requests (erasures, session changes) wait in the same queue and are applied alone:
 * after everything received before them is committed, before anything received after them is
 * planned, so the store's caches never meet a batch planned across them. An erasure also drops
 * the person's messages still waiting in memory ahead of it (they would only be written to be
 * erased).
 */
export class WriteQueue {
  private queue: Item[] = [];
  /** The estimated heap bytes of the events in `queue` (see `eventBytes`). */
  private queueBytes = 0;
  private readonly spillFile: SpillFile;
  private readonly journal: Journal | null = null;
  /** The last sequence number given (events are numbered in arrival order, on from an earlier run's). */
  private seq = 0;
  /** While set (start-up: history is read first), live events wait here, journalled but not written. */
  private held: Item[] | null = null;
  /**
   * The numbers of the held events not yet committed, ascending. Held events are written after
   * later ones (history read meanwhile), so the journal's checkpoint — "everything up to here is
   * committed" — stops below the first of them until it is.
   */
  private heldOutstanding: number[] = [];
  /** The highest number committed so far. */
  private maxCommitted = 0;
  /** Commands waiting for their requests, by ticket. */
  private readonly waiters = new Map<string, Waiter>();
  /** Items at the head of the queue being written or prepared ahead: never dropped. */
  private busy = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private backoff = 0;
  /** Current batch size: maxBatch, or smaller while a failing batch is being narrowed down. */
  private limit: number;
  /** Events still in the window of a batch that failed permanently. */
  private suspect = 0;
  private closed = false;
  /** Closed and done: what was left is in the spill file; nothing is drained any more. */
  private stopped = false;
  /** Events written or dropped so far; the queue is FIFO, so this is a position in arrival order. */
  private processed = 0;
  private flushWaiters: { target: number; resolve: () => void }[] = [];
  /** The next batch, being prepared while the one before it commits: its first item and size. */
  private ahead: { first: Item; count: number; prepared: Promise<PreparedBatch> } | null = null;
  /** The batch whose commit is under way. */
  private committing: Item[] | null = null;
  readonly stats = { received: 0, written: 0, batches: 0, failures: 0, lost: 0, spilled: 0, inserted: 0, duplicates: 0, requests: 0, dropped: 0 };
  /** Called after each committed batch with the arrival times of its events. */
  onCommitted?: (items: { event: QueuedEvent; at: number }[], result: BatchResult) => void;
  /** More listeners like onCommitted (the metrics): `onCommit(fn)` adds one and returns its removal. */
  private readonly commitListeners = new Set<(items: { event: QueuedEvent; at: number }[]) => void>();
  onCommit(fn: (items: { event: QueuedEvent; at: number }[]) => void): () => void {
    this.commitListeners.add(fn);
    return () => this.commitListeners.delete(fn);
  }

  constructor(
    private readonly writer: BatchWriter,
    private readonly opts: WriteQueueOptions,
  ) {
    this.limit = opts.maxBatch;
    this.spillFile = new SpillFile(opts.spillFile, (e) =>
      opts.logger.error({ source: 'recorder', spillFile: opts.spillFile, err: e.message }, 'recorder: lost the lock on the spill file (another process may be using the same data directory)'),
    );
    this.recoverSpill();
    if (opts.journal?.on) {
      this.journal = new Journal({
        dir: opts.journal.dir,
        syncMs: opts.journal.syncMs,
        onError: (e) => opts.logger.error({ source: 'recorder', journal: opts.journal!.dir, err: e.message }, 'recorder: could not write the journal; events received meanwhile are in memory only'),
      });
    }
  }

  /** The message ids an earlier run kept on disk, per channel, until backfill takes them. */
  private recovered: Map<string, Set<string>> | null = null;

  /**
   * What an earlier run left on disk, per channel: replayed here, so backfill need not fetch it
   * again (and must not count it against its limit). Given once (backfill at start).
   */
  takeRecoveredIds(): Map<string, Set<string>> {
    const r = this.recovered ?? new Map<string, Set<string>>();
    this.recovered = null;
    return r;
  }

  /** Events on disk, not yet read back. */
  private get spilled(): number {
    return this.spillFile.count;
  }

  /** Events in the spill file, waiting to be read back. */
  get onDisk(): number {
    return this.spilled;
  }

  get depth(): number {
    return this.queue.length + this.spilled;
  }

  /** Events in memory (queued, not on disk). */
  get inMemory(): number {
    return this.queue.length;
  }

  /** The estimated heap bytes of the events in memory (bounded by `maxBytes`). */
  get bytes(): number {
    return this.queueBytes;
  }

  /** Whether the queue has room in memory for `size` more bytes and one more event. */
  private hasRoom(size: number): boolean {
    return this.queue.length < this.opts.maxQueue && (this.opts.maxBytes === undefined || this.queueBytes + size <= this.opts.maxBytes);
  }

  private pushItem(item: Item): void {
    item.size ??= eventBytes(item.event);
    this.queueBytes += item.size;
    this.queue.push(item);
  }

  /** Takes `n` items off the head of the queue. */
  private shift(n: number): Item[] {
    const out = this.queue.splice(0, n);
    for (const i of out) this.queueBytes -= i.size ?? 0;
    return out;
  }

  /**
   * Queues an event (numbered and journalled first). While the queue holds (`hold()`), a live
   * event waits until `release()`; `ahead` (history read at start) goes through at once.
   */
  push(event: QueuedEvent, opts: { ahead?: boolean } = {}): void {
    this.stats.received++;
    event.seq = ++this.seq;
    // Session requests are not journalled: the command has not answered yet, and one replayed
    // after it was applied would end a session it opened (docs/recording.md).
    if (this.journal && event.kind !== 'session') this.journal.append(event as QueuedEvent & { seq: number });
    if (this.held && !opts.ahead && !isRequest(event)) {
      this.held.push({ event, at: performance.now() });
      this.heldOutstanding.push(event.seq);
      return;
    }
    this.enqueue({ event, at: performance.now() });
    this.schedule();
  }

  private enqueue(item: Item): void {
    // Once anything is on disk, later events go there too, behind it: the order is kept.
    item.size ??= eventBytes(item.event);
    if (this.spilled > 0 || !this.hasRoom(item.size)) this.spill([item]);
    else this.pushItem(item);
  }

  /**
   * Holds live events back until `release()` (while history is read at start, so sessions see
   * time order). They are in the journal all the while: a crash meanwhile loses none of them.
   */
  hold(): void {
    this.held ??= [];
  }

  /** Queues the held events behind what was read meanwhile. */
  release(): void {
    const held = this.held;
    this.held = null;
    if (!held?.length) return;
    for (const item of held) this.enqueue(item);
    this.schedule();
  }

  /** Events held back, not yet queued. */
  get holding(): number {
    return this.held?.length ?? 0;
  }

  /** A committed batch: the journal and the spill file may let go of everything up to the last number below any held event still waiting. */
  private markCommitted(batch: Item[]): number {
    for (const { event } of batch) {
      if (event.seq === undefined) continue;
      if (this.heldOutstanding.length && this.heldOutstanding[0] === event.seq) this.heldOutstanding.shift();
      if (event.seq > this.maxCommitted) this.maxCommitted = event.seq;
    }
    return this.heldOutstanding.length ? Math.min(this.maxCommitted, this.heldOutstanding[0] - 1) : this.maxCommitted;
  }

  /**
   * Queues a command's request behind everything received so far; resolves with its result once
   * applied. An erasure first drops the person's messages waiting in memory ahead of it.
   */
  request<T>(request: NewRequest): Promise<T> {
    const full = { ...request, ticket: randomUUID() } as RecordingRequest;
    if (full.kind === 'forget') full.dropped = this.dropStaged(full.person.channelUserId);
    const result = new Promise<T>((resolve, reject) => this.waiters.set(full.ticket, { resolve: resolve as (v: unknown) => void, reject }));
    this.push(full);
    return result;
  }

  /** Marks the person's messages waiting in memory (not those being written) as dropped; returns how many creates. */
  private dropStaged(discordUserId: string): number {
    let creates = 0;
    const waiting = this.queue.slice(this.busy).concat(this.held ?? []);
    for (const it of waiting) {
      if (!it.dropped && concerns(it.event, discordUserId)) {
        it.dropped = true;
        this.stats.dropped++;
        if (it.event.kind === 'create') creates++;
      }
    }
    return creates;
  }

  /** Starts a drain after `delay` ms (default: the backoff, or at once for a full batch, else flushMs). */
  private schedule(delay?: number): void {
    if (this.running || this.timer || this.stopped) return;
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
      const batch = ahead ? this.queue.slice(0, ahead.count) : this.nextBatch(0, this.limit);
      if (!batch.length) break;
      this.busy = batch.length;
      let outcome: 'done' | 'retry' | 'split';
      try {
        outcome = isRequest(batch[0].event) ? await this.apply(batch[0].event) : await this.write(batch, ahead?.prepared);
      } finally {
        this.busy = 0;
      }
      // close() gave up waiting and kept the queue in the spill file: leave both as they are.
      if (this.stopped) return;
      if (outcome === 'retry') return; // backing off: schedule() comes back later
      this.backoff = 0;
      if (outcome === 'done') {
        this.shift(batch.length);
        const mark = this.markCommitted(batch);
        this.spillFile.committed(mark);
        if (this.journal) {
          this.journal.committed(mark);
          // An erasure replayed after later messages were committed would erase those too: the
          // checkpoint is on disk before anything behind a request is written.
          if (isRequest(batch[0].event)) await this.journal.checkpoint();
        }
        this.advance(batch.length);
        if (this.suspect > 0) this.suspect -= batch.length;
      }
      if (this.suspect <= 0) {
        this.suspect = 0;
        this.limit = this.opts.maxBatch;
      }
      if (this.spilled && this.queue.length < this.opts.maxQueue / 2 && (this.opts.maxBytes === undefined || this.queueBytes < this.opts.maxBytes / 2)) this.unspill();
      // Below a full batch, let more events gather (latency stays ≤ flushMs).
      if (this.queue.length < this.opts.maxBatch && !this.closed && !this.suspect && !this.flushWaiters.length) return;
    }
  }

  /** Up to `limit` items from `offset`: the messages before the next request, or that request alone. */
  private nextBatch(offset: number, limit: number): Item[] {
    const first = this.queue[offset];
    if (first && isRequest(first.event)) return [first];
    const max = Math.min(this.queue.length, offset + limit);
    let end = offset;
    while (end < max && !isRequest(this.queue[end].event)) end++;
    return this.queue.slice(offset, end);
  }

  /** Applies a request; one that fails for good is logged and its failure handed to the command. */
  private async apply(request: RecordingRequest): Promise<'done' | 'retry'> {
    try {
      const result = await this.writer.apply(request);
      this.stats.requests++;
      this.settle(request, (w) => w.resolve(result));
      return 'done';
    } catch (e) {
      if (this.retrying(e, `could not apply ${request.kind}`)) return 'retry';
      this.opts.logger.error({ source: 'recorder', err: (e as Error).message, request: request.kind }, `recorder: could not apply ${request.kind}; dropped`);
      this.settle(request, (w) => w.reject(e as Error));
      return 'done';
    }
  }

  /** Counts a failure; a retryable one backs off (100 ms doubling to 5 s) and is logged. */
  private retrying(e: unknown, what: string): boolean {
    this.stats.failures++;
    if (PERMANENT.some((k) => e instanceof k)) return false;
    this.backoff = Math.min(this.backoff ? this.backoff * 2 : 100, 5_000);
    this.opts.logger.warn({ source: 'recorder', err: (e as Error).message, queued: this.depth, retryInMs: this.backoff }, `recorder: ${what}; will retry`);
    return true;
  }

  private settle(request: RecordingRequest, fn: (w: Waiter) => void): void {
    const w = this.waiters.get(request.ticket);
    this.waiters.delete(request.ticket);
    if (w) fn(w);
  }

  /**
   * Writes a batch. A retryable failure → 'retry' (with backoff). A permanent one on a batch of
   * several → 'split': the batch limit halves and drain() tries the same events again in smaller
   * batches until the one at fault is alone; that one is logged and dropped ('done').
   */
  private async write(batch: Item[], prepared?: Promise<PreparedBatch>): Promise<'done' | 'retry' | 'split'> {
    const events = messagesOf(batch);
    if (!events.length) return 'done';
    try {
      let result: BatchResult;
      if (this.writer.prepare) {
        const p = await (prepared ?? this.writer.prepare(events));
        this.committing = batch;
        try {
          result = await p.commit(() => {
            if (this.committing === batch) this.prepareAhead(batch.length);
          });
        } finally {
          this.committing = null;
        }
      } else {
        result = await this.writer.writeBatch(events);
      }
      this.stats.batches++;
      this.stats.written += events.length;
      this.stats.inserted += result.inserted;
      this.stats.duplicates += result.duplicates;
      this.onCommitted?.(batch, result);
      for (const fn of this.commitListeners) fn(batch);
      return 'done';
    } catch (e) {
      this.dropAhead();
      if (this.retrying(e, 'database write failed')) return 'retry';
      if (batch.length > 1) {
        // Narrow down: the same events are retried from the head of the queue in halves.
        this.suspect = Math.max(this.suspect, batch.length);
        this.limit = Math.ceil(batch.length / 2);
        return 'split';
      }
      this.stats.lost++;
      const ids = messageIds(events[0]);
      this.opts.logger.error({ source: 'recorder', err: (e as Error).message, messageIds: ids, kind: events[0].kind }, `recorder: could not store message ${ids.join(', ')}; dropped`);
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
    const items = this.nextBatch(offset, this.opts.maxBatch);
    const events = messagesOf(items);
    if (!events.length) return;
    const prepared = this.writer.prepare(events);
    prepared.catch(() => undefined); // seen when the batch is written (or dropped)
    this.busy = offset + items.length;
    this.ahead = { first: items[0], count: items.length, prepared };
  }

  /** Gives up a batch prepared ahead (its predecessor failed, or the queue moved on). */
  private dropAhead(): void {
    const ahead = this.ahead;
    this.ahead = null;
    ahead?.prepared.then(
      (p) => p.discard(),
      () => undefined,
    );
  }

  private spill(items: Item[]): void {
    const first = !this.spilled;
    this.spillFile.append(items.map((i) => i.event));
    this.stats.spilled += items.length;
    if (first)
      this.opts.logger.warn(
        { source: 'recorder', spillFile: this.opts.spillFile, maxQueue: this.opts.maxQueue, maxBytes: this.opts.maxBytes, inMemory: this.queue.length, bytes: this.queueBytes },
        'recorder: queue full; keeping further events on disk until the database catches up',
      );
  }

  /**
   * Reads spilled events back, oldest first, while there is room in memory (up to `maxQueue`
   * events and `maxBytes`; in blocks, so the bytes overshoot by one block at most). At least one
   * block comes back, so an event larger than the bound still goes through.
   */
  private unspill(): void {
    const at = performance.now();
    const block = 500;
    do {
      const events = this.spillFile.take(Math.min(block, this.opts.maxQueue - this.queue.length));
      if (!events.length) return;
      for (const event of events) this.pushItem({ event, at });
    } while (this.spilled && this.hasRoom(0));
  }

  /** Events a process that died kept on disk are replayed first. */
  private recoverSpill(): void {
    // The lock first; then what the journal holds merged into the spill file, each event once.
    this.spillFile.recover();
    const dir = this.opts.journal?.dir;
    if (dir) {
      const merged = mergeJournalIntoSpill(dir, this.opts.spillFile);
      this.seq = merged.maxSeq;
    }
    const n = this.spillFile.recover();
    if (!n) return;
    this.recovered = this.spillFile.messageIds();
    this.stats.received += n;
    this.opts.logger.info({ source: 'recorder', events: n }, 'recorder: replaying events kept on disk by an earlier run');
    this.unspill();
    this.schedule();
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
    // Held events are written after release(): a flush meanwhile waits for the rest.
    const target = this.stats.received - this.holding;
    if (this.processed >= target) return Promise.resolve();
    if (this.timer && !this.backoff) {
      clearTimeout(this.timer);
      this.timer = null;
      this.schedule(0);
    }
    return new Promise((resolve) => this.flushWaiters.push({ target, resolve }));
  }

  /**
   * Stops for shutdown: writes everything, waiting at most `timeoutMs` for the database (the bot
   * gives it what SHUTDOWN_TIMEOUT_MS leaves). What is still unwritten then (requests too, and a
   * batch whose commit is under way: replaying a written event is harmless) is in the spill file
   * when this returns, for the next start, and logged. A drain still waiting on the database
   * stops where it is: it never takes events back from the file after that.
   */
  async close(timeoutMs = 8_000): Promise<void> {
    this.closed = true;
    this.release(); // a stop during start-up: what was held is written (or kept) with the rest
    let timeout: NodeJS.Timeout | undefined;
    const done = await Promise.race([this.flush().then(() => true), new Promise<boolean>((r) => (timeout = setTimeout(() => r(false), Math.max(0, timeoutMs))))]);
    clearTimeout(timeout);
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!done) {
      this.dropAhead();
      const left = this.shift(this.queue.length).filter((i) => !i.dropped);
      this.spillFile.keep(left.map((i) => i.event));
      this.stats.spilled += left.length;
      this.opts.logger.error({ source: 'recorder', kept: this.spilled, spillFile: this.opts.spillFile }, 'recorder: database unavailable at shutdown; unwritten events kept on disk for the next start');
    }
    // Kept in the spill file and the journal both: the next start takes each event once.
    await this.journal?.close(done);
    // Requests kept on disk are applied at the next start; the commands waiting hear so now.
    for (const w of this.waiters.values()) w.reject(new Error('the database is unavailable; the change is kept on disk and applied when the bot next starts'));
    this.waiters.clear();
    this.spillFile.release();
  }
}

/** The message events of a batch, without those dropped. */
function messagesOf(items: Item[]): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  for (const i of items) if (!i.dropped && !isRequest(i.event)) out.push(i.event);
  return out;
}
