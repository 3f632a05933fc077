import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { lockSync } from 'proper-lockfile';
import { reviveEvent, type QueuedEvent } from './events';

const READ_BLOCK = 1 << 20;
/** A lock whose holder has not refreshed it for this long is stale: its process died. */
export const SPILL_LOCK_STALE_MS = 5_000;

/** The spill file is in use by another process, or its lock was lost. */
export class SpillLockError extends Error {}

/** A spill file claimed for reading back, read a block at a time. */
interface Reader {
  file: string;
  fd: number;
  /** Complete lines read from the file but not yet taken. */
  lines: string[];
  /** The bytes of an incomplete last line. */
  carry: Buffer;
  eof: boolean;
}

/**
 * The write queue's overflow on disk: events as JSON lines, oldest first. `append` adds at the
 * end; `take` reads back from the front (the file is claimed — renamed — and read a block at a
 * time, so a large spill never comes back into memory at once; later appends start a new file
 * behind it; a file read to its end stays until `committed` passes its last event); `keep` puts what is left in memory back in front at shutdown; `recover` merges, at
 * start, what a process that died left behind (a file it was reading back first).
 *
 * One process owns the spill file: `recover` takes a lock (`<file>.lock`, proper-lockfile: a
 * directory whose time the holder refreshes every couple of seconds, so a process that died —
 * kill -9, a container stopped — leaves a lock that is stale after SPILL_LOCK_STALE_MS, whatever
 * its pid was and whatever pid the next process gets). Holding it, every claimed file there is an
 * orphan of an earlier run. `release` (at shutdown) gives it up.
 */
export class SpillFile {
  private reader: Reader | null = null;
  /**
   * Files read back to the end whose events may not be committed yet (in memory only): kept, as
   * orphans a crash would leave, until `committed` reaches their last event's number.
   */
  private readonly finished: { file: string; lastSeq: number }[] = [];
  private finishedCount = 0;
  /** Events on disk not yet taken (in the claimed file being read, then in the file). */
  private left = 0;
  private unlock: (() => void) | null = null;

  constructor(
    readonly file: string,
    private readonly onLockLost: (e: Error) => void = () => undefined,
  ) {}

  /**
   * Takes the spill file's lock, waiting for a lock left by a process that died to go stale;
   * throws SpillLockError when a running process holds it.
   */
  private lock(): void {
    if (this.unlock) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const deadline = Date.now() + SPILL_LOCK_STALE_MS + 1_500;
    for (;;) {
      try {
        this.unlock = lockSync(this.file, { realpath: false, stale: SPILL_LOCK_STALE_MS, onCompromised: (e) => this.onLockLost(e) });
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
        if (Date.now() > deadline) {
          throw new SpillLockError(
            `the recorder's spill file ${this.file} is in use by another running Chronicle process (its lock ${this.file}.lock is kept fresh). Each process needs its own data directory: start it from another working directory or, on SQLite, with another DATABASE_URL`,
          );
        }
        // Start-up only: wait (synchronously) for a dead holder's lock to go stale.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
      }
    }
  }

  /** Gives up the lock (at shutdown, after `keep`). */
  release(): void {
    const unlock = this.unlock;
    this.unlock = null;
    try {
      unlock?.();
    } catch {
      // already released or compromised: nothing to give up
    }
  }

  get count(): number {
    return this.left;
  }

  append(events: QueuedEvent[]): void {
    if (!events.length) return;
    if (!this.left) mkdirSync(path.dirname(this.file), { recursive: true });
    appendFileSync(this.file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    this.left += events.length;
  }

  /** Up to `max` events from the front, oldest first. */
  take(max: number): QueuedEvent[] {
    const out: QueuedEvent[] = [];
    while (out.length < max) {
      if (!this.reader) {
        if (!existsSync(this.file)) break;
        const file = `${this.file}.reading`;
        renameSync(this.file, file);
        this.reader = { file, fd: openSync(file, 'r'), lines: [], carry: Buffer.alloc(0), eof: false };
      }
      const r = this.reader;
      if (!r.lines.length && !r.eof) readBlock(r);
      for (const line of r.lines.splice(0, max - out.length)) out.push(reviveEvent(JSON.parse(line)));
      if (r.eof && !r.lines.length) {
        closeSync(r.fd);
        const lastSeq = out.length ? out[out.length - 1].seq : undefined;
        if (lastSeq === undefined) rmSync(r.file, { force: true });
        else {
          // Named like an orphan of a dead reader: a crash before the commit replays it.
          const kept = `${this.file}.${++this.finishedCount}.reading`;
          renameSync(r.file, kept);
          this.finished.push({ file: kept, lastSeq });
        }
        this.reader = null;
      }
    }
    this.left = this.reader || existsSync(this.file) ? Math.max(0, this.left - out.length) : 0;
    return out;
  }

  /** Everything up to sequence number `seq` is committed: files read back up to it are deleted. */
  committed(seq: number | undefined): void {
    if (seq === undefined) return;
    while (this.finished.length && this.finished[0].lastSeq <= seq) rmSync(this.finished.shift()!.file, { force: true });
  }

  /**
   * At shutdown: `inMemory` (older than anything on disk), then the rest of a file being read
   * back, then the file, all into the file in that order, for the next start.
   */
  keep(inMemory: QueuedEvent[]): void {
    if (!inMemory.length && !this.reader) {
      for (const f of this.finished.splice(0)) rmSync(f.file, { force: true }); // all committed
      return;
    }
    mkdirSync(path.dirname(this.file), { recursive: true });
    const merged = `${this.file}.closing`;
    const out = openSync(merged, 'w');
    if (inMemory.length) writeSync(out, inMemory.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = this.reader;
    if (r) {
      if (r.lines.length) writeSync(out, r.lines.join('\n') + '\n');
      copyRest(r.fd, out, r.carry);
      rmSync(r.file, { force: true });
      this.reader = null;
    }
    if (existsSync(this.file)) copyRest(openSync(this.file, 'r'), out, Buffer.alloc(0));
    closeSync(out);
    renameSync(merged, this.file);
    // What they held is committed or in `inMemory`, now in the file.
    for (const f of this.finished.splice(0)) rmSync(f.file, { force: true });
    this.left += inMemory.length;
  }

  /**
   * At start: takes the lock; files left by a process that died (one it was reading back, one it
   * was closing; older versions named them with their pid) are merged in front of the spill
   * file, oldest first; returns how many events wait on disk.
   * Replaying a part that was already written is harmless: creates are idempotent, and edits,
   * deletes and requests come again in their order.
   */
  recover(): number {
    this.lock();
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    let orphans: string[] = [];
    try {
      orphans = readdirSync(dir)
        .filter((f) => f.startsWith(`${base}.`) && /^\.(\d+\.)?(reading|closing)$/.test(f.slice(base.length)))
        .map((f) => path.join(dir, f))
        .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
    } catch {
      // no directory yet: nothing to recover
    }
    // A merge cut short by a crash is kept in front: what it copied comes first.
    const merged = `${this.file}.merging`;
    if (orphans.length || existsSync(merged)) {
      const out = openSync(merged, 'a');
      for (const f of [...orphans, ...(existsSync(this.file) ? [this.file] : [])]) {
        copyRest(openSync(f, 'r'), out, Buffer.alloc(0));
        rmSync(f, { force: true });
      }
      closeSync(out);
      renameSync(merged, this.file);
    }
    this.left = existsSync(this.file) ? countLines(this.file) : 0;
    return this.left;
  }

  /**
   * The Discord message ids of the messages waiting on disk, per channel (read once at start, for
   * backfill: what is on disk need not be fetched again, and must not count against its limit).
   */
  messageIds(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    if (!existsSync(this.file)) return out;
    const r: Reader = { file: this.file, fd: openSync(this.file, 'r'), lines: [], carry: Buffer.alloc(0), eof: false };
    try {
      while (!r.eof || r.lines.length) {
        if (!r.lines.length) readBlock(r);
        for (const line of r.lines.splice(0)) {
          // Only creates name a message to fetch: a cheap look before parsing.
          if (!line.includes('"kind":"create"')) continue;
          const e = JSON.parse(line) as { channelId?: string; discordMessageId?: string };
          if (!e.channelId || !e.discordMessageId) continue;
          let ids = out.get(e.channelId);
          if (!ids) out.set(e.channelId, (ids = new Set()));
          ids.add(e.discordMessageId);
        }
      }
    } finally {
      closeSync(r.fd);
    }
    return out;
  }
}

/** Reads the next block of a claimed spill file into complete lines. */
function readBlock(r: Reader): void {
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
