import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueuedEvent, RecordedEvent } from '../../src/recording/events';
import { Journal, mergeJournalIntoSpill } from '../../src/recording/journal';
import { RecordingStore } from '../../src/recording/recording.store';
import { SpillFile } from '../../src/recording/spill-file';
import { DRIVERS, openTestDatabase } from '../helpers/databases';
import { until } from '../helpers/harness';

/**
 * Edits and reactions replayed from the journal on disk over what the database already holds (a
 * crash after the commit, before the checkpoint): the same rows, one revision per edit.
 */
describe.each(DRIVERS)('edit history and reactions replayed from the journal on $driver', ({ driver, skip }) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let dir: string;
  beforeAll(async () => {
    if (skip) return;
    db = await openTestDatabase(driver, 'archive_replay');
    dir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-archive-replay-'));
  });
  afterAll(async () => {
    await db?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ADA = '730000000000000001';
  const BOB = '730000000000000002';
  const MSG = '740000000000000001';
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s));
  const thumbs = { key: '👍', id: null, name: '👍', animated: false };
  const party = { key: '750000000000000001', id: '750000000000000001', name: 'party', animated: true };
  const events: RecordedEvent[] = [
    { kind: 'create', discordMessageId: MSG, channelId: '760000000000000001', guildId: null, author: { id: ADA, username: 'ada', displayName: null }, role: 'user', content: 'v1 \u0000 ✓', createdAt: at(0) },
    { kind: 'edit', discordMessageId: MSG, content: 'v2', editedAt: at(10) },
    { kind: 'reaction', action: 'add', discordMessageId: MSG, emoji: thumbs, userId: ADA, burst: false, createdAt: at(11) },
    { kind: 'reaction', action: 'add', discordMessageId: MSG, emoji: thumbs, userId: BOB, burst: false, createdAt: at(12) },
    { kind: 'reaction', action: 'add', discordMessageId: MSG, emoji: party, userId: BOB, burst: true, createdAt: at(13) },
    { kind: 'edit', discordMessageId: MSG, content: 'v3', editedAt: at(20) },
    { kind: 'reaction', action: 'remove', discordMessageId: MSG, emoji: thumbs, userId: ADA, burst: false },
    { kind: 'reaction', action: 'remove_emoji', discordMessageId: MSG, emoji: party },
  ];

  const state = async () => ({
    content: (await db.messages.getByDiscordId(MSG))?.content,
    revisions: (await db.archive.revisionsByDiscordId(MSG)).map((r) => [r.content, r.editedAt?.getTime() ?? null, r.replacedAt.getTime()]),
    reactions: (await db.archive.reactionsByDiscordId(MSG)).map((r) => [r.emoji, r.count, r.burst, r.users]),
  });
  const expected = {
    content: 'v3',
    revisions: [
      ['v1 \u0000 ✓', null, at(10).getTime()],
      ['v2', at(10).getTime(), at(20).getTime()],
    ],
    reactions: [['👍', 1, 0, [BOB]]],
  };

  it.skipIf(skip)('the journal gives the events back as they were, and writing them again changes nothing', async () => {
    const store = new RecordingStore(db, { idleMs: 30 * 60_000 });
    const r = await store.writeBatch(events);
    expect(r).toMatchObject({ inserted: 1, edited: 2, revisions: 2 });
    expect(await state()).toEqual(expected);

    // Journalled as received, then the process "died" before its checkpoint said they were committed.
    const journalDir = path.join(dir, 'recorder-journal');
    const spill = path.join(dir, 'recorder-spill.jsonl');
    const j = new Journal({
      dir: journalDir,
      syncMs: 10,
      onError: (e) => {
        throw e;
      },
    });
    events.forEach((e, i) => j.append({ ...e, seq: i + 1 }));
    await until(
      () => j.stats.writes,
      (w) => w >= 1,
      5000,
      'the journal written',
    );
    mergeJournalIntoSpill(journalDir, spill);
    const s = new SpillFile(spill);
    s.recover();
    const back = s.take(1000).map(({ seq: _seq, ...e }: QueuedEvent) => e) as RecordedEvent[];
    s.release();
    expect(back).toEqual(events);

    // The whole replay, in batches of any size, and a suffix of it: the same rows.
    const again = new RecordingStore(db, { idleMs: 30 * 60_000 });
    expect(await again.writeBatch(back)).toMatchObject({ inserted: 0, duplicates: 1, revisions: 0 });
    expect(await state()).toEqual(expected);
    for (const e of back.slice(3)) await again.writeBatch([e]);
    expect(await state()).toEqual(expected);
  });
});
