import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { QueuedEvent, RecordedEvent, RecordingRequest } from '../../src/recording/events';
import { Journal, mergeJournalIntoSpill } from '../../src/recording/journal';
import { SpillFile } from '../../src/recording/spill-file';
import { WriteQueue } from '../../src/recording/write-queue';
import { createLogger } from '../../src/logger';
import { LogCapture, until } from '../helpers/harness';

const dirs: string[] = [];
function dataDir(): { dir: string; journal: string; spill: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-journal-'));
  dirs.push(dir);
  return { dir, journal: path.join(dir, 'recorder-journal'), spill: path.join(dir, 'recorder-spill.jsonl') };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Seq = QueuedEvent & { seq: number };
const ev = (seq: number): Seq => ({ kind: 'edit', discordMessageId: String(1000 + seq), content: `c${seq} \u0000 ✓`, editedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq % 60)), seq });
const seqs = (es: QueuedEvent[]) => es.map((e) => e.seq);
const noError = (e: Error) => {
  throw e;
};

/** What a restart replays: the journal merged into the spill file, read back through it. */
function replay(d: { journal: string; spill: string }): QueuedEvent[] {
  mergeJournalIntoSpill(d.journal, d.spill);
  const s = new SpillFile(d.spill);
  s.recover();
  const out = s.take(1_000_000);
  s.release();
  return out;
}

describe('the journal file', () => {
  it('has what was appended on disk within syncMs, without a close (a crash), and gives it back in order, byte-exact', async () => {
    const d = dataDir();
    const j = new Journal({ dir: d.journal, syncMs: 20, onError: noError });
    for (let i = 1; i <= 5; i++) j.append(ev(i));
    await until(
      () => j.stats.writes,
      (w) => w >= 1,
      5000,
      'the journal written',
    );
    // No close: the process "died". A new start reads the files as they are.
    const back = replay(d);
    expect(seqs(back)).toEqual([1, 2, 3, 4, 5]);
    expect(back[4]).toEqual(ev(5));
    expect(existsSync(d.journal)).toBe(false); // merged into the spill file, which the queue replays
  });

  it('deletes a segment once everything in it is committed, and the checkpoint leaves the committed out of a replay', async () => {
    const d = dataDir();
    const j = new Journal({ dir: d.journal, syncMs: 5, onError: noError, segmentEvents: 3 });
    for (let i = 1; i <= 10; i++) {
      j.append(ev(i));
      await j.checkpoint(); // one write per event: segments of 3
    }
    expect(readdirSync(d.journal).filter((f) => f.endsWith('.jsonl'))).toHaveLength(4);
    j.committed(7);
    await j.checkpoint();
    // [1-3] and [4-6] are gone; [7-9] holds 8 and 9, still to write.
    expect(
      readdirSync(d.journal)
        .filter((f) => f.endsWith('.jsonl'))
        .sort(),
    ).toEqual(['0000000000000007.jsonl', '0000000000000010.jsonl']);
    expect(Number(readFileSync(path.join(d.journal, 'committed'), 'utf8'))).toBe(7);
    expect(seqs(replay(d))).toEqual([8, 9, 10]);
  });

  it('merges with the spill file: an event in both once, one only in the spill file kept, in sequence order', async () => {
    const d = dataDir();
    const j = new Journal({ dir: d.journal, syncMs: 5, onError: noError });
    // The queue journals 1–8 and 10; 4–9 went to the spill file (the overflow), 9 being a session
    // request, which is not journalled; 1 and 2 are committed.
    for (const i of [1, 2, 3, 4, 5, 6, 7, 8, 10]) j.append(ev(i));
    j.committed(2);
    await j.checkpoint();
    const spill = new SpillFile(d.spill);
    spill.append([4, 5, 6, 7, 8, 9].map(ev));
    expect(seqs(replay(d))).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('puts a spill file from before the journal (no sequence numbers) first, and skips a line a crash cut short', () => {
    const d = dataDir();
    new SpillFile(d.spill).append([{ kind: 'delete', discordMessageIds: ['1'], deletedAt: new Date(0) }]);
    const j = new Journal({ dir: d.journal, syncMs: 5, onError: noError });
    void j; // only the directory
    appendFileSync(path.join(d.journal, '0000000000000001.jsonl'), JSON.stringify(ev(1)) + '\n' + JSON.stringify(ev(2)).slice(0, 30));
    const back = replay(d);
    expect(back.map((e) => e.kind)).toEqual(['delete', 'edit']);
    expect(seqs(back)).toEqual([undefined, 1]);
    expect(mergeJournalIntoSpill(d.journal, d.spill).maxSeq).toBe(0); // nothing left after the replay
  });

  it('at a graceful stop is emptied when everything is committed, and kept otherwise', async () => {
    const d = dataDir();
    const j = new Journal({ dir: d.journal, syncMs: 1000, onError: noError });
    j.append(ev(1));
    j.append(ev(2));
    await j.close(false); // not committed: written at once, not after syncMs
    expect(seqs(replay(d))).toEqual([1, 2]);
    const k = new Journal({ dir: d.journal, syncMs: 5, onError: noError });
    k.append(ev(3));
    k.committed(3);
    await k.close(true);
    expect(existsSync(d.journal)).toBe(false);
  });
});

/**
 * An in-memory "database" with the store's semantics: creates idempotent by id, edits and
 * deletes applied to what exists, an erasure removing a person's messages.
 */
class MemoryDb {
  rows = new Map<string, { author: string; content: string; deleted: boolean }>();
  down = false;
  writeBatch(events: RecordedEvent[]) {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    for (const e of events) {
      if (e.kind === 'create' && !this.rows.has(e.discordMessageId)) this.rows.set(e.discordMessageId, { author: e.author.id, content: e.content, deleted: false });
      if (e.kind === 'edit') {
        const r = this.rows.get(e.discordMessageId);
        if (r) r.content = e.content;
      }
      if (e.kind === 'delete') for (const id of e.discordMessageIds) if (this.rows.has(id)) this.rows.get(id)!.deleted = true;
    }
    return Promise.resolve({ inserted: 0, duplicates: 0 });
  }
  apply(r: RecordingRequest) {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    if (r.kind === 'forget') for (const [id, row] of this.rows) if (row.author === r.person.channelUserId) this.rows.delete(id);
    return Promise.resolve({});
  }
}

const create = (id: number, author: string): RecordedEvent => ({
  kind: 'create',
  discordMessageId: String(id),
  channelId: '710000000000000001',
  guildId: null,
  author: { id: author, username: author, displayName: null },
  role: 'user',
  content: `m${id}`,
  createdAt: new Date(Date.UTC(2026, 0, 1)),
});

describe('the write queue with its journal', () => {
  const ADA = '720000000000000001';
  const BOB = '720000000000000002';
  const open = (d: { dir: string; journal: string; spill: string }, db: MemoryDb, logs = new LogCapture()) =>
    new WriteQueue(db as never, { maxBatch: 100, flushMs: 2, maxQueue: 1000, spillFile: d.spill, journal: { dir: d.journal, syncMs: 10, on: true }, logger: createLogger({ level: 'info', destination: logs }).logger });
  /**
   * kill -9 once the journal has synced what it was given (how long that takes depends on the
   * machine: the tests wait for it rather than for a time). The queue is left as it is and never
   * writes again; only its lock goes (the next queue is in this same process).
   */
  const journalOf = (q: WriteQueue) => (q as unknown as { journal: { closed: boolean; timer: NodeJS.Timeout | null; buffer: string[]; writing: Promise<void> } }).journal;
  const synced = async (q: WriteQueue) => {
    const journal = journalOf(q);
    await until(
      () => !journal.timer && !journal.buffer.length,
      (done) => done,
      10_000,
      'the journal synced',
    );
    await journal.writing;
  };
  const crash = async (q: WriteQueue, opts: { waitForJournal?: boolean } = {}) => {
    if (opts.waitForJournal !== false) await synced(q);
    const inside = q as unknown as { spillFile: SpillFile; stopped: boolean; timer: NodeJS.Timeout | null };
    inside.stopped = true;
    if (inside.timer) clearTimeout(inside.timer);
    inside.spillFile.release();
    const journal = journalOf(q);
    journal.closed = true;
    if (journal.timer) clearTimeout(journal.timer);
  };

  it('replays after a crash what was only in memory and in the spill file, each event once, in order', async () => {
    const d = dataDir();
    const db = new MemoryDb();
    db.down = true;
    const q = open(d, db);
    for (let i = 1; i <= 2500; i++) q.push(create(i, i % 2 ? ADA : BOB));
    q.push({ kind: 'edit', discordMessageId: '5', content: 'edited', editedAt: new Date() });
    q.push({ kind: 'delete', discordMessageIds: ['6'], deletedAt: new Date() });
    await new Promise((r) => setTimeout(r, 200));
    await crash(q);
    db.down = false;
    const again = open(d, db);
    await again.flush();
    expect(db.rows.size).toBe(2500);
    expect(db.rows.get('5')).toMatchObject({ content: 'edited' });
    expect(db.rows.get('6')).toMatchObject({ deleted: true });
    await again.close();
    expect(existsSync(d.journal)).toBe(false);
  });

  it('a crash while the replay is only in memory (its file read to the end, not committed) loses nothing either', async () => {
    const d = dataDir();
    const db = new MemoryDb();
    db.down = true;
    const q = open(d, db);
    for (let i = 1; i <= 900; i++) q.push(create(i, ADA));
    await new Promise((r) => setTimeout(r, 100));
    await crash(q);
    // The next start reads all 900 back into memory (below maxQueue) and cannot write them.
    const replaying = open(d, db);
    await new Promise((r) => setTimeout(r, 100));
    expect(replaying.depth).toBe(900);
    await crash(replaying);
    db.down = false;
    const last = open(d, db);
    await last.flush();
    expect(db.rows.size).toBe(900);
    await last.close();
    expect(readdirSync(d.dir)).toEqual([]);
  });

  it('an erasure survives a crash, and one already applied is not replayed over later messages', async () => {
    // Journalled while the database is down (the checkpoint at 0), then all committed, then a
    // crash before the next periodic checkpoint: only the checkpoint written after the erasure
    // keeps it from being applied again over message 2, which was committed after it.
    const d = dataDir();
    const db = new MemoryDb();
    db.down = true;
    const q = open(d, db);
    q.push(create(1, ADA));
    const erased = q.request({ kind: 'forget', person: { channel: 'discord', channelUserId: ADA } });
    q.push(create(2, ADA)); // after the erasure: stays
    await synced(q);
    db.down = false;
    await erased;
    await q.flush();
    const row = db.rows.get('2');
    await crash(q, { waitForJournal: false });
    const again = open(d, db);
    await again.flush();
    expect([...db.rows.keys()]).toEqual(['2']);
    expect(db.rows.get('2')).toBe(row); // the same row: not erased and made again
    await again.close();

    // Received while the database is down, then a crash: the erasure is applied at the next start.
    const e = dataDir();
    const db2 = new MemoryDb();
    db2.down = true;
    const r = open(e, db2);
    r.push(create(3, ADA));
    r.push(create(4, BOB));
    void r.request({ kind: 'forget', person: { channel: 'discord', channelUserId: ADA } }).catch(() => undefined);
    r.push(create(5, ADA));
    await new Promise((res) => setTimeout(res, 100));
    await crash(r);
    db2.down = false;
    const after = open(e, db2);
    await after.flush();
    expect([...db2.rows.keys()].sort()).toEqual(['4', '5']);
    await after.close();
  });
});
