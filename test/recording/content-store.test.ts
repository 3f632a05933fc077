import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentStore } from '../../src/recording/attachments/content-store';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function store(): ContentStore {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-content-'));
  dirs.push(dir);
  return new ContentStore(dir);
}
const SHA = 'ab'.repeat(32);

describe('the content-addressed store', () => {
  it('places a download under its hash once; a second copy of the same bytes is dropped', async () => {
    const s = store();
    await s.init();
    const t1 = s.tempPath();
    writeFileSync(t1, 'bytes');
    expect(await s.put(t1, SHA)).toEqual({ relative: `ab/${SHA}`, added: true });
    const t2 = s.tempPath();
    writeFileSync(t2, 'bytes');
    expect(await s.put(t2, SHA)).toEqual({ relative: `ab/${SHA}`, added: false });
    expect(existsSync(t1) || existsSync(t2)).toBe(false);
    expect(readFileSync(s.absolute(`ab/${SHA}`), 'utf8')).toBe('bytes');
    expect(await s.remove(SHA)).toBe(5);
    expect(await s.has(SHA)).toBe(false);
    expect(await s.remove(SHA)).toBe(0);
  });

  it('at start clears temporary files over an hour old and leaves fresh ones (another process may be writing them)', async () => {
    const s = store();
    await s.init();
    const old = s.tempPath();
    const fresh = s.tempPath();
    writeFileSync(old, 'x');
    writeFileSync(fresh, 'y');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60_000);
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    await s.init();
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });
});
