import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { QueuedEvent } from './events';

/** Events per segment file: a segment is deleted once every event in it is committed. */
export const JOURNAL_SEGMENT_EVENTS = 10_000;
const CHECKPOINT = 'committed';
const SEGMENT = /^(\d{16})\.jsonl$/;
const READ_BLOCK = 1 << 20;

export interface JournalOptions {
  /** The journal's directory (`recorder-journal/` in the data directory). */
  dir: string;
  /** Longest time an appended event waits before it is written and synced. */
  syncMs: number;
  /** A write that failed (disk full, …): the events stay in memory and are still written to the database. */
  onError: (e: Error) => void;
  segmentEvents?: number;
}

interface Segment {
  file: string;
  /** The sequence number of its last event. */
  last: number;
  events: number;
  handle: FileHandle | null;
}

/**
 * The write queue's journal: every event it receives (but session requests, see
 * docs/recording.md) as a JSON line, so what is only in memory survives a crash. Appends go to a
 * buffer that is written and fdatasync'ed at most `syncMs` later, on the thread pool (async fs), one
 * write at a time. Files are segments of JOURNAL_SEGMENT_EVENTS events named by their first
 * sequence number; a segment is deleted once everything in it is committed. `committed` (a
 * checkpoint file) holds the sequence number up to which everything is in the database, so a
 * replay skips what was written — which matters for erasures (replayed after later messages were
 * committed, one would erase those too): after a request the queue waits for `checkpoint()`.
 *
 * The journal has no lock of its own: it lives in the data directory under the spill file's lock
 * (the write queue takes that before it opens the journal).
 */
export class Journal {
  private buffer: string[] = [];
  private bufferLast = 0;
  private current: Segment | null = null;
  private readonly full: Segment[] = [];
  private committedSeq = 0;
  private checkpointed = 0;
  private checkpointHandle: FileHandle | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The write under way: one at a time, in order. */
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  readonly stats = { appended: 0, writes: 0, segmentsDeleted: 0 };

  constructor(private readonly opts: JournalOptions) {
    mkdirSync(opts.dir, { recursive: true });
  }

  append(event: QueuedEvent & { seq: number }): void {
    if (this.closed) return;
    this.buffer.push(journalLine(event));
    this.bufferLast = event.seq;
    this.stats.appended++;
    this.later();
  }

  /** A write (of the buffer and the checkpoint) at most syncMs from now. */
  private later(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.sync();
    }, this.opts.syncMs);
    this.timer.unref();
  }

  /** Everything up to and including `seq` is committed: segments behind it go, the checkpoint follows within syncMs. */
  committed(seq: number | undefined): void {
    if (seq === undefined || seq <= this.committedSeq) return;
    this.committedSeq = seq;
    if (this.closed) return;
    this.trimFull();
    // The checkpoint follows too, so a replay after a crash skips what is committed.
    this.later();
  }

  /** Writes and syncs the buffer and the checkpoint now (after a request: before anything behind it is written). */
  checkpoint(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.sync();
  }

  /** Queues a write of the buffer and the checkpoint behind the one under way. */
  private sync(): Promise<void> {
    this.writing = this.writing.then(() => this.write()).catch((e: Error) => this.opts.onError(e));
    return this.writing;
  }

  private async write(): Promise<void> {
    if (this.closed) return;
    if (this.buffer.length) {
      const lines = this.buffer;
      this.buffer = [];
      const last = this.bufferLast;
      let seg = this.current;
      if (!seg) {
        const first = (JSON.parse(lines[0]) as { seq: number }).seq;
        const file = path.join(this.opts.dir, `${String(first).padStart(16, '0')}.jsonl`);
        seg = this.current = { file, last, events: 0, handle: await open(file, 'a') };
        // The new file's name is on disk too (a power loss could otherwise lose the whole file).
        const dir = await open(this.opts.dir, 'r');
        await dir.sync().finally(() => dir.close());
      }
      await seg.handle!.write(lines.join('\n') + '\n');
      await seg.handle!.datasync();
      seg.last = last;
      seg.events += lines.length;
      this.stats.writes++;
      if (seg.events >= (this.opts.segmentEvents ?? JOURNAL_SEGMENT_EVENTS)) {
        await seg.handle!.close();
        seg.handle = null;
        this.current = null;
        this.full.push(seg);
        this.trimFull(); // at once, if already committed
      }
    }
    if (this.committedSeq > this.checkpointed) {
      const seq = this.committedSeq;
      this.checkpointHandle ??= await open(path.join(this.opts.dir, CHECKPOINT), 'w');
      // A fixed-width record rewritten in place: one small write, never a torn or empty file.
      await this.checkpointHandle.write(`${String(seq).padStart(20, '0')}\n`, 0);
      await this.checkpointHandle.datasync();
      this.checkpointed = seq;
    }
  }

  private trimFull(): void {
    while (this.full.length && this.full[0].last <= this.committedSeq) {
      const s = this.full.shift()!;
      this.stats.segmentsDeleted++;
      rm(s.file, { force: true }).catch((e: Error) => this.opts.onError(e));
    }
  }

  /**
   * At shutdown: writes what is buffered. With everything committed (`done`) the journal is
   * emptied; otherwise its files stay, with the checkpoint, for the next start.
   */
  async close(done: boolean): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!done) await this.sync();
    else this.buffer = [];
    await this.writing;
    this.closed = true;
    await this.current?.handle?.close().catch(() => undefined);
    await this.checkpointHandle?.close().catch(() => undefined);
    if (done) rmSync(this.opts.dir, { recursive: true, force: true });
  }
}

/**
 * An event as a JSON line, its dates as epoch milliseconds: `Date#toJSON` was about half of
 * `JSON.stringify`'s time per event, which is most of what the journal costs the event loop
 * (docs/benchmark.md). `reviveEvent` reads both forms. The `seq` stays the last key.
 */
function journalLine(event: QueuedEvent): string {
  const copy: Record<string, unknown> = { ...event };
  for (const k of DATE_KEYS) {
    const v = copy[k];
    if (v instanceof Date) copy[k] = v.getTime();
  }
  return JSON.stringify(copy);
}
const DATE_KEYS = ['createdAt', 'editedAt', 'deletedAt'];

/**
 * At start, under the spill file's lock: what an earlier run left in the journal (`dir`) and in
 * the spill file, merged into the spill file, which the write queue then replays a block at a
 * time before live events. Both hold events in arrival order, i.e. ascending sequence numbers
 * (events without one — a spill file from before the journal — are older and go first); an event
 * in both (the overflow, what a graceful stop kept) is taken once, and what the checkpoint says
 * is committed is left out. The merged file is synced before the journal is removed; a crash in
 * between only merges the same events again. Returns the highest sequence number seen (the next
 * run numbers on from it). Synchronous: it runs once, at start, before anything else is queued.
 */
export function mergeJournalIntoSpill(dir: string, spillFile: string): { maxSeq: number; fromJournal: number } {
  const committed = readCheckpoint(dir);
  const segments = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => SEGMENT.test(f))
        .sort()
        .map((f) => path.join(dir, f))
    : [];
  let maxSeq = committed;
  if (!segments.length && !existsSync(spillFile)) {
    rmSync(dir, { recursive: true, force: true });
    return { maxSeq, fromJournal: 0 };
  }
  const tmp = `${spillFile}.journal`;
  const out = openSync(tmp, 'w');
  const writer = new LineWriter(out);
  const spill = existsSync(spillFile) ? lines([spillFile]) : [][Symbol.iterator]();
  const journal = lines(segments);
  let a = next(spill);
  let b = next(journal);
  let fromJournal = 0;
  let last = -1;
  // Two ascending streams merged; an unnumbered spill line sorts first.
  while (a || b) {
    let take: Line;
    if (a && (!b || a.seq === null || a.seq <= b.seq!)) {
      take = a;
      if (b && a.seq !== null && a.seq === b.seq) b = next(journal);
      a = next(spill);
    } else {
      take = b!;
      b = next(journal);
      fromJournal++;
    }
    if (take.seq !== null) {
      maxSeq = Math.max(maxSeq, take.seq);
      if (take.seq <= committed || take.seq <= last) continue;
      last = take.seq;
    }
    writer.write(take.text);
  }
  writer.end();
  fsyncSync(out);
  closeSync(out);
  if (writer.bytes) renameSync(tmp, spillFile);
  else {
    rmSync(tmp, { force: true });
    rmSync(spillFile, { force: true });
  }
  syncDir(path.dirname(spillFile));
  rmSync(dir, { recursive: true, force: true });
  return { maxSeq, fromJournal };
}

/** Makes a rename or a removal in `dir` durable before the journal it replaces goes. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readCheckpoint(dir: string): number {
  try {
    const n = Number(readFileSync(path.join(dir, CHECKPOINT), 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

interface Line {
  text: string;
  seq: number | null;
}

function next(it: Iterator<Line>): Line | null {
  const r = it.next();
  return r.done ? null : r.value;
}

/** The lines of the files in turn, each with its sequence number (a torn last line — a crash mid-write — is skipped). */
function* lines(files: string[]): Generator<Line> {
  for (const file of files) {
    const fd = openSync(file, 'r');
    const buf = Buffer.allocUnsafe(READ_BLOCK);
    let carry = '';
    try {
      for (let n = readSync(fd, buf, 0, READ_BLOCK, null); ; n = readSync(fd, buf, 0, READ_BLOCK, null)) {
        const text = carry + (n ? buf.toString('utf8', 0, n) : '');
        const parts = text.split('\n');
        carry = n ? parts.pop()! : '';
        for (const t of parts) {
          const line = parse(t);
          if (line) yield line;
        }
        if (!n) break;
      }
    } finally {
      closeSync(fd);
    }
  }
}

function parse(text: string): Line | null {
  if (!text.trim()) return null;
  // The queue numbers an event last, so its number ends the line: no need to parse the rest.
  const m = /"seq":(\d+)\}$/.exec(text);
  if (m) return { text, seq: Number(m[1]) };
  try {
    const e = JSON.parse(text) as { seq?: unknown };
    return { text, seq: typeof e.seq === 'number' ? e.seq : null };
  } catch {
    return null; // the last line of a write a crash cut short
  }
}

/** Buffered line output to a file descriptor. */
class LineWriter {
  private parts: string[] = [];
  private size = 0;
  bytes = 0;
  constructor(private readonly fd: number) {}
  write(line: string): void {
    this.parts.push(line);
    this.size += line.length + 1;
    if (this.size > READ_BLOCK) this.end();
  }
  end(): void {
    if (!this.parts.length) return;
    const data = this.parts.join('\n') + '\n';
    writeSync(this.fd, data);
    this.bytes += data.length;
    this.parts = [];
    this.size = 0;
  }
}
