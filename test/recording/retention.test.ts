import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { checkDiscordAfterEach, newChannel, newMember, startHarness, until, type Harness } from '../helpers/harness';
import { daysFor } from '../../src/recording/retention';
import type { RetentionRule } from '../../src/entities/RetentionRule';

const DAY = 86_400_000;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('which retention a channel has', () => {
  const rule = (channelId: string, days: number) => ({ channelId, days }) as RetentionRule;
  const rules = new Map([rule('1', 7), rule('2', 0)].map((r) => [r.channelId, r]));
  it('its own rule, else its parent’s, else RETENTION_DAYS; 0 keeps for ever', () => {
    expect(daysFor('1', rules, 30)).toBe(7);
    expect(daysFor('2', rules, 30)).toBeNull();
    expect(daysFor('3', rules, 30)).toBe(30);
    expect(daysFor('3', rules, null)).toBeNull();
    expect(daysFor('9', rules, 30, new Map([['9', '1']]))).toBe(7);
    expect(daysFor('9', rules, 30, new Map([['9', '2']]))).toBeNull();
  });
});

describe.each(DRIVERS)('message retention ($driver)', ({ driver, skip }) => {
  let h: Harness;
  beforeAll(async () => {
    // RETENTION_DAYS 30 for every channel; the daily look is left to the test (no timer fires).
    if (!skip) h = await startHarness(driver, 'retention', { env: { RETENTION_DAYS: '30', BACKFILL_MAX_MESSAGES: '0', RECONCILE_MESSAGES: '0' }, bot: { retention: { startDelayMs: 3_600_000, batchSize: 2, pauseMs: 1 } } });
  });
  afterAll(async () => h?.dispose());
  checkDiscordAfterEach(() => h);

  const run = (command: string, options: Record<string, string | number | boolean>, subcommand: string, userId = h.admin) => h.emu.runCommand(command, options, { userId, channelId: h.general, subcommand });
  const recorded = (ids: string[]) =>
    until(
      async () => (await Promise.all(ids.map((id) => h.bot.db.messages.getByDiscordId(id)))).filter(Boolean).length,
      (n) => n === ids.length,
      5000,
      'messages recorded',
    );
  const stillThere = async (ids: string[]) => (await Promise.all(ids.map((id) => h.bot.db.messages.getByDiscordId(id)))).filter(Boolean).length;

  it.skipIf(skip)('an admin sets, shows and clears rules; members are refused; a bad value is explained', async () => {
    const ch = newChannel(h, 'rules');
    const refused = await run('retention', { channel: ch, days: 1 }, 'set', h.ada);
    expect(refused).toMatchObject({ ephemeral: true, content: 'Sorry, `/retention set` is for server admins (Manage Server) only.' });
    expect(await h.bot.db.retention.getRule(ch)).toBeNull();
    const set = await run('retention', { channel: ch, days: 14 }, 'set');
    expect(set).toMatchObject({ ephemeral: true });
    expect(set.content).toBe(`Retention set: <#${ch}> (and its threads) keeps messages for 14 days.`);
    expect(await h.bot.db.retention.getRule(ch)).toMatchObject({ channelId: ch, guildId: h.guildId, days: 14, setBy: h.admin });
    expect((await run('retention', { channel: ch, days: 0 }, 'set')).content).toBe(`Retention changed: <#${ch}> keeps its messages for ever (everywhere else: 30 days (RETENTION_DAYS)).`);
    expect((await h.bot.db.retention.listRules()).filter((r) => r.channelId === ch)).toHaveLength(1);
    const shown = await run('retention', {}, 'show');
    expect(shown.content).toContain('Messages are kept 30 days (RETENTION_DAYS) unless a channel has its own rule.');
    expect(shown.content).toContain(`• <#${ch}>: for ever · set by <@${h.admin}>`);
    // Over the maximum: Discord's own check says so before the bot sees it; the bot checks again.
    const bad = await run('retention', { channel: ch, days: 4000 }, 'set').catch((e: Error) => ({ ephemeral: true, content: e.message }));
    expect(bad.content).toMatch(/days/);
    expect((await h.bot.db.retention.getRule(ch))!.days).toBe(0);
    expect((await run('retention', { channel: ch }, 'clear')).content).toBe(`Rule removed: <#${ch}> follows the global retention again: 30 days (RETENTION_DAYS).`);
    expect((await run('retention', { channel: ch }, 'clear')).content).toBe(`<#${ch}> has no rule of its own; it follows the global retention: 30 days (RETENTION_DAYS).`);
    expect(await h.bot.db.retention.getRule(ch)).toBeNull();
  });

  it.skipIf(skip)("a purge deletes what is past each channel's retention with its revisions, reactions and files; nothing else", async () => {
    const ada = newMember(h, 'ada');
    const bob = newMember(h, 'bob');
    const week = newChannel(h, 'week');
    const global = newChannel(h, 'global');
    const forever = newChannel(h, 'forever');
    const shared = randomBytes(200);
    const only = randomBytes(300);
    const inWeek = [
      h.emu.sendMessage({ channelId: week, authorId: ada, content: 'first', attachments: [{ filename: 'a.bin', data: only }] }),
      h.emu.sendMessage({ channelId: week, authorId: bob, content: 'second', attachments: [{ filename: 'b.bin', data: shared }] }),
      h.emu.sendMessage({ channelId: week, authorId: ada, content: 'third' }),
    ];
    const inGlobal = [h.emu.sendMessage({ channelId: global, authorId: ada, content: 'global one', attachments: [{ filename: 'same.bin', data: shared }] }), h.emu.sendMessage({ channelId: global, authorId: bob, content: 'global two' })];
    const inForever = [h.emu.sendMessage({ channelId: forever, authorId: bob, content: 'kept for ever' })];
    // A thread follows its parent's rule.
    const thread = h.emu.createThread({ parentId: week, name: 'side talk', ownerId: ada }).thread.id;
    await until(
      () => h.bot.db.channels.get(thread),
      (c) => c?.parentId === week,
      5000,
      'thread row',
    );
    inWeek.push(h.emu.sendMessage({ channelId: thread, authorId: bob, content: 'in the thread' }));
    const all = [...inWeek, ...inGlobal, ...inForever].map((m) => m.id);
    await recorded(all);
    h.emu.editMessage(week, inWeek[2].id, 'third, edited');
    h.emu.addReaction({ channelId: week, messageId: inWeek[0].id, userId: bob, emoji: '👍' });
    h.emu.addReaction({ channelId: forever, messageId: inForever[0].id, userId: ada, emoji: '🎉' });
    await until(
      () => h.bot.db.archive.revisionsByDiscordId(inWeek[2].id),
      (r) => r.length === 1,
      5000,
      'revision',
    );
    await until(
      async () => (await h.bot.db.archive.reactionsByDiscordId(inWeek[0].id)).length + (await h.bot.db.archive.reactionsByDiscordId(inForever[0].id)).length,
      (n) => n === 2,
      5000,
      'reactions',
    );
    const stored = await until(
      async () => (await Promise.all([...inWeek, ...inGlobal].map((m) => h.bot.db.attachments.listForMessage(m.id)))).flat(),
      (r) => r.length === 3 && r.every((a) => a.state === 'stored'),
      10_000,
      'files stored',
    );
    const file = (bytes: Buffer) => path.join(h.bot.attachments.files.dir, stored.find((a) => a.sha256 === sha(bytes))!.storedPath!);
    expect(existsSync(file(only)) && existsSync(file(shared))).toBe(true);
    await run('retention', { channel: week, days: 7 }, 'set');
    await run('retention', { channel: forever, days: 0 }, 'set');
    await h.bot.queue.flush();

    // Ten days on: the week channel's messages are past 7 days; the others are within 30.
    const tenDays = await h.bot.retention.purge(new Date(Date.now() + 10 * DAY));
    expect(tenDays).toMatchObject({ messages: 4, revisions: 1, reactions: 1, attachments: 2, channels: 2 });
    expect(await stillThere(inWeek.map((m) => m.id))).toBe(0);
    expect(await stillThere([...inGlobal, ...inForever].map((m) => m.id))).toBe(3);
    expect(await h.bot.db.archive.revisionsByDiscordId(inWeek[2].id)).toEqual([]);
    // The file only the week channel used is gone; the one a kept message shares stays.
    expect(existsSync(file(only))).toBe(false);
    expect(existsSync(file(shared))).toBe(true);
    // Empty sessions idle since before the cut-off go too; the people stay.
    const sessionsIn = async (channelId: string) => (await h.bot.db.read<{ n: string | number }>(`SELECT COUNT(*) AS n FROM sessions WHERE channel_id = '${channelId}'`, []))[0].n;
    expect(Number(await sessionsIn(week))).toBe(0);
    expect(Number(await sessionsIn(global))).toBe(2);
    expect(await h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: ada })).not.toBeNull();

    // Forty days on: RETENTION_DAYS takes the global channel; the rule of 0 keeps the other.
    const fortyDays = await h.bot.retention.purge(new Date(Date.now() + 40 * DAY));
    expect(fortyDays).toMatchObject({ attachments: 1, reactions: 0 });
    expect(await stillThere(inGlobal.map((m) => m.id))).toBe(0);
    expect(await stillThere(inForever.map((m) => m.id))).toBe(1);
    expect(await h.bot.db.archive.reactionsByDiscordId(inForever[0].id)).toHaveLength(1);
    expect(existsSync(file(shared))).toBe(false);
    // Recording goes on after a purge.
    const later = h.emu.sendMessage({ channelId: week, authorId: ada, content: 'after the purge' });
    await recorded([later.id]);
  });

  it.skipIf(skip)('the daily purge runs once a day however many times it is looked for, and says what it did', async () => {
    const ch = newChannel(h, 'daily');
    const ada = newMember(h, 'ada');
    const m = h.emu.sendMessage({ channelId: ch, authorId: ada, content: 'old news' });
    await recorded([m.id]);
    const day = new Date(Date.now() + 100 * DAY);
    const [a, b] = await Promise.all([h.bot.retention.daily(day), h.bot.retention.daily(day)]);
    const reports = [a, b].filter(Boolean);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.messages).toBeGreaterThanOrEqual(1);
    expect(await h.bot.retention.daily(day)).toBeNull();
    const last = await h.bot.db.retention.lastRun();
    expect(last).toMatchObject({ day: day.toISOString().slice(0, 10), messages: reports[0]!.messages });
    expect(last!.finishedAt).not.toBeNull();
    expect((await run('retention', {}, 'show')).content).toContain(`Last purge <t:${Math.floor(last!.finishedAt!.getTime() / 1000)}:R>: ${reports[0]!.messages} message`);
    expect(h.logs.find(/^message retention: deleted \d+ message/).length).toBeGreaterThanOrEqual(1);
    expect((await run('retention', {}, 'run')).content).toBe('Nothing is past its retention.');
  });
  it.skipIf(skip)('a purged poll takes its votes with it; a poll kept keeps them', async () => {
    const ada = newMember(h, 'ada');
    const bob = newMember(h, 'bob');
    const old = newChannel(h, 'old-polls');
    const kept = newChannel(h, 'kept-polls');
    await run('retention', { channel: kept, days: 0 }, 'set');
    const gone = h.emu.sendMessage({ channelId: old, authorId: ada, content: '', poll: { question: 'Old?', answers: ['a', 'b'] } });
    const stays = h.emu.sendMessage({ channelId: kept, authorId: ada, content: '', poll: { question: 'Kept?', answers: ['a', 'b'] } });
    await recorded([gone.id, stays.id]);
    h.emu.votePoll({ channelId: old, messageId: gone.id, userId: bob, answerId: 1 });
    h.emu.votePoll({ channelId: kept, messageId: stays.id, userId: bob, answerId: 2 });
    await until(
      async () => (await h.bot.db.archive.pollVotesByDiscordId(gone.id)).length + (await h.bot.db.archive.pollVotesByDiscordId(stays.id)).length,
      (n) => n === 2,
      5000,
      'votes',
    );
    await h.bot.retention.purge(new Date(Date.now() + 200 * DAY));
    expect(await h.bot.db.messages.getByDiscordId(gone.id)).toBeNull();
    expect(await h.bot.db.manager.query(`SELECT * FROM "poll_votes" WHERE "discord_user_id" = '${bob}' AND "answer_id" = 1`)).toEqual([]);
    expect(await h.bot.db.archive.pollVotesByDiscordId(stays.id)).toEqual([{ answerId: 2, users: [bob] }]);
  });
});
