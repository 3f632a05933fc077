import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { QueuedEvent } from '../../src/recording/events';
import { SPILL_LOCK_STALE_MS, SpillFile } from '../../src/recording/spill-file';

const dirs: string[] = [];
function file(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-spill-'));
  dirs.push(dir);
  return path.join(dir, 'spill.jsonl');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ev = (n: number): QueuedEvent => ({ kind: 'edit', discordMessageId: String(n), content: `c${n} \u0000 ✓`, editedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)) });
const ids = (es: QueuedEvent[]) => es.map((e) => (e.kind === 'edit' ? Number(e.discordMessageId) : -1));

describe('spill file', () => {
  it('takes back what was appended, in order, with dates revived and text byte-exact', () => {
    const s = new SpillFile(file());
    s.append([ev(1), ev(2), ev(3)]);
    expect(s.count).toBe(3);
    const [first, ...rest] = s.take(2);
    expect(first).toEqual(ev(1));
    expect((first as { editedAt: Date }).editedAt).toBeInstanceOf(Date);
    expect(ids(rest)).toEqual([2]);
    s.append([ev(4)]); // behind the claimed file
    expect(ids(s.take(10))).toEqual([3, 4]);
    expect(s.count).toBe(0);
    expect(existsSync(s.file)).toBe(false);
  });

  it('keeps what is left in memory in front of what is on disk at shutdown', () => {
    const f = file();
    const s = new SpillFile(f);
    s.append([ev(3), ev(4), ev(5)]);
    expect(ids(s.take(1))).toEqual([3]); // 4 and 5 are in the claimed file
    s.keep([ev(1), ev(2)]);
    const next = new SpillFile(f);
    expect(next.recover()).toBe(4);
    expect(ids(next.take(10))).toEqual([1, 2, 4, 5]);
  });

  it('recovers a file a dead process was reading back, ahead of the spill file', () => {
    const f = file();
    const s = new SpillFile(f);
    s.append([ev(1), ev(2)]);
    renameSync(f, `${f}.999999.reading`); // as a process with that pid (not running) would have left it
    s.append([ev(3)]);
    const next = new SpillFile(f);
    expect(next.recover()).toBe(3);
    expect(ids(next.take(10))).toEqual([1, 2, 3]);
    next.release();
    expect(readdirSync(path.dirname(f))).toEqual([]);
  });

  it('recovers a claimed file whatever pid its name carries (pid 1 in a container is alive here too)', () => {
    const f = file();
    const s = new SpillFile(f);
    s.append([ev(1), ev(2)]);
    renameSync(f, `${f}.1.reading`); // left by a bot that ran as pid 1
    s.append([ev(3)]);
    const next = new SpillFile(f);
    expect(next.recover()).toBe(3);
    expect(ids(next.take(10))).toEqual([1, 2, 3]);
    next.release();
  });

  it('one process owns the spill file: another is refused while the holder runs, and takes over after kill -9', async () => {
    const f = file();
    const holder = new SpillFile(f);
    holder.recover();
    holder.append([ev(1)]);
    holder.keep([]);
    holder.release();
    // Another process takes the lock the way SpillFile does, and keeps it fresh.
    const child = spawn(process.execPath, ['-e', `require('proper-lockfile').lockSync(${JSON.stringify(f)}, { realpath: false, stale: ${SPILL_LOCK_STALE_MS} }); console.log('locked'); setInterval(() => {}, 1000);`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const t0 = Date.now();
    expect(() => new SpillFile(f).recover()).toThrow(/in use by another running Chronicle process .*own data directory/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(SPILL_LOCK_STALE_MS);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // Its lock is left behind, unrefreshed: the next start waits for it to go stale and takes over.
    expect(existsSync(`${f}.lock`)).toBe(true);
    const next = new SpillFile(f);
    expect(next.recover()).toBe(1);
    next.release();
    expect(existsSync(`${f}.lock`)).toBe(false);
  }, 20_000);

  it('takes over the lock of a process that died once it is stale', () => {
    const f = file();
    mkdirSync(`${f}.lock`, { recursive: true }); // what a killed process leaves: a lock nobody refreshes
    const old = new Date(Date.now() - 2 * SPILL_LOCK_STALE_MS);
    utimesSync(`${f}.lock`, old, old);
    writeFileSync(`${f}.reading`, JSON.stringify(ev(7)) + '\n');
    const s = new SpillFile(f);
    expect(s.recover()).toBe(1);
    expect(ids(s.take(10))).toEqual([7]);
    s.release();
  });
});
