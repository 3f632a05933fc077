import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, UniqueViolationError, ValidationError } from '../../src/database/errors';
import type { Database } from '../../src/database/database';
import { DRIVERS, openTestDatabase } from '../helpers/databases';

describe.each(DRIVERS)('stores on $driver', ({ driver, skip }) => {
  let db: Database & { dispose(): Promise<void> };

  beforeAll(async () => {
    if (!skip) db = await openTestDatabase(driver, 'stores');
  });
  afterAll(async () => {
    await db?.dispose();
  });

  describe.skipIf(skip)('bot_status', () => {
    it('creates, lists, activates one row at a time and clears', async () => {
      expect(await db.botStatus.getActiveBotStatus()).toBeNull();
      const a = await db.botStatus.createBotStatus({ id: 'bot-1', status: 'idle', activityType: 'watching', activity: 'the logs', isActive: true });
      expect(a.isActive).toBe(true);
      await db.botStatus.createBotStatus({ id: 'bot-2', status: 'dnd', activityType: 'playing', activity: 'chess' });
      expect((await db.botStatus.getActiveBotStatus())?.id).toBe('bot-1');
      await db.botStatus.activateBotStatus('bot-2');
      const rows = await db.botStatus.listBotStatuses();
      expect(rows.filter((r) => ['bot-1', 'bot-2'].includes(r.id)).map((r) => [r.id, r.isActive])).toEqual([
        ['bot-1', false],
        ['bot-2', true],
      ]);
      expect(rows.filter((r) => r.isActive).map((r) => r.id)).toEqual(['bot-2']);
      // Concurrent activations still leave exactly one active row.
      await Promise.all([db.botStatus.activateBotStatus('bot-1'), db.botStatus.activateBotStatus('bot-2'), db.botStatus.activateBotStatus('bot-1')]);
      expect((await db.botStatus.listBotStatuses()).filter((r) => r.isActive)).toHaveLength(1);
      expect(await db.botStatus.clearActiveBotStatus()).toBe(1);
      expect(await db.botStatus.getActiveBotStatus()).toBeNull();
    });

    it('updates the activity and refuses bad rows with the reason', async () => {
      // Rows of its own (not the ones the test above made).
      await db.botStatus.createBotStatus({ id: 'upd-1', activity: 'old text' });
      await db.botStatus.createBotStatus({ id: 'upd-2' });
      const row = await db.botStatus.updateBotActivity({ id: 'upd-1', activity: 'new text' });
      expect(row.activity).toBe('new text');
      expect((await db.botStatus.getBotStatus('upd-1'))?.activity).toBe('new text');
      await expect(db.botStatus.updateBotActivity({ id: 'nope', activity: 'x' })).rejects.toThrow(NotFoundError);
      await expect(db.botStatus.createBotStatus({ activityType: 'streaming', activity: 'live' })).rejects.toThrow(/streaming needs url/);
      await expect(db.botStatus.createBotStatus({ status: 'busy' as never })).rejects.toThrow(ValidationError);
      await expect(db.botStatus.createBotStatus({ id: 'upd-1' })).rejects.toThrow(UniqueViolationError);
      await expect(db.botStatus.createBotStatus({ id: 'upd-1' })).rejects.toThrow(/bot_status.*id.*already exists/);
      await db.botStatus.deleteBotStatus('upd-2');
      await expect(db.botStatus.activateBotStatus('upd-2')).rejects.toThrow('bot_status upd-2 not found');
    });
  });

  describe.skipIf(skip)('users, sessions, messages', () => {
    it('creates and finds users; (channel, channel_user_id) is unique', async () => {
      const u = await db.users.createUser({ channel: 'discord', channelUserId: '100000000000000001', username: 'ada', displayName: 'Ada' });
      expect(await db.users.getUserById(u.id)).toMatchObject({ username: 'ada', displayName: 'Ada' });
      expect((await db.users.getUserByChannel({ channel: 'discord', channelUserId: '100000000000000001' }))?.id).toBe(u.id);
      expect(await db.users.getUserByChannel({ channel: 'telegram', channelUserId: '100000000000000001' })).toBeNull();
      expect(await db.users.getUserById('not-a-uuid')).toBeNull();
      const err = await db.users.createUser({ channel: 'discord', channelUserId: '100000000000000001' }).catch((e) => e);
      expect(err).toBeInstanceOf(UniqueViolationError);
      expect(err.message).toMatch(/users: a row with this channel, channel_user_id/);
      const same = await db.users.ensureUser({ channel: 'discord', channelUserId: '100000000000000001', username: 'ada2', displayName: 'Ada L' });
      expect(same).toMatchObject({ id: u.id, username: 'ada2', displayName: 'Ada L' });
      const updated = await db.users.updateUser(u.id, { displayName: null });
      expect(updated.displayName).toBeNull();
    });

    it('finds the open session within the idle window and ends sessions', async () => {
      const u = await db.users.createUser({ channel: 'discord', channelUserId: '100000000000000002', username: 'bob' });
      const t0 = new Date('2026-01-01T10:00:00Z');
      const s = await db.sessions.createSession({ userId: u.id, channelId: '200000000000000001', guildId: '300000000000000001', createdAt: t0 });
      const idleMs = 30 * 60_000;
      expect((await db.sessions.findOpenSession({ userId: u.id, channelId: '200000000000000001', idleMs, now: new Date(t0.getTime() + 60_000) }))?.id).toBe(s.id);
      expect(await db.sessions.findOpenSession({ userId: u.id, channelId: '200000000000000001', idleMs, now: new Date(t0.getTime() + idleMs + 1) })).toBeNull();
      expect(await db.sessions.findOpenSession({ userId: u.id, channelId: '299999999999999999', idleMs, now: t0 })).toBeNull();
      await db.sessions.endSession(s.id, new Date(t0.getTime() + 1000));
      expect(await db.sessions.findOpenSession({ userId: u.id, channelId: '200000000000000001', idleMs, now: t0 })).toBeNull();
      await expect(db.sessions.endSession('00000000-0000-4000-8000-000000000000')).rejects.toThrow(NotFoundError);
      await expect(db.sessions.createSession({ userId: '00000000-0000-4000-8000-000000000000', channelId: '1' })).rejects.toThrow(/referenced row does not exist/);
    });

    it('stores content byte-exact (Unicode, 4,000 characters, NUL) and marks edits and deletes', async () => {
      const u = await db.users.createUser({ channel: 'discord', channelUserId: '100000000000000003', username: 'cy' });
      const s = await db.sessions.createSession({ userId: u.id, channelId: '200000000000000002' });
      const samples = ['héllo 👋🏽 — 中文 ‮rtl', 'x'.repeat(4000), 'a\u0000b\\0c\\\\\u0000', '\\0 not a NUL', ''];
      for (const [i, content] of samples.entries()) {
        await db.messages.createMessage({ sessionId: s.id, role: 'user', content, channelId: '200000000000000002', discordMessageId: `40000000000000000${i}`, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) });
      }
      const back = await db.messages.listBySession(s.id);
      expect(back.map((m) => m.content)).toEqual(samples);
      expect(await db.messages.markEdited('400000000000000002', 'edited\u0000!', new Date())).toBe(true);
      expect((await db.messages.getByDiscordId('400000000000000002'))?.content).toBe('edited\u0000!');
      expect((await db.messages.getByDiscordId('400000000000000002'))?.editedAt).toBeInstanceOf(Date);
      expect(await db.messages.markEdited('499999999999999999', 'x', new Date())).toBe(false);
      expect(await db.messages.markDeleted(['400000000000000000', '400000000000000001', '499999999999999999'], new Date())).toBe(2);
      expect(await db.messages.listBySession(s.id)).toHaveLength(3);
      expect(await db.messages.listBySession(s.id, { includeDeleted: true })).toHaveLength(5);
      await expect(db.messages.createMessage({ sessionId: s.id, role: 'user', content: 'dup', channelId: '2', discordMessageId: '400000000000000000' })).rejects.toThrow(/messages: a row with this discord_message_id/);
      await expect(db.messages.createMessage({ sessionId: s.id, role: 'robot' as never, content: 'x', channelId: '2' })).rejects.toThrow(/role must be one of user, assistant, system/);
      const inChannel = await db.messages.listByChannel('200000000000000002', { since: new Date(Date.UTC(2026, 0, 1, 0, 0, 2)) });
      expect(inChannel.map((m) => m.discordMessageId)).toEqual(['400000000000000002', '400000000000000003', '400000000000000004']);
    });
  });

  describe.skipIf(skip)('tasks, skills, schedules, logs', () => {
    it('runs a task through its statuses', async () => {
      const t = await db.tasks.createTask({ skill: 'echo', input: 'hi' });
      expect(t.status).toBe('pending');
      expect(await db.tasks.claimTask(t.id)).toBe(true);
      expect(await db.tasks.claimTask(t.id)).toBe(false);
      const done = await db.tasks.updateTask({ id: t.id, status: 'completed', output: 'hi' });
      expect(done).toMatchObject({ status: 'completed', output: 'hi', error: null });
      expect((await db.tasks.listTasksByStatus('completed')).map((x) => x.id)).toContain(t.id);
      const stuck = await db.tasks.createTask({ skill: 'echo', input: 'x', status: 'in_progress' });
      expect(await db.tasks.failInProgress('bot restarted while it ran')).toBe(1);
      expect(await db.tasks.getTask(stuck.id)).toMatchObject({ status: 'failed', error: 'bot restarted while it ran' });
      await expect(db.tasks.updateTask({ id: t.id, status: 'done' as never })).rejects.toThrow(/status must be one of/);
      const later = await db.tasks.createTask({ skill: 'remind', input: 'x', runAt: new Date(Date.now() + 3_600_000) });
      const due = await db.tasks.listDueTasks();
      expect(due.map((x) => x.id)).not.toContain(later.id);
      expect((await db.tasks.listDueTasks(new Date(Date.now() + 7_200_000))).map((x) => x.id)).toContain(later.id);
    });

    it('syncs skills: adds, updates, marks removed', async () => {
      const first = await db.skills.syncSkills([
        { name: 'echo', version: '1.0.0', location: 'src/skills/echo.ts', permissions: [] },
        { name: 'old', version: '1.0.0', location: 'src/skills/old.ts', permissions: ['admin'], metadata: { a: 1 } },
      ]);
      expect(first).toEqual({ added: ['echo', 'old'], updated: [], removed: [] });
      const second = await db.skills.syncSkills([{ name: 'echo', version: '1.1.0', location: 'src/skills/echo.ts', permissions: [] }]);
      expect(second).toEqual({ added: [], updated: ['echo'], removed: ['old'] });
      expect((await db.skills.listSkills()).map((s) => s.name)).toEqual(['echo']);
      const all = await db.skills.listSkills({ includeRemoved: true });
      expect(all.find((s) => s.name === 'old')?.removedAt).toBeInstanceOf(Date);
      expect(all.find((s) => s.name === 'old')?.metadata).toEqual({ a: 1 });
      expect(all.find((s) => s.name === 'old')?.permissions).toEqual(['admin']);
    });

    it('claims each schedule run once', async () => {
      const due = new Date('2026-02-01T00:00:00.000Z');
      const s = await db.schedules.createSchedule({ skill: 'echo', cronExpression: '* * * * *', channelId: '200000000000000003', nextRunAt: due });
      const next = new Date('2026-02-01T00:01:00.000Z');
      const claims = await Promise.all([db.schedules.claimRun(s.id, due, next), db.schedules.claimRun(s.id, due, next), db.schedules.claimRun(s.id, due, next)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await db.schedules.getSchedule(s.id))?.nextRunAt?.toISOString()).toBe(next.toISOString());
      await db.schedules.updateSchedule(s.id, { enabled: false });
      expect(await db.schedules.claimRun(s.id, next, null)).toBe(false);
      expect(await db.schedules.listSchedules({ enabledOnly: true })).toHaveLength(0);
      await db.schedules.deleteSchedule(s.id);
      await expect(db.schedules.deleteSchedule(s.id)).rejects.toThrow(NotFoundError);
    });

    it('writes, lists and purges logs', async () => {
      await db.logs.insertLogs([
        { level: 'warn', source: 'bot', message: 'old', createdAt: new Date('2020-01-01T00:00:00Z') },
        { level: 'info', source: 'bot', message: 'fyi' },
        { level: 'error', source: 'recorder', message: 'boom', metadata: { id: '1' } },
      ]);
      expect((await db.logs.listLogs({ minLevel: 'warn' })).map((l) => l.message)).toEqual(['boom', 'old']);
      expect(await db.logs.purgeLogs(new Date('2021-01-01T00:00:00Z'))).toBe(1);
      expect((await db.logs.listLogs()).map((l) => l.message).sort()).toEqual(['boom', 'fyi']);
      await expect(db.logs.createLog({ level: 'fatal' as never, source: 'x', message: 'y' })).rejects.toThrow(/level must be one of/);
    });
  });

  describe.skipIf(skip)('the remaining store functions', () => {
    it('lists and counts users; ends open sessions; lists tasks per session and schedule', async () => {
      const u = await db.users.createUser({ channel: 'web', channelUserId: 'web-user-1', username: 'wendy' });
      expect((await db.users.listUsers('web')).map((x) => x.id)).toEqual([u.id]);
      expect(await db.users.countUsers()).toBeGreaterThanOrEqual(1);
      const s1 = await db.sessions.createSession({ userId: u.id, channelId: '200000000000000009' });
      const s2 = await db.sessions.createSession({ userId: u.id, channelId: '200000000000000009' });
      expect((await db.sessions.getSession(s1.id))?.id).toBe(s1.id);
      expect(await db.sessions.endOpenSessions(u.id, '200000000000000009')).toBe(2);
      expect((await db.sessions.getSession(s2.id))?.endedAt).toBeInstanceOf(Date);
      const t1 = await db.tasks.createTask({ sessionId: s1.id, skill: 'echo', input: '1' });
      const t2 = await db.tasks.createTask({ sessionId: s2.id, skill: 'echo', input: '2' });
      expect((await db.tasks.listTasksForSessions([s1.id, s2.id])).map((t) => t.id).sort()).toEqual([t1.id, t2.id].sort());
      const sch = await db.schedules.createSchedule({ skill: 'echo', cronExpression: '0 * * * *', channelId: '200000000000000009', timezone: 'Europe/Paris' });
      const t3 = await db.tasks.createTask({ scheduleId: sch.id, skill: 'echo', input: '3' });
      expect((await db.tasks.listTasksForSchedule(sch.id)).map((t) => t.id)).toEqual([t3.id]);
      expect(await db.schedules.updateSchedule(sch.id, { input: 'changed' })).toMatchObject({ input: 'changed', timezone: 'Europe/Paris' });
      // Deleting a schedule keeps its tasks (schedule_id set null); deleting a user removes its sessions and their tasks.
      await db.schedules.deleteSchedule(sch.id);
      expect((await db.tasks.getTask(t3.id))?.scheduleId).toBeNull();
      await db.write('delete user', (em) => em.delete('users', { id: u.id }));
      expect(await db.sessions.getSession(s1.id)).toBeNull();
      expect(await db.tasks.getTask(t1.id)).toBeNull();
    });

    it('creates, reads, updates and deletes skills', async () => {
      const sk = await db.skills.createSkill({ name: 'weather', version: '0.1.0', location: 'src/skills/weather.ts', permissions: ['read_messages'], metadata: { description: 'forecast' } });
      expect(await db.skills.getSkill('weather')).toMatchObject({ id: sk.id, permissions: ['read_messages'], metadata: { description: 'forecast' } });
      expect(await db.skills.updateSkill('weather', { version: '0.2.0' })).toMatchObject({ version: '0.2.0' });
      await expect(db.skills.createSkill({ name: 'weather', version: '1', location: 'x', permissions: [] })).rejects.toThrow(/skills: a row with this name/);
      await db.skills.deleteSkill('weather');
      expect(await db.skills.getSkill('weather')).toBeNull();
      await expect(db.skills.deleteSkill('weather')).rejects.toThrow('skill weather not found');
    });
  });

  it.skipIf(skip)('reports pending migrations and pings', async () => {
    expect(await db.pendingMigrations()).toEqual([]);
    expect(await db.ping()).toBeGreaterThanOrEqual(0);
  });
});
