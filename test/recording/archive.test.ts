import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { checkDiscordAfterEach, newChannel, newMember, startHarness, until, type Harness } from '../helpers/harness';
import { reviveEvent, type QueuedEvent, type RecordedEdit } from '../../src/recording/events';
import { reactionEvent, type ReactionEventName } from '../../src/recording/reaction-events';
import type { ReactionCount } from '../../src/database/stores/archive.store';

/** Edit history and reactions, from the local Discord through the real client to the database. */
describe.each(DRIVERS)('the archive: edit history and reactions on $driver', ({ driver, skip }) => {
  let h: Harness;
  beforeAll(async () => {
    if (!skip) h = await startHarness(driver, 'archive');
  });
  afterAll(async () => h?.dispose());
  checkDiscordAfterEach(() => h);

  const stored = (id: string) => h.bot.db.messages.getByDiscordId(id);
  const recorded = (id: string) =>
    until(
      () => stored(id),
      (m) => !!m,
      5000,
      `message ${id} recorded`,
    );
  const revisions = (id: string) => h.bot.db.archive.revisionsByDiscordId(id);
  const revisionCount = (id: string, n: number) =>
    until(
      () => revisions(id),
      (r) => r.length === n,
      5000,
      `${n} revision(s) of ${id}`,
    );
  /** A replay: the event as the journal or the spill file gives it back (JSON, dates revived). */
  const replay = (e: QueuedEvent) => h.bot.queue.push(reviveEvent(JSON.parse(JSON.stringify(e)) as QueuedEvent) as never);

  it.skipIf(skip)('keeps every earlier version: two edits, two revisions, the current text last; a replayed edit adds none; the reconcile at start adds the edit made while away', async () => {
    const ada = newMember(h, 'ada');
    const general = newChannel(h, 'general');
    const m = h.emu.sendMessage({ channelId: general, authorId: ada, content: 'first draft' });
    await recorded(m.id);
    const e1 = h.emu.editMessage(general, m.id, 'second draft');
    await revisionCount(m.id, 1);
    const e2 = h.emu.editMessage(general, m.id, 'final text');
    await revisionCount(m.id, 2);
    await until(
      () => stored(m.id),
      (r) => r?.content === 'final text',
    );
    const at = (ts: string | null) => new Date(ts!).getTime();
    const check = async () => {
      const revs = await revisions(m.id);
      expect(revs.map((r) => [r.content, r.editedAt?.getTime() ?? null, r.replacedAt.getTime()])).toEqual([
        ['first draft', null, at(e1.edited_timestamp)],
        ['second draft', at(e1.edited_timestamp), at(e2.edited_timestamp)],
      ]);
      const row = await stored(m.id);
      expect([row?.content, row?.editedAt?.getTime()]).toEqual(['final text', at(e2.edited_timestamp)]);
    };
    await check();

    // The same edits again, as a replay gives them (the newer one, and the older one after it).
    const edit = (d: typeof e1): RecordedEdit => ({ kind: 'edit', discordMessageId: d.id, content: d.content, editedAt: new Date(d.edited_timestamp!), full: null });
    replay(edit(e2));
    replay(edit(e1));
    await h.bot.queue.flush();
    await check();

    // A restart reconciles recent history: the same edit again changes nothing, one made while away is kept.
    await h.restart();
    await h.bot.queue.flush();
    await check();
    await h.bot.stop();
    const e3 = h.emu.editMessage(general, m.id, 'edited while away');
    await h.restart();
    await revisionCount(m.id, 3);
    expect((await revisions(m.id))[2]).toMatchObject({ content: 'final text', replacedAt: new Date(e3.edited_timestamp!) });
    expect((await stored(m.id))?.content).toBe('edited while away');
  });

  it.skipIf(skip)('an edit that changes only what is not text (the same content) keeps no revision; NUL and emoji round-trip', async () => {
    const ada = newMember(h, 'ada');
    const general = newChannel(h, 'general');
    const m = h.emu.sendMessage({ channelId: general, authorId: ada, content: 'a \u0000 b \\ 🎉' });
    await recorded(m.id);
    h.emu.editMessage(general, m.id, 'a \u0000 b \\ 🎉');
    await until(
      () => stored(m.id),
      (r) => !!r?.editedAt,
    );
    await h.bot.queue.flush();
    expect(await revisions(m.id)).toEqual([]);
    h.emu.editMessage(general, m.id, 'plain now');
    await revisionCount(m.id, 1);
    expect((await revisions(m.id))[0].content).toBe('a \u0000 b \\ 🎉');
  });

  it.skipIf(skip)('counts reactions per emoji and who reacted, at every step: two people, one removed, REMOVE_EMOJI, REMOVE_ALL; a replay ends the same', async () => {
    const ada = newMember(h, 'ada');
    const bob = newMember(h, 'bob');
    const cy = newMember(h, 'cy');
    const general = newChannel(h, 'general');
    const m = h.emu.sendMessage({ channelId: general, authorId: ada, content: 'react to this' });
    await recorded(m.id);
    const sent: [ReactionEventName, Record<string, unknown>][] = [];
    const keep = (t: ReactionEventName, d: Record<string, unknown> | null) => {
      expect(d).not.toBeNull();
      sent.push([t, d!]);
    };
    const counts = (rs: ReactionCount[]) => rs.map((r) => [r.emoji, r.emojiName, r.count, [...r.users].sort()]);
    const expectCounts = (want: unknown[][]) =>
      until(
        async () => counts(await h.bot.db.archive.reactionsByDiscordId(m.id)),
        // Emoji first reacted with in the same millisecond have no order between them: compared as sets.
        (c) => JSON.stringify(c.map((x) => JSON.stringify(x)).sort()) === JSON.stringify(want.map((x) => JSON.stringify(x)).sort()),
        5000,
        `reactions ${JSON.stringify(want)}`,
      );
    const sorted = (...ids: string[]) => ids.sort();

    keep('MESSAGE_REACTION_ADD', h.emu.addReaction({ channelId: general, messageId: m.id, userId: ada, emoji: '👍' }));
    await expectCounts([['👍', '👍', 1, [ada]]]);
    keep('MESSAGE_REACTION_ADD', h.emu.addReaction({ channelId: general, messageId: m.id, userId: bob, emoji: '👍' }));
    keep('MESSAGE_REACTION_ADD', h.emu.addReaction({ channelId: general, messageId: m.id, userId: bob, emoji: 'blobcat:112233445566778899' }));
    await expectCounts([
      ['👍', '👍', 2, sorted(ada, bob)],
      ['112233445566778899', 'blobcat', 1, [bob]],
    ]);
    keep('MESSAGE_REACTION_REMOVE', h.emu.removeReaction({ channelId: general, messageId: m.id, userId: ada, emoji: '👍' }));
    await expectCounts([
      ['👍', '👍', 1, [bob]],
      ['112233445566778899', 'blobcat', 1, [bob]],
    ]);
    keep('MESSAGE_REACTION_ADD', h.emu.addReaction({ channelId: general, messageId: m.id, userId: cy, emoji: 'a:party:998877665544332211' }));
    await expectCounts([
      ['👍', '👍', 1, [bob]],
      ['112233445566778899', 'blobcat', 1, [bob]],
      ['998877665544332211', 'party', 1, [cy]],
    ]);
    expect((await h.bot.db.archive.reactionsByDiscordId(m.id))[2]).toMatchObject({ emojiId: '998877665544332211', animated: true, burst: 0 });
    keep('MESSAGE_REACTION_REMOVE_EMOJI', h.emu.removeEmojiReactions(general, m.id, 'blobcat:112233445566778899'));
    await expectCounts([
      ['👍', '👍', 1, [bob]],
      ['998877665544332211', 'party', 1, [cy]],
    ]);
    keep('MESSAGE_REACTION_REMOVE_ALL', h.emu.removeAllReactions(general, m.id));
    await expectCounts([]);

    // Replayed from the middle on (a suffix, in order, as the journal replays): the same end state.
    for (const [t, d] of sent.slice(1)) replay(reactionEvent(t, d as never));
    await h.bot.queue.flush();
    await expectCounts([]);
    // And a replay of what came before the REMOVE_ALL only: the state it had then.
    for (const [t, d] of sent.slice(0, 6)) replay(reactionEvent(t, d as never));
    await h.bot.queue.flush();
    await expectCounts([
      ['👍', '👍', 1, [bob]],
      ['998877665544332211', 'party', 1, [cy]],
    ]);

    // A reaction to a message never recorded changes nothing and breaks nothing.
    const ghost = h.emu.sendMessage({ channelId: newChannel(h, 'elsewhere'), authorId: ada, content: 'x' });
    await recorded(ghost.id);
    await h.bot.db.write('test', (em) => em.query(`DELETE FROM "messages" WHERE "discord_message_id" = '${ghost.id}'`));
    h.emu.addReaction({ channelId: ghost.channel_id, messageId: ghost.id, userId: bob, emoji: '👀' });
    await h.bot.queue.flush();
    expect(await h.bot.db.archive.reactionsByDiscordId(ghost.id)).toEqual([]);
  });
});
