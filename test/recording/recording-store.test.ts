import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/database/database';
import type { RecordedAuthor, RecordedCreate } from '../../src/recording/events';
import { RecordingStore, StaleBatchError } from '../../src/recording/recording.store';
import { DRIVERS, openTestDatabase } from '../helpers/databases';

let made = 0;
/** A person no other test wrote as (ids 13…). */
function person(username: string, displayName: string | null = null): RecordedAuthor {
  return { id: `13000000000000${String(++made).padStart(4, '0')}`, username, displayName };
}
/** A channel no other test wrote in (ids 23…). */
const channel = () => `23000000000000${String(++made).padStart(4, '0')}`;
const botUser = { id: '110000000000000099', username: 'chronicle', displayName: null };
const G = '310000000000000001';
const T0 = Date.parse('2026-03-01T12:00:00Z');

let seq = 0;
function msg(author: RecordedAuthor, channelId: string, atMin: number, extra: Partial<RecordedCreate> = {}): RecordedCreate {
  seq++;
  return { kind: 'create', discordMessageId: `5100000000000${String(seq).padStart(5, '0')}`, channelId, guildId: G, author, role: 'user', content: `m${seq}`, createdAt: new Date(T0 + atMin * 60_000), ...extra };
}

describe.each(DRIVERS)('recording store on $driver', ({ driver, skip }) => {
  let db: Database & { dispose(): Promise<void> };
  let rec: RecordingStore;
  const idleMs = 30 * 60_000;

  beforeAll(async () => {
    if (skip) return;
    db = await openTestDatabase(driver, 'recording');
    rec = new RecordingStore(db, { idleMs });
  });
  afterAll(async () => db?.dispose());

  it.skipIf(skip)('puts messages into per-user, per-channel sessions with an idle timeout', async () => {
    const ada = person('ada', 'Ada');
    const bob = person('bob');
    const [C1, C2] = [channel(), channel()];
    const batch = [msg(ada, C1, 0), msg(ada, C1, 5), msg(bob, C1, 6), msg(ada, C2, 7), msg(ada, C1, 40)];
    const r = await rec.writeBatch(batch);
    expect(r).toMatchObject({ inserted: 5, duplicates: 0, usersCreated: 2, sessionsCreated: 4 });
    const adaRow = await db.users.getUserByChannel({ channel: 'discord', channelUserId: ada.id });
    expect(adaRow).toMatchObject({ username: 'ada', displayName: 'Ada' });
    const sessions = await db.sessions.listSessionsForUser(adaRow!.id);
    expect(sessions.map((s) => [s.channelId, (s.updatedAt.getTime() - T0) / 60_000])).toEqual(
      expect.arrayContaining([
        [C1, 5],
        [C2, 7],
        [C1, 40],
      ]),
    );
    const first = sessions.find((s) => s.channelId === C1 && s.createdAt.getTime() === T0)!;
    expect((await db.messages.listBySession(first.id)).map((m) => m.content)).toEqual([batch[0].content, batch[1].content]);
  });

  it.skipIf(skip)('is idempotent: the same Discord message twice is one row', async () => {
    const bob = person('bob');
    const C1 = channel();
    const m = msg(bob, C1, 41);
    expect((await rec.writeBatch([m, { ...m }])).inserted).toBe(1);
    const again = await rec.writeBatch([{ ...m }]);
    expect(again).toMatchObject({ inserted: 0, duplicates: 1 });
    expect(await db.messages.countMessages({ channelId: C1 })).toBe(1);
  });

  it.skipIf(skip)('continues sessions from the database after a restart (cold caches)', async () => {
    const ada = person('ada', 'Ada');
    const bob = person('bob');
    const C1 = channel();
    // ada's session was last written at minute 40, bob's at 41.
    await rec.writeBatch([msg(ada, C1, 40), msg(bob, C1, 41)]);
    const fresh = new RecordingStore(db, { idleMs });
    const r = await fresh.writeBatch([msg(ada, C1, 45), msg(bob, C1, 80)]);
    expect(r.sessionsCreated).toBe(1); // ada's 40-min session continues; bob idled out (41 → 80)
    expect(r.usersCreated).toBe(0);
  });

  it.skipIf(skip)('rewrites a busy session row about once a minute, yet measures idleness from the exact last message', async () => {
    const C3 = '210000000000000003';
    const carol = { id: '110000000000000003', username: 'carol', displayName: null };
    const stored = async () => {
      const u = await db.users.getUserByChannel({ channel: 'discord', channelUserId: carol.id });
      return (await db.sessions.listSessionsForUser(u!.id)).map((s) => (s.updatedAt.getTime() - T0) / 1000);
    };
    // Seconds 0, 20, 50: the row keeps 0 (less than a minute behind); at 70 it is rewritten.
    await rec.writeBatch([msg(carol, C3, 0)]);
    await rec.writeBatch([msg(carol, C3, 20 / 60)]);
    await rec.writeBatch([msg(carol, C3, 50 / 60)]);
    expect(await stored()).toEqual([0]);
    await rec.writeBatch([msg(carol, C3, 70 / 60), msg(carol, C3, 100 / 60)]);
    expect(await stored()).toEqual([100]);
    await rec.writeBatch([msg(carol, C3, 110 / 60)]);
    expect(await stored()).toEqual([100]);

    // 29 min 50 s after the last message (but 30 min after the stored time): still open, for
    // the commands and for a recorder starting cold.
    const u = await db.users.getUserByChannel({ channel: 'discord', channelUserId: carol.id });
    const now = new Date(T0 + 110_000 + idleMs - 10_000);
    const open = await db.sessions.findOpenSession({ userId: u!.id, channelId: C3, idleMs, now });
    expect(open && (open.updatedAt.getTime() - T0) / 1000).toBe(110);
    expect(await db.sessions.findOpenSession({ userId: u!.id, channelId: C3, idleMs, now: new Date(now.getTime() + 20_000) })).toBeNull();
    const cold = new RecordingStore(db, { idleMs });
    const r = await cold.writeBatch([msg(carol, C3, (now.getTime() - T0) / 60_000)]);
    expect(r.sessionsCreated).toBe(0);
    expect(await stored()).toEqual([(now.getTime() - T0) / 1000]);
  });
  it.skipIf(skip)('keeps username and display name current', async () => {
    const ada = person('ada', 'Ada');
    const C1 = channel();
    await rec.writeBatch([msg(ada, C1, 40)]);
    expect(await db.users.getUserByChannel({ channel: 'discord', channelUserId: ada.id })).toMatchObject({ username: 'ada', displayName: 'Ada' });
    await rec.writeBatch([msg({ ...ada, username: 'ada_l', displayName: 'Ada Lovelace' }, C1, 46)]);
    expect(await db.users.getUserByChannel({ channel: 'discord', channelUserId: ada.id })).toMatchObject({ username: 'ada_l', displayName: 'Ada Lovelace' });
  });

  it.skipIf(skip)("puts the bot's replies into the replied-to user's session", async () => {
    const bob = person('bob');
    const C2 = channel();
    const q = msg(bob, C2, 100);
    const reply = msg(botUser, C2, 100.1, { role: 'assistant', replyToId: q.discordMessageId });
    const own = msg(botUser, C2, 101, { role: 'assistant' });
    await rec.writeBatch([q]);
    await rec.writeBatch([reply, own]);
    const bobRow = await db.users.getUserByChannel({ channel: 'discord', channelUserId: bob.id });
    const s = (await db.sessions.listSessionsForUser(bobRow!.id)).find((x) => x.channelId === C2)!;
    expect((await db.messages.listBySession(s.id)).map((m) => [m.role, m.content])).toEqual([
      ['user', q.content],
      ['assistant', reply.content],
    ]);
    const botRow = await db.users.getUserByChannel({ channel: 'discord', channelUserId: botUser.id });
    const botSession = (await db.sessions.listSessionsForUser(botRow!.id)).find((x) => x.channelId === C2)!;
    expect((await db.messages.listBySession(botSession.id)).map((m) => m.content)).toEqual([own.content]);
  });

  it.skipIf(skip)('applies edits and deletes, and creates a never-seen message from an edit', async () => {
    const ada = person('ada', 'Ada');
    const bob = person('bob');
    const C2 = channel();
    const a = msg(ada, C2, 110);
    const b = msg(ada, C2, 111);
    const c = msg(ada, C2, 112);
    await rec.writeBatch([a, b, c]);
    const unseen = msg(bob, C2, 113, { content: 'old' });
    const r = await rec.writeBatch([
      { kind: 'edit', discordMessageId: a.discordMessageId, content: 'a, edited \u0000', editedAt: new Date(T0 + 120 * 60_000) },
      { kind: 'delete', discordMessageIds: [b.discordMessageId], deletedAt: new Date() },
      { kind: 'delete', discordMessageIds: [c.discordMessageId, '519999999999999999'], deletedAt: new Date() },
      { kind: 'edit', discordMessageId: unseen.discordMessageId, content: 'new', editedAt: new Date(T0 + 121 * 60_000), full: unseen },
      { kind: 'edit', discordMessageId: '519999999999999998', content: 'nothing to edit', editedAt: new Date() },
    ]);
    expect(r).toMatchObject({ edited: 2, deleted: 2, inserted: 1 });
    expect(await db.messages.getByDiscordId(a.discordMessageId)).toMatchObject({ content: 'a, edited \u0000' });
    expect((await db.messages.getByDiscordId(b.discordMessageId))?.deletedAt).toBeInstanceOf(Date);
    expect(await db.messages.getByDiscordId(unseen.discordMessageId)).toMatchObject({ content: 'new' });
    expect((await db.messages.getByDiscordId(unseen.discordMessageId))?.editedAt).toBeInstanceOf(Date);
  });

  it.skipIf(skip)('a batch prepared while another is uncommitted sees its users and sessions; in order only', async () => {
    const dave = { id: '110000000000000004', username: 'dave', displayName: null };
    const C4 = '210000000000000004';
    const store = new RecordingStore(db, { idleMs });
    const a = await store.prepare([msg(dave, C4, 300)]);
    const b = await store.prepare([msg(dave, C4, 301), msg(dave, C4, 302)]);
    // Out of order: refused, and what was planned with it goes too; nothing written.
    await expect(b.commit()).rejects.toBeInstanceOf(StaleBatchError);
    await expect(a.commit()).rejects.toBeInstanceOf(StaleBatchError);
    expect(await db.users.getUserByChannel({ channel: 'discord', channelUserId: dave.id })).toBeNull();

    const a2 = await store.prepare([msg(dave, C4, 303)]);
    const b2 = await store.prepare([msg(dave, C4, 304), msg(dave, C4, 305)]);
    a2.discard(); // b2 was planned behind a2: stale now
    await expect(b2.commit()).rejects.toBeInstanceOf(StaleBatchError);
    expect(await db.users.getUserByChannel({ channel: 'discord', channelUserId: dave.id })).toBeNull();

    const first = await store.prepare([msg(dave, C4, 306)]);
    const second = await store.prepare([msg(dave, C4, 307), msg(dave, C4, 308)]);
    expect(await first.commit()).toMatchObject({ inserted: 1, usersCreated: 1, sessionsCreated: 1 });
    expect(await second.commit()).toMatchObject({ inserted: 2, usersCreated: 0, sessionsCreated: 0 });
    const user = await db.users.getUserByChannel({ channel: 'discord', channelUserId: dave.id });
    const sessions = await db.sessions.listSessionsForUser(user!.id);
    expect(sessions).toHaveLength(1);
    expect(await db.messages.countMessages({ sessionId: sessions[0].id })).toBe(3);

    // A bot reply prepared while the message it answers is still uncommitted goes in the asker's session.
    const ask = msg(dave, C4, 309);
    const asked = await store.prepare([ask]);
    const answered = await store.prepare([msg(botUser, C4, 309.5, { role: 'assistant', replyToId: ask.discordMessageId })]);
    await asked.commit();
    await answered.commit();
    expect(await db.messages.countMessages({ sessionId: sessions[0].id })).toBe(5);
  });

  it.skipIf(skip)('a user created by someone else after the batch was prepared makes it stale, not a failure', async () => {
    const C1 = channel();
    const erin = { id: '110000000000000005', username: 'erin', displayName: null };
    const store = new RecordingStore(db, { idleMs });
    const events = [msg(erin, C1, 400)];
    const prepared = await store.prepare(events);
    await db.users.createUser({ channel: 'discord', channelUserId: erin.id, username: 'erin' });
    await expect(prepared.commit()).rejects.toBeInstanceOf(StaleBatchError);
    expect(await db.messages.getByDiscordId(events[0].discordMessageId)).toBeNull();
    expect(await store.writeBatch(events)).toMatchObject({ inserted: 1, usersCreated: 0 });
  });

  it.skipIf(skip)('a batch the database refuses leaves nothing behind: no user, session or message', async () => {
    const C2 = channel();
    const fay = { id: '110000000000000006', username: 'fay', displayName: null };
    const good = msg(fay, C2, 500);
    // Refused by the database (NOT NULL), after the user and session rows went in: all rolled back.
    const bad = msg(fay, C2, 501, { channelId: null as never });
    await expect(rec.writeBatch([good, bad])).rejects.toThrow();
    expect(await db.users.getUserByChannel({ channel: 'discord', channelUserId: fay.id })).toBeNull();
    expect(await db.messages.getByDiscordId(good.discordMessageId)).toBeNull();
    // The store is still usable, and the good message goes in on its own.
    expect(await rec.writeBatch([good])).toMatchObject({ inserted: 1, usersCreated: 1, sessionsCreated: 1 });
  });

  it.skipIf(skip)('writes a large batch with many users and channels in one go', async () => {
    const users = Array.from({ length: 300 }, (_, i) => ({ id: `12000000000000${String(i).padStart(4, '0')}`, username: `u${i}`, displayName: null }));
    const batch = Array.from({ length: 2500 }, (_, i) => msg(users[i % users.length], `22000000000000${String(i % 40).padStart(4, '0')}`, 200 + i / 1000));
    const r = await rec.writeBatch(batch);
    expect(r).toMatchObject({ inserted: 2500, usersCreated: 300 });
    expect(r.sessionsCreated).toBe(new Set(batch.map((m) => `${m.author.id}:${m.channelId}`)).size);
    expect(await db.messages.countMessages()).toBeGreaterThanOrEqual(2500);
  });
});
