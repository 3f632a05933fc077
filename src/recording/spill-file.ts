import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { reviveEvent, type QueuedEvent } from './events';

const READ_BLOCK = 1 << 20;

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
 * behind it); `keep` puts what is left in memory back in front at shutdown; `recover` merges, at
 * start, what a process that died left behind (a file it was reading back first).
 */
export class SpillFile {
  private reader: Reader | null = null;
  /** Events on disk not yet taken (in the claimed file being read, then in the file). */
  private left = 0;

  constructor(readonly file: string) {}

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
        const file = `${this.file}.${process.pid}.reading`;
        renameSync(this.file, file);
        this.reader = { file, fd: openSync(file, 'r'), lines: [], carry: Buffer.alloc(0), eof: false };
      }
      const r = this.reader;
      if (!r.lines.length && !r.eof) readBlock(r);
      for (const line of r.lines.splice(0, max - out.length)) out.push(reviveEvent(JSON.parse(line)));
      if (r.eof && !r.lines.length) {
        closeSync(r.fd);
        rmSync(r.file, { force: true });
        this.reader = null;
      }
    }
    this.left = this.reader || existsSync(this.file) ? Math.max(0, this.left - out.length) : 0;
    return out;
  }

  /**
   * At shutdown: `inMemory` (older than anything on disk), then the rest of a file being read
   * back, then the file, all into the file in that order, for the next start.
   */
  keep(inMemory: QueuedEvent[]): void {
    if (!inMemory.length && !this.reader) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const merged = `${this.file}.${process.pid}.closing`;
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
    this.left += inMemory.length;
  }

  /**
   * At start: files left by a process that died (one it was reading back, one it was closing)
   * are merged in front of the spill file, oldest first; returns how many events wait on disk.
   * Replaying a part that was already written is harmless: creates are idempotent, and edits,
   * deletes and requests come again in their order.
   */
  recover(): number {
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
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
      const merged = `${this.file}.${process.pid}.closing`;
      const out = openSync(merged, 'a');
      for (const f of [...orphans.filter((f) => f !== merged), ...(existsSync(this.file) ? [this.file] : [])]) {
        copyRest(openSync(f, 'r'), out, Buffer.alloc(0));
        rmSync(f, { force: true });
      }
      closeSync(out);
      renameSync(merged, this.file);
    }
    this.left = existsSync(this.file) ? countLines(this.file) : 0;
    return this.left;
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
