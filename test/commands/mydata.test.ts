import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfirm } from '../../src/commands/lib/personal-data';
import type { InteractionResult } from '@chronicle/discord-emulator';
import { DRIVERS } from '../helpers/databases';
import { startHarness, until, type Harness } from '../helpers/harness';

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
  let cy: string;
  const adaSaid = ['ada-1 hello', 'ada-2 with a NUL \u0000 and a \\0 backslash', 'ada-3 bye'];

  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'mydata');
    cy = h.emu.createUser({ username: 'cy' }).id;
    h.emu.addMember(h.guildId, cy);
    for (const content of adaSaid) h.emu.sendMessage({ channelId: h.general, authorId: h.ada, content });
    h.emu.sendMessage({ channelId: h.random, authorId: h.ada, content: 'ada-4 elsewhere' });
    h.emu.sendMessage({ channelId: h.general, authorId: h.bob, content: 'bob-1 hi ada' });
    h.emu.sendMessage({ channelId: h.general, authorId: h.bob, content: 'bob-2 see you' });
    await until(
      () => h.bot.db.messages.countMessages(),
      (n) => n === 6,
      5000,
      'six recorded messages',
    );
    const db = h.bot.db;
    const [adaSession] = await db.sessions.listSessionsForUser((await db.users.getUserByChannel(discord(h.ada)))!.id);
    const [bobSession] = await db.sessions.listSessionsForUser((await db.users.getUserByChannel(discord(h.bob)))!.id);
    await db.tasks.createTask({ sessionId: adaSession.id, skill: 'echo', input: 'ada-task', channelId: h.general });
    await db.tasks.createTask({ sessionId: bobSession.id, skill: 'echo', input: 'bob-task', channelId: h.general });
    await db.schedules.createSchedule({ skill: 'digest', cronExpression: '0 9 * * 1', channelId: h.general, createdBy: h.ada, enabled: false });
  });
  afterAll(async () => h?.dispose());

  it.skipIf(skip)('show: counts and dates per table; someone unknown has nothing stored', async () => {
    const r = await h.emu.runCommand('mydata', {}, { userId: h.ada, channelId: h.general, subcommand: 'show' });
    expect(r.ephemeral).toBe(true);
    const lines = r.content!.split('\n');
    expect(lines[0]).toBe('**What I store about you**');
    expect(lines[1]).toMatch(/^• User record: username `ada`, display name `Ada Lovelace`, since <t:\d+:d>$/);
    expect(lines[2]).toMatch(/^• Sessions: 2 \(<t:\d+:d> – <t:\d+:d>\)$/);
    expect(lines[3]).toMatch(/^• Messages: 4 \(4 written by you, 0 replies from me\) \(<t:\d+:d> – <t:\d+:d>\)$/);
    expect(lines[4]).toMatch(/^• Tasks you ran: 1 \(<t:\d+:d> – <t:\d+:d>\)$/);
    expect(lines[5]).toMatch(/^• Schedules you created: 1 /);
    const none = await h.emu.runCommand('mydata', {}, { userId: cy, channelId: h.general, subcommand: 'show' });
    expect(none.content).toBe('I have nothing stored about you.');
  });

  it.skipIf(skip)("export: a JSON file with exactly the caller's rows, content decoded byte-exact", async () => {
    await until(
      () => h.bot.queue.depth,
      (d) => d === 0,
    );
    await h.bot.queue.flush();
    const ada = (await h.bot.db.users.getUserByChannel(discord(h.ada)))!;
    const sessions = await h.bot.db.sessions.listSessionsForUser(ada.id);
    const expected = (await Promise.all(sessions.map((s) => h.bot.db.messages.listBySession(s.id, { includeDeleted: true })))).flat();

    const r = await h.emu.runCommand('mydata', {}, { userId: h.ada, channelId: h.general, subcommand: 'export' });
    expect(r).toMatchObject({ deferred: true, ephemeral: true });
    expect(r.content).toBe('Everything stored about you: your user record, 2 sessions, 5 messages, 1 task, 1 schedule you created.');
    expect(r.attachments).toHaveLength(1);
    expect(r.attachments[0].filename).toBe(`chronicle-data-${h.ada}.json`);
    const data = JSON.parse(r.attachments[0].data.toString('utf8'));
    expect(data.discordUserId).toBe(h.ada);
    expect(data.user).toMatchObject({ id: ada.id, channel: 'discord', channelUserId: h.ada, username: 'ada', displayName: 'Ada Lovelace' });
    expect(data.sessions.map((s: { id: string }) => s.id).sort()).toEqual(sessions.map((s) => s.id).sort());
    expect(data.sessions.every((s: { userId: string }) => s.userId === ada.id)).toBe(true);
    expect(data.messages.map((m: { id: string }) => m.id).sort()).toEqual(expected.map((m) => m.id).sort());
    const userMessages = data.messages.filter((m: { role: string }) => m.role === 'user').map((m: { content: string }) => m.content);
    expect(userMessages.sort()).toEqual([...adaSaid, 'ada-4 elsewhere'].sort());
    expect(JSON.stringify(data)).not.toContain('bob-');
    expect(data.tasks.map((t: { input: string }) => t.input)).toEqual(['ada-task']);
    expect(data.schedulesCreated).toHaveLength(1);
    expect(data.schedulesCreated[0].createdBy).toBe(h.ada);
  });

  it.skipIf(skip)('forget: cancel keeps everything; a button is only for the person it was offered to', async () => {
    const before = await h.bot.db.privacy.exportPerson(discord(h.bob));
    const offer = await h.emu.runCommand('mydata', {}, { userId: h.bob, channelId: h.general, subcommand: 'forget' });
    expect(offer.ephemeral).toBe(true);
    expect(offer.content).toMatch(/^\*\*This permanently erases what I store about you:\*\*\n• User record: username `bob`, display name `Bobby`/);
    const [confirm, cancel] = buttons(offer);
    expect(confirm).toMatch(new RegExp(`^mydata:forget:${h.bob}:\\d+$`));
    expect(cancel).toBe('mydata:cancel');

    const stranger = await h.emu.clickButton({ interaction: offer, customId: confirm, userId: h.ada, channelId: h.general });
    expect(stranger.content).toBe('This confirmation belongs to someone else; run `/mydata forget` yourself.');
    const cancelled = await h.emu.clickButton({ interaction: offer, customId: cancel, userId: h.bob, channelId: h.general });
    expect(cancelled.content).toBe('Cancelled: nothing was erased.');
    expect(cancelled.components).toEqual([]);
    const after = await h.bot.db.privacy.exportPerson(discord(h.bob));
    expect(after.user).toEqual(before.user);
    expect(after.messages.filter((m) => m.role === 'user')).toEqual(before.messages.filter((m) => m.role === 'user'));
  });

  it.skipIf(skip)("forget: after confirmation nothing of the person is left, others' rows are untouched", async () => {
    await until(
      () => h.bot.queue.depth,
      (d) => d === 0,
    );
    await h.bot.queue.flush();
    const bobBefore = await h.bot.db.privacy.exportPerson(discord(h.bob));
    const offer = await h.emu.runCommand('mydata', {}, { userId: h.ada, channelId: h.general, subcommand: 'forget' });
    expect(offer.content).toContain('• Messages: 7 (4 written by you, 3 replies from me)');
    const done = await h.emu.clickButton({ interaction: offer, customId: buttons(offer)[0], userId: h.ada, channelId: h.general });
    expect(done.content).toBe('Done: I no longer store anything about you. Deleted 8 messages, 2 sessions, 1 task, the user record. 1 schedule no longer names the creator.');
    expect(done.components).toEqual([]);

    // Give the recorder time to (wrongly) record the confirmation: it must not bring the person back.
    await new Promise((r) => setTimeout(r, 300));
    await h.bot.queue.flush();
    expect(await h.bot.db.users.getUserByChannel(discord(h.ada))).toBeNull();
    const left = await h.bot.db.privacy.exportPerson(discord(h.ada));
    expect(left).toMatchObject({ user: null, sessions: [], messages: [], tasks: [] });
    expect(left.schedulesCreated).toEqual([]);
    const all = [...(await h.bot.db.messages.listByChannel(h.general)), ...(await h.bot.db.messages.listByChannel(h.random))];
    expect(all.filter((m) => m.content.includes('ada-'))).toEqual([]);
    const [schedule] = await h.bot.db.schedules.listSchedules();
    expect(schedule.createdBy).toBeNull();

    const bobAfter = await h.bot.db.privacy.exportPerson(discord(h.bob));
    expect(bobAfter).toEqual(bobBefore);
  });

  it.skipIf(skip)('the person is recorded afresh when they write again', async () => {
    h.emu.sendMessage({ channelId: h.general, authorId: h.ada, content: 'back again' });
    const ada = await until(
      () => h.bot.db.users.getUserByChannel(discord(h.ada)),
      (u) => !!u,
      5000,
      'a new user row',
    );
    const [s] = await h.bot.db.sessions.listSessionsForUser(ada!.id);
    expect((await h.bot.db.messages.listBySession(s.id)).map((m) => m.content)).toEqual(['back again']);
  });

  it.skipIf(skip)('sent nothing Discord would refuse', async () => {
    await until(
      () => h.bot.queue.depth,
      (d) => d === 0,
    );
    expect(h.emu.violations()).toEqual([]);
  });
});
