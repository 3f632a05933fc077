import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { QueuedEvent } from '../../src/recording/events';
import { SpillFile } from '../../src/recording/spill-file';

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
    expect(readdirSync(path.dirname(f))).toEqual([]);
  });
});
