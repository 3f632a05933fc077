import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readConfirm } from '../../src/commands/lib/personal-data';
import { writePersonalExport } from '../../src/commands/lib/personal-export-file';
import { EXPORT_SECTIONS } from '../../src/database/stores/privacy.store';
import type { InteractionResult } from '@chronicle/discord-emulator';
import { DRIVERS } from '../helpers/databases';
import { newChannel, newMember, startHarness, until, type Harness, checkDiscordAfterEach } from '../helpers/harness';

const discord = (id: string) => ({ channel: 'discord', channelUserId: id });

/** The custom ids of the buttons on a reply. */
function buttons(r: InteractionResult): string[] {
  return (r.components as { components: { custom_id: string }[] }[]).flatMap((row) => row.components.map((c) => c.custom_id));
}

describe('forget confirmations', () => {
  it('expire after ten minutes and reject ids that are not snowflakes', () => {
    const id = '123456789012345678';
    expect(readConfirm(['forget', id, String(Date.now() - 60_000)])).toEqual({ action: 'forget', discordUserId: id, expired: false });
    expect(readConfirm(['forget', id, String(Date.now() - 11 * 60_000)])).toMatchObject({ expired: true });
    expect(readConfirm(['forget', 'nope', String(Date.now())])).toBeNull();
    expect(readConfirm(['cancel'])).toEqual({ action: 'cancel' });
  });
});

describe.each(DRIVERS)('/mydata on $driver', ({ driver, skip }) => {
  let h: Harness;
  const adaSaid = ['ada-1 hello', 'ada-2 with a NUL \u0000 and a \\0 backslash', 'ada-3 bye'];

  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'mydata');
  });
  afterAll(async () => h?.dispose());
  checkDiscordAfterEach(() => (skip ? undefined : h));

  /** Runs a /mydata subcommand and waits until its reply reached the recorder and was written. */
  async function ask(userId: string, channelId: string, subcommand: string) {
    const received = h.bot.queue.stats.received;
    const r = await h.emu.runCommand('mydata', {}, { userId, channelId, subcommand });
    await until(
      () => h.bot.queue.stats.received,
      (n) => n > received,
      5000,
      `the reply to /mydata ${subcommand} received by the recorder`,
    );
    await h.bot.recording.settled();
    return r;
  }

  /**
   * This test's own people and channels: ada wrote three times in #general and once in #random,
   * bob twice in #general; a task each, and a schedule ada created.
   */
  async function seed() {
    const general = newChannel(h, 'general');
    const random = newChannel(h, 'random');
    const ada = newMember(h, 'ada', { globalName: 'Ada Lovelace' });
    const bob = newMember(h, 'bob', { nick: 'Bobby' });
    for (const content of adaSaid) h.emu.sendMessage({ channelId: general, authorId: ada, content });
    h.emu.sendMessage({ channelId: random, authorId: ada, content: 'ada-4 elsewhere' });
    h.emu.sendMessage({ channelId: general, authorId: bob, content: 'bob-1 hi ada' });
    h.emu.sendMessage({ channelId: general, authorId: bob, content: 'bob-2 see you' });
    await until(
      async () => (await h.bot.db.messages.countMessages({ channelId: general })) + (await h.bot.db.messages.countMessages({ channelId: random })),
      (n) => n === 6,
      5000,
      'six recorded messages',
    );
    const db = h.bot.db;
    const [adaSession] = await db.sessions.listSessionsForUser((await db.users.getUserByChannel(discord(ada)))!.id);
    const [bobSession] = await db.sessions.listSessionsForUser((await db.users.getUserByChannel(discord(bob)))!.id);
    await db.tasks.createTask({ sessionId: adaSession.id, skill: 'echo', input: 'ada-task', channelId: general });
    await db.tasks.createTask({ sessionId: bobSession.id, skill: 'echo', input: 'bob-task', channelId: general });
    const schedule = await db.schedules.createSchedule({ skill: 'digest', cronExpression: '0 9 * * 1', channelId: general, createdBy: ada, enabled: false });
    return { general, random, ada, bob, schedule };
  }

  it.skipIf(skip)('show: counts and dates per table; someone unknown has nothing stored', async () => {
    const { general, ada } = await seed();
    const cy = newMember(h, 'cy');
    const r = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: general, subcommand: 'show' });
    expect(r.ephemeral).toBe(true);
    const lines = r.content!.split('\n');
    expect(lines[0]).toBe('**What I store about you**');
    expect(lines[1]).toMatch(/^• User record: username `ada`, display name `Ada Lovelace`, since <t:\d+:d>$/);
    expect(lines[2]).toMatch(/^• Sessions: 2 \(<t:\d+:d> – <t:\d+:d>\)$/);
    expect(lines[3]).toMatch(/^• Messages: 4 \(4 written by you, 0 replies from me\) \(<t:\d+:d> – <t:\d+:d>\)$/);
    expect(lines[4]).toMatch(/^• Tasks you ran: 1 \(<t:\d+:d> – <t:\d+:d>\)$/);
    expect(lines[5]).toMatch(/^• Schedules you created: 1 /);
    const none = await h.emu.runCommand('mydata', {}, { userId: cy, channelId: general, subcommand: 'show' });
    expect(none.content).toBe('I have nothing stored about you.');
  });

  it.skipIf(skip)("export: a JSON file with exactly the caller's rows, content decoded byte-exact", async () => {
    const { general, ada } = await seed();
    // She asked what is stored first: the reply to her is part of her data.
    expect((await ask(ada, general, 'show')).content).toMatch(/^\*\*What I store about you\*\*/);
    const adaRow = (await h.bot.db.users.getUserByChannel(discord(ada)))!;
    const sessions = await h.bot.db.sessions.listSessionsForUser(adaRow.id);
    const expected = (await Promise.all(sessions.map((s) => h.bot.db.messages.listBySession(s.id, { includeDeleted: true })))).flat();

    const r = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: general, subcommand: 'export' });
    expect(r).toMatchObject({ deferred: true, ephemeral: true });
    expect(r.content).toBe('Everything stored about you: your user record, 2 sessions, 5 messages, 1 task, 1 schedule you created.');
    expect(r.attachments).toHaveLength(1);
    expect(r.attachments[0].filename).toBe(`chronicle-data-${ada}.json`);
    const data = JSON.parse(r.attachments[0].data.toString('utf8'));
    expect(data.discordUserId).toBe(ada);
    expect(data.user).toMatchObject({ id: adaRow.id, channel: 'discord', channelUserId: ada, username: 'ada', displayName: 'Ada Lovelace' });
    expect(data.sessions.map((s: { id: string }) => s.id).sort()).toEqual(sessions.map((s) => s.id).sort());
    expect(data.sessions.every((s: { userId: string }) => s.userId === adaRow.id)).toBe(true);
    expect(data.messages.map((m: { id: string }) => m.id).sort()).toEqual(expected.map((m) => m.id).sort());
    const userMessages = data.messages.filter((m: { role: string }) => m.role === 'user').map((m: { content: string }) => m.content);
    expect(userMessages.sort()).toEqual([...adaSaid, 'ada-4 elsewhere'].sort());
    expect(JSON.stringify(data)).not.toContain('bob-');
    expect(data.tasks.map((t: { input: string }) => t.input)).toEqual(['ada-task']);
    expect(data.schedulesCreated).toHaveLength(1);
    expect(data.schedulesCreated[0].createdBy).toBe(ada);
  });

  it.skipIf(skip)('export streams keyset pages: none repeated or lost, the file equals the rows, gzipped past the upload limit', async () => {
    const { ada } = await seed();
    const whole = await h.bot.db.privacy.exportPerson(discord(ada));
    expect(whole.messages.length).toBe(4);
    const paged: Record<string, { id: string }[]> = {};
    for await (const p of h.bot.db.privacy.exportParts(discord(ada), 3)) {
      if (p.section === 'user') continue;
      expect(p.rows.length).toBeLessThanOrEqual(3);
      (paged[p.section] ??= []).push(...(p.rows as { id: string }[]));
    }
    expect(paged.messages.map((m) => m.id)).toEqual(whole.messages.map((m) => m.id));
    expect(new Set(paged.messages.map((m) => m.id)).size).toBe(4);

    const out = await writePersonalExport(ada, h.bot.db.privacy.exportParts(discord(ada), 3), 10 * 1024 * 1024);
    try {
      expect(out.counts).toMatchObject({ user: true, messages: 4, tasks: 1, schedulesCreated: 1, revisions: 0 });
      const parsed = JSON.parse(readFileSync(out.file!.attachment, 'utf8'));
      expect(Object.keys(parsed)).toEqual(['exportedAt', 'discordUserId', ...EXPORT_SECTIONS]);
      const { exportedAt: _at, discordUserId, ...rows } = parsed;
      expect(discordUserId).toBe(ada);
      expect(rows).toEqual(JSON.parse(JSON.stringify(whole)));
    } finally {
      await out.cleanup();
    }
    expect(existsSync(out.file!.attachment)).toBe(false);

    const small = await writePersonalExport(ada, h.bot.db.privacy.exportParts(discord(ada)), 2000);
    try {
      expect(small.file!.name).toBe(`chronicle-data-${ada}.json.gz`);
      expect(JSON.parse(gunzipSync(readFileSync(small.file!.attachment)).toString('utf8')).messages).toHaveLength(4);
    } finally {
      await small.cleanup();
    }
    const none = await writePersonalExport(ada, h.bot.db.privacy.exportParts(discord(ada)), 100);
    expect(none.file).toBeNull();
    await none.cleanup();
  });

  it.skipIf(skip)('forget: cancel keeps everything; a button is only for the person it was offered to', async () => {
    const { general, ada, bob } = await seed();
    const before = await h.bot.db.privacy.exportPerson(discord(bob));
    const offer = await h.emu.runCommand('mydata', {}, { userId: bob, channelId: general, subcommand: 'forget' });
    expect(offer.ephemeral).toBe(true);
    expect(offer.content).toMatch(/^\*\*This permanently erases what I store about you:\*\*\n• User record: username `bob`, display name `Bobby`/);
    const [confirm, cancel] = buttons(offer);
    expect(confirm).toMatch(new RegExp(`^mydata:forget:${bob}:\\d+$`));
    expect(cancel).toBe('mydata:cancel');

    const stranger = await h.emu.clickButton({ interaction: offer, customId: confirm, userId: ada, channelId: general });
    expect(stranger.content).toBe('This confirmation belongs to someone else; run `/mydata forget` yourself.');
    const cancelled = await h.emu.clickButton({ interaction: offer, customId: cancel, userId: bob, channelId: general });
    expect(cancelled.content).toBe('Cancelled: nothing was erased.');
    expect(cancelled.components).toEqual([]);
    const after = await h.bot.db.privacy.exportPerson(discord(bob));
    expect(after.user).toEqual(before.user);
    expect(after.messages.filter((m) => m.role === 'user')).toEqual(before.messages.filter((m) => m.role === 'user'));
  });

  it.skipIf(skip)("forget: after confirmation nothing of the person is left, others' rows are untouched", async () => {
    const { general, random, ada, bob, schedule } = await seed();
    await until(
      () => h.bot.queue.depth,
      (d) => d === 0,
    );
    await h.bot.queue.flush();
    const bobBefore = await h.bot.db.privacy.exportPerson(discord(bob));
    // She looked first: the replies to her are hers too, and go with her.
    await ask(ada, general, 'show');
    await ask(ada, general, 'export');
    const offer = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: general, subcommand: 'forget' });
    expect(offer.content).toContain('• Messages: 6 (4 written by you, 2 replies from me)');
    const done = await h.emu.clickButton({ interaction: offer, customId: buttons(offer)[0], userId: ada, channelId: general });
    expect(done.content).toBe('Done: I no longer store anything about you. Deleted 7 messages, 2 sessions, 1 task, the user record. 1 schedule no longer names the creator.');
    expect(done.components).toEqual([]);

    // Give the recorder time to (wrongly) record the confirmation: it must not bring the person back.
    await new Promise((r) => setTimeout(r, 300));
    await h.bot.queue.flush();
    expect(await h.bot.db.users.getUserByChannel(discord(ada))).toBeNull();
    const left = await h.bot.db.privacy.exportPerson(discord(ada));
    expect(left).toMatchObject({ user: null, sessions: [], messages: [], tasks: [] });
    expect(left.schedulesCreated).toEqual([]);
    const all = [...(await h.bot.db.messages.listByChannel(general)), ...(await h.bot.db.messages.listByChannel(random))];
    expect(all.filter((m) => m.content.includes('ada-'))).toEqual([]);
    expect((await h.bot.db.schedules.getSchedule(schedule.id))!.createdBy).toBeNull();

    const bobAfter = await h.bot.db.privacy.exportPerson(discord(bob));
    expect(bobAfter).toEqual(bobBefore);
  });

  it.skipIf(skip)("forget covers edit history and reactions: nothing of the person's is left in any table", async () => {
    const { general, ada, bob } = await seed();
    const cy = newMember(h, 'cy'); // only ever reacts: no user row
    const mine = h.emu.sendMessage({ channelId: general, authorId: ada, content: 'ada-draft secret one' });
    const bobs = h.emu.sendMessage({ channelId: general, authorId: bob, content: 'bob-3 react here' });
    await until(
      () => h.bot.db.messages.getByDiscordId(bobs.id),
      (m) => !!m,
    );
    h.emu.editMessage(general, mine.id, 'ada-draft secret two');
    await until(
      () => h.bot.db.archive.revisionsByDiscordId(mine.id),
      (r) => r.length === 1,
    );
    h.emu.editMessage(general, mine.id, 'ada-final');
    h.emu.addReaction({ channelId: general, messageId: bobs.id, userId: ada, emoji: '👍' });
    h.emu.addReaction({ channelId: general, messageId: bobs.id, userId: ada, emoji: 'adaemoji:112233445566778899' });
    h.emu.addReaction({ channelId: general, messageId: mine.id, userId: bob, emoji: '🎉' });
    h.emu.addReaction({ channelId: general, messageId: bobs.id, userId: cy, emoji: '👀' });
    h.emu.addReaction({ channelId: general, messageId: bobs.id, userId: bob, emoji: '👀' });
    await until(
      () => h.bot.db.archive.reactionsByDiscordId(bobs.id),
      (r) => r.reduce((n, c) => n + c.count, 0) === 4,
    );

    const show = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: general, subcommand: 'show' });
    expect(show.content).toContain('• Earlier versions of edited messages: 2');
    expect(show.content).toMatch(/• Reactions you made: 2 \(<t:\d+:d> – <t:\d+:d>\)/);
    const exported = JSON.parse((await h.emu.runCommand('mydata', {}, { userId: ada, channelId: general, subcommand: 'export' })).attachments[0].data.toString('utf8'));
    expect(exported.revisions.map((r: { content: string }) => r.content)).toEqual(['ada-draft secret one', 'ada-draft secret two']);
    // Reactions made within the same millisecond have no order between them: compared as a set.
    expect(exported.reactions.map((r: { emoji: string; discordMessageId: string }) => [r.emoji, r.discordMessageId]).sort()).toEqual(
      [
        ['👍', bobs.id],
        ['112233445566778899', bobs.id],
      ].sort(),
    );
    expect(JSON.stringify(exported)).not.toContain('👀');
    // Someone who only reacted has that stored, and can see it.
    const cyShow = await h.emu.runCommand('mydata', {}, { userId: cy, channelId: general, subcommand: 'show' });
    expect(cyShow.content).toMatch(/^\*\*What I store about you\*\*\n• Reactions you made: 1 /);

    // What identifies her rows (other tests' people wrote the same seed texts): her ids, her messages' ids.
    const adaRow = (await h.bot.db.users.getUserByChannel(discord(ada)))!;
    const sessions = await h.bot.db.sessions.listSessionsForUser(adaRow.id);
    const messageIds = (await Promise.all(sessions.map((x) => h.bot.db.messages.listBySession(x.id, { includeDeleted: true })))).flat().map((m) => m.id);
    const hers = [ada, cy, adaRow.id, ...sessions.map((x) => x.id), ...messageIds, 'ada-draft', 'ada-final', 'adaemoji'];

    const offer = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: general, subcommand: 'forget' });
    const done = await h.emu.clickButton({ interaction: offer, customId: buttons(offer)[0], userId: ada, channelId: general });
    expect(done.content).toMatch(/Deleted \d+ messages, 2 sessions, 1 task, 2 earlier versions, 2 reactions, the user record\./);
    const cyOffer = await h.emu.runCommand('mydata', {}, { userId: cy, channelId: general, subcommand: 'forget' });
    const cyDone = await h.emu.clickButton({ interaction: cyOffer, customId: buttons(cyOffer)[0], userId: cy, channelId: general });
    // (The message count includes the bot's replies to cy still queued: see the write queue's dropStaged.)
    expect(cyDone.content).toMatch(/^Done: I no longer store anything about you\. Deleted \d+ messages?, 0 sessions, 0 tasks, 1 reaction\.$/);
    await h.bot.queue.flush();

    // Every table, every row: nothing of hers (her words, her ids, her rows' ids), nothing of cy's.
    const adaRowsLeft: string[] = [];
    for (const table of ['users', 'sessions', 'messages', 'message_revisions', 'reactions', 'tasks', 'schedules']) {
      for (const row of await h.bot.db.manager.query(`SELECT * FROM "${table}"`)) {
        const text = JSON.stringify(row);
        if (hers.some((x) => text.includes(x))) adaRowsLeft.push(`${table}: ${text}`);
      }
    }
    expect(adaRowsLeft).toEqual([]);
    // Bob's own reactions stay, except the one on ada's message (gone with it).
    expect((await h.bot.db.archive.reactionsByDiscordId(bobs.id)).map((r) => [r.emoji, r.users])).toEqual([['👀', [bob]]]);
    expect(await h.bot.db.archive.reactionsByDiscordId(mine.id)).toEqual([]);
    expect((await h.bot.db.privacy.summarize(discord(bob))).reactions.count).toBe(1);
  });

  it.skipIf(skip)("forget covers poll votes and what polls and forwards carry: nothing of the person's is left in any table", async () => {
    const { general, ada, bob } = await seed();
    const dee = newMember(h, 'dee'); // only ever votes: no user row
    const hersPoll = h.emu.sendMessage({ channelId: general, authorId: ada, content: '', poll: { question: 'ada-poll question?', answers: ['ada-answer one', 'ada-answer two'] } });
    const bobsPoll = h.emu.sendMessage({ channelId: general, authorId: bob, content: '', poll: { question: 'bob-poll?', answers: ['yes', 'no'] } });
    const quoted = h.emu.sendMessage({ channelId: general, authorId: bob, content: 'bob-4 worth forwarding' });
    const forward = h.emu.forwardMessage({ from: { channelId: general, messageId: quoted.id }, channelId: general, authorId: ada });
    await until(
      () => h.bot.db.messages.getByDiscordId(forward.id),
      (m) => !!m,
    );
    h.emu.votePoll({ channelId: general, messageId: bobsPoll.id, userId: ada, answerId: 1 });
    h.emu.votePoll({ channelId: general, messageId: bobsPoll.id, userId: bob, answerId: 2 });
    h.emu.votePoll({ channelId: general, messageId: bobsPoll.id, userId: dee, answerId: 2 });
    h.emu.votePoll({ channelId: general, messageId: hersPoll.id, userId: bob, answerId: 2 });
    await until(
      () => h.bot.db.archive.pollVotesByDiscordId(bobsPoll.id),
      (v) => v.reduce((n, a) => n + a.users.length, 0) === 3,
    );
    await until(
      () => h.bot.db.archive.pollVotesByDiscordId(hersPoll.id),
      (v) => v.length === 1,
    );

    const show = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: general, subcommand: 'show' });
    expect(show.content).toMatch(/• Poll votes you cast: 1 \(<t:\d+:d> – <t:\d+:d>\)/);
    const exported = JSON.parse((await h.emu.runCommand('mydata', {}, { userId: ada, channelId: general, subcommand: 'export' })).attachments[0].data.toString('utf8'));
    expect(exported.pollVotes.map((v: { answerId: number; discordMessageId: string; discordUserId: string }) => [v.answerId, v.discordMessageId, v.discordUserId])).toEqual([[1, bobsPoll.id, ada]]);
    const deeShow = await h.emu.runCommand('mydata', {}, { userId: dee, channelId: general, subcommand: 'show' });
    expect(deeShow.content).toMatch(/^\*\*What I store about you\*\*\n• Poll votes you cast: 1 /);

    const adaRow = (await h.bot.db.users.getUserByChannel(discord(ada)))!;
    const sessions = await h.bot.db.sessions.listSessionsForUser(adaRow.id);
    const messageIds = (await Promise.all(sessions.map((x) => h.bot.db.messages.listBySession(x.id, { includeDeleted: true })))).flat().map((m) => m.id);
    const hers = [ada, dee, adaRow.id, ...sessions.map((x) => x.id), ...messageIds, 'ada-poll', 'ada-answer'];

    const offer = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: general, subcommand: 'forget' });
    const done = await h.emu.clickButton({ interaction: offer, customId: buttons(offer)[0], userId: ada, channelId: general });
    expect(done.content).toMatch(/, 1 poll vote, the user record\./);
    const deeOffer = await h.emu.runCommand('mydata', {}, { userId: dee, channelId: general, subcommand: 'forget' });
    const deeDone = await h.emu.clickButton({ interaction: deeOffer, customId: buttons(deeOffer)[0], userId: dee, channelId: general });
    expect(deeDone.content).toMatch(/, 1 poll vote\.$/);
    await h.bot.queue.flush();

    const left: string[] = [];
    for (const table of ['users', 'sessions', 'messages', 'message_revisions', 'reactions', 'poll_votes', 'attachments', 'tasks', 'schedules']) {
      for (const row of await h.bot.db.manager.query(`SELECT * FROM "${table}"`)) {
        const text = JSON.stringify(row);
        if (hers.some((x) => text.includes(x))) left.push(`${table}: ${text}`);
      }
    }
    expect(left).toEqual([]);
    // Bob's vote on his own poll stays; his vote on hers went with her poll.
    expect(await h.bot.db.archive.pollVotesByDiscordId(bobsPoll.id)).toEqual([{ answerId: 2, users: [bob] }]);
    expect(await h.bot.db.archive.pollVotesByDiscordId(hersPoll.id)).toEqual([]);
    expect((await h.bot.db.privacy.summarize(discord(bob))).pollVotes.count).toBe(1);
    // The message she forwarded is bob's and stays.
    expect((await h.bot.db.messages.getByDiscordId(quoted.id))?.content).toBe('bob-4 worth forwarding');
    expect(await h.bot.db.messages.getByDiscordId(forward.id)).toBeNull();
  });

  it.skipIf(skip)('the person is recorded afresh when they write again', async () => {
    const { general, ada } = await seed();
    const offer = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: general, subcommand: 'forget' });
    const done = await h.emu.clickButton({ interaction: offer, customId: buttons(offer)[0], userId: ada, channelId: general });
    expect(done.content).toMatch(/^Done: I no longer store anything about you\./);
    await h.bot.queue.flush();
    expect(await h.bot.db.users.getUserByChannel(discord(ada))).toBeNull();

    h.emu.sendMessage({ channelId: general, authorId: ada, content: 'back again' });
    const user = await until(
      () => h.bot.db.users.getUserByChannel(discord(ada)),
      (u) => !!u,
      5000,
      'a new user row',
    );
    const [s] = await h.bot.db.sessions.listSessionsForUser(user!.id);
    expect((await h.bot.db.messages.listBySession(s.id)).map((m) => m.content)).toEqual(['back again']);
  });
});
