import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database';
import type { Task } from '../../src/entities/Task';
import { defineSkill } from '../../src/skills';
import { DRIVERS, type ScratchDb } from '../helpers/databases';
import { externalExec, sqlBool } from '../helpers/external';
import { newChannel, startHarness, until, type Harness } from '../helpers/harness';

/** Test-only skills. */
const boom = defineSkill<string>({
  name: 'boom',
  version: '0.0.1',
  description: 'Always throws (test)',
  permissions: [],
  location: 'test/scheduler/scheduler.test.ts',
  parse: (raw) => raw,
  async run() {
    throw new Error('kaboom from a schedule');
  },
});
const slowpoke = defineSkill<string>({
  name: 'slowpoke',
  version: '0.0.1',
  description: 'Takes 1.3 s (test)',
  permissions: [],
  location: 'test/scheduler/scheduler.test.ts',
  timeoutMs: 5000,
  parse: (raw) => raw,
  async run(input) {
    await new Promise((r) => setTimeout(r, 1300));
    return `slow ${input}`;
  },
});

/** A timestamp as each driver stores it (for rows written from a separate connection). */
function sqlTime(scratch: ScratchDb, d: Date): string {
  return scratch.config.driver === 'postgres' ? d.toISOString() : d.toISOString().replace('T', ' ').replace('Z', '');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DRIVERS)('schedules on $driver', ({ driver, skip }) => {
  let h: Harness;

  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'schedules', {
      bot: { skills: [boom, slowpoke], taskRunner: { pollMs: 100 } },
      // Log rows from before the start: the retention job purges the old one at start.
      before: async (scratch) => {
        const db = await Database.open(scratch.config);
        await db.migrate();
        await db.logs.insertLogs([
          { level: 'warn', source: 'test', message: 'forty days old', createdAt: new Date(Date.now() - 40 * 86_400_000) },
          { level: 'warn', source: 'test', message: 'two days old', createdAt: new Date(Date.now() - 2 * 86_400_000) },
        ]);
        await db.close();
      },
    });
  });
  afterAll(async () => h?.dispose());
  // Every test: nothing Discord would refuse was sent.
  afterEach(() => {
    if (!skip) expect(h.emu.violations()).toEqual([]);
  });

  const add = (options: Record<string, string>, userId = h.admin) => h.emu.runCommand('schedule', options, { userId, channelId: h.general, subcommand: 'add' });
  const sub = (subcommand: string, options: Record<string, string> = {}, userId = h.admin) => h.emu.runCommand('schedule', options, { userId, channelId: h.general, subcommand });
  const tasksOf = (scheduleId: string): Promise<Task[]> => h.bot.db.tasks.listTasksForSchedule(scheduleId, 500);
  const idFrom = (content: string | null) => /Schedule `([0-9a-f]{8})`/.exec(content ?? '')![1];
  const fullId = async (prefix: string) => (await h.bot.db.schedules.listSchedules()).find((s) => s.id.startsWith(prefix))!.id;

  it.skipIf(skip)('purged log rows older than LOG_RETENTION_DAYS at start', async () => {
    const rows = await h.bot.db.logs.listLogs({ source: 'test' });
    expect(rows.map((r) => r.message)).toEqual(['two days old']);
  });

  it.skipIf(skip)('refuses bad cron expressions and time zones with the reason, and non-admins', async () => {
    const before = await h.bot.db.schedules.listSchedules();
    const bad = await add({ skill: 'echo', cron: '61 * * * *', input: 'x' });
    expect(bad.ephemeral).toBe(true);
    expect(bad.content).toBe('That did not work: `cron`: "61 * * * *" is not a valid cron expression: Invalid value for minute: 61');
    const fields = await add({ skill: 'echo', cron: '* * *', input: 'x' });
    expect(fields.content).toMatch(/^That did not work: `cron`: "\* \* \*" has 3 field\(s\); use 5 \(minute hour day month weekday/);
    const tz = await add({ skill: 'echo', cron: '0 9 * * *', input: 'x', timezone: 'Mars/Olympus_Mons' });
    expect(tz.content).toBe('That did not work: `timezone`: "Mars/Olympus_Mons" is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)');
    const skill = await add({ skill: 'nope', cron: '0 9 * * *' });
    expect(skill.content).toMatch(/^That did not work: `skill`: there is no skill named "nope"/);
    const input = await add({ skill: 'echo', cron: '0 9 * * *' });
    expect(input.content).toMatch(/^That did not work: `input`: give some text to echo/);
    const notAdmin = await add({ skill: 'echo', cron: '0 9 * * *', input: 'x' }, h.ada);
    expect(notAdmin.content).toBe('Sorry, `/schedule add` is for server admins (Manage Server) only.');
    expect(await h.bot.db.schedules.listSchedules()).toEqual(before);
    const cmd = h.emu.registeredCommands(h.guildId).find((c) => (c as { name: string }).name === 'schedule') as { default_member_permissions: string };
    expect(cmd.default_member_permissions).toBe('32');
  });

  it.skipIf(skip)('adds a schedule in a time zone and shows its next three runs; lists it', async () => {
    const r = await add({ skill: 'digest', cron: '0 9 * * 1-5', input: '24h', timezone: 'Europe/Berlin', channel: h.random });
    const lines = r.content!.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Schedule \`[0-9a-f]{8}\` added: \\*\\*digest\\*\\* \`0 9 \\* \\* 1-5\` \\(Europe/Berlin\\) → <#${h.random}> with input “24h”\\.$`));
    expect(lines[1]).toBe('Next runs:');
    const times = lines.slice(2);
    expect(times).toHaveLength(3);
    for (const t of times) expect(t).toMatch(/^• \d{4}-\d{2}-\d{2} 09:00:00 Europe\/Berlin \(<t:\d+:R>\)$/);
    const s = (await h.bot.db.schedules.getSchedule(await fullId(idFrom(r.content))))!;
    expect(s).toMatchObject({ skill: 'digest', cronExpression: '0 9 * * 1-5', timezone: 'Europe/Berlin', channelId: h.random, guildId: h.guildId, createdBy: h.admin, enabled: true, lastRunAt: null });
    expect(`<t:${s.nextRunAt!.getTime() / 1000}:R>`).toBe(/<t:\d+:R>/.exec(times[0])![0]);
    const list = await sub('list');
    expect(list.content).toContain(`\`${s.id.slice(0, 8)}\` ✅ on **digest** \`0 9 * * 1-5\` (Europe/Berlin) → <#${h.random}> · “24h” · next <t:`);
    // Autocomplete: ids and time zones.
    const ids = await h.emu.autocomplete('schedule', { name: 'id', value: s.id.slice(0, 4) }, { userId: h.admin, channelId: h.general, subcommand: 'remove' });
    expect(ids).toEqual([{ name: `${s.id.slice(0, 8)} · digest · 0 9 * * 1-5 · on`, value: s.id }]);
    const zones = await h.emu.autocomplete('schedule', { name: 'timezone', value: 'berl' }, { userId: h.admin, channelId: h.general, subcommand: 'add' });
    expect(zones).toEqual([{ name: 'Europe/Berlin', value: 'Europe/Berlin' }]);
    const removed = await sub('remove', { id: s.id.slice(0, 6) });
    expect(removed.content).toBe(`Schedule \`${s.id.slice(0, 8)}\` (**digest** \`0 9 * * 1-5\`) removed.`);
    expect(await h.bot.db.schedules.getSchedule(s.id)).toBeNull();
  });

  it.skipIf(skip)('an every-second schedule posts to its channel and makes tasks; disabling it stops them', async () => {
    const channel = h.emu.createChannel({ guildId: h.guildId, name: 'ticks' }).id;
    const r = await add({ skill: 'echo', cron: '* * * * * *', input: 'tick', channel });
    const id = await fullId(idFrom(r.content));
    const ticks = () => h.emu.channelMessages(channel).filter((m) => m.content === 'tick');
    await until(ticks, (m) => m.length >= 3, 6000, 'three ticks');
    const tasks = await until(
      () => tasksOf(id),
      (t) => t.length >= 3 && t.slice(0, 3).every((x) => x.status === 'completed'),
      3000,
      'tasks',
    );
    for (const t of tasks.slice(0, 3)) expect(t).toMatchObject({ skill: 'echo', input: 'tick', output: 'tick', status: 'completed', sessionId: null, channelId: channel, scheduleId: id });
    // One run per second: no two tasks in the same second.
    const seconds = tasks.map((t) => Math.floor(t.createdAt.getTime() / 1000));
    expect(new Set(seconds).size).toBe(seconds.length);
    const s = (await h.bot.db.schedules.getSchedule(id))!;
    expect(s.lastRunAt).not.toBeNull();
    expect(s.nextRunAt!.getTime()).toBeGreaterThan(s.lastRunAt!.getTime());
    expect(s.nextRunAt!.getTime() % 1000).toBe(0);
    // The bot's posts come back over the gateway and are recorded as its messages.
    const first = ticks()[0];
    await until(
      () => h.bot.db.messages.getByDiscordId(first.id),
      (m) => !!m,
      3000,
      'tick recorded',
    );
    expect((await h.bot.db.messages.getByDiscordId(first.id))!.role).toBe('assistant');

    const off = await sub('disable', { id: id.slice(0, 8) });
    expect(off.content).toBe(`Schedule \`${id.slice(0, 8)}\` is off.`);
    await h.bot.scheduler.idle();
    const stopped = (await tasksOf(id)).length;
    await sleep(1500);
    expect((await tasksOf(id)).length).toBe(stopped);
    expect((await h.bot.db.schedules.getSchedule(id))!.nextRunAt).toBeNull();

    // On again with the command; then off from a separate connection, straight in the table.
    const on = await sub('enable', { id });
    expect(on.content).toMatch(new RegExp(`^Schedule \`${id.slice(0, 8)}\` is on\\. Next run \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC \\(<t:\\d+:R>\\)\\.$`));
    await until(
      () => tasksOf(id),
      (t) => t.length >= stopped + 2,
      5000,
      'ticks again',
    );
    await externalExec(h.scratch, 'UPDATE schedules SET enabled = ? WHERE id = ?', [sqlBool(h.scratch, false), id]);
    await sleep(300);
    await h.bot.scheduler.idle();
    const after = (await tasksOf(id)).length;
    await sleep(1500);
    expect((await tasksOf(id)).length).toBe(after);
    expect(ticks().length).toBe(after);
  });

  it.skipIf(skip)('a schedule inserted straight into the table runs without a restart', async () => {
    const channel = newChannel(h, 'from-sql');
    const id = randomUUID();
    const now = new Date();
    await externalExec(
      h.scratch,
      'INSERT INTO schedules (id, skill, cron_expression, input, enabled, channel_id, guild_id, timezone, created_by, last_run_at, next_run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [id, 'echo', '* * * * * *', 'from sql', sqlBool(h.scratch, true), channel, h.guildId, 'UTC', null, null, null, sqlTime(h.scratch, now), sqlTime(h.scratch, now)],
    );
    await until(
      () => h.emu.channelMessages(channel).filter((m) => m.content === 'from sql'),
      (m) => m.length >= 2,
      6000,
      'runs of the inserted schedule',
    );
    await externalExec(h.scratch, 'DELETE FROM schedules WHERE id = ?', [id]);
    await sleep(300);
    await h.bot.scheduler.idle();
    const n = h.emu.channelMessages(channel).filter((m) => m.content === 'from sql').length;
    await sleep(1200);
    expect(h.emu.channelMessages(channel).filter((m) => m.content === 'from sql').length).toBe(n);
    // Tasks of a deleted schedule stay (unlinked by ON DELETE SET NULL where the connection
    // enforces foreign keys: PostgreSQL always; this test's raw SQLite connection does not).
    const orphans = (await h.bot.db.tasks.listTasksForSchedule(id, 500)).concat((await h.bot.db.tasks.listTasksByStatus('completed', 500)).filter((t) => t.output === 'from sql' && t.scheduleId === null));
    expect(orphans.map((t) => [t.status, t.error])).toEqual(new Array(n).fill(['completed', null]));
    if (driver === 'postgres') expect(orphans.every((t) => t.scheduleId === null)).toBe(true);
  });

  it.skipIf(skip)('runs of one schedule never overlap: a run due while the previous is going is skipped', async () => {
    const channel = h.emu.createChannel({ guildId: h.guildId, name: 'slow' }).id;
    const r = await add({ skill: 'slowpoke', cron: '* * * * * *', input: 'x', channel });
    const id = await fullId(idFrom(r.content));
    await until(
      () => tasksOf(id),
      (t) => t.filter((x) => x.status === 'completed').length >= 2,
      8000,
      'two slow runs',
    );
    await sub('disable', { id: id.slice(0, 8) });
    await h.bot.scheduler.idle();
    const tasks = await tasksOf(id);
    expect(tasks.every((t) => t.status === 'completed')).toBe(true);
    for (let i = 1; i < tasks.length; i++) expect(tasks[i].createdAt.getTime()).toBeGreaterThanOrEqual(tasks[i - 1].updatedAt.getTime());
    expect(h.logs.find(/skipped the run due at .*: the previous run \(task [0-9a-f]{8}\) has not finished/).length).toBeGreaterThan(0);
  });

  it.skipIf(skip)('missed runs (the bot was down) are skipped, not replayed', async () => {
    const channel = newChannel(h, 'missed');
    const r = await add({ skill: 'echo', cron: '0 0 1 1 *', input: 'happy new year', channel: channel });
    const id = await fullId(idFrom(r.content));
    await h.bot.stop();
    // Down for an hour over the due time (as if): next_run_at is in the past when it starts.
    const missed = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
    await externalExec(h.scratch, 'UPDATE schedules SET next_run_at = ? WHERE id = ?', [sqlTime(h.scratch, missed), id]);
    await h.restart();
    const s = await until(
      () => h.bot.db.schedules.getSchedule(id),
      (x) => !!x?.nextRunAt && x.nextRunAt.getTime() > Date.now(),
      3000,
      'moved to the next run',
    );
    expect(s!.nextRunAt!.getUTCMonth()).toBe(0);
    expect(s!.nextRunAt!.getUTCDate()).toBe(1);
    expect(s!.lastRunAt).toBeNull();
    expect(await tasksOf(id)).toEqual([]);
    expect(h.logs.find(new RegExp(`skipped the run due at ${missed.toISOString()} \\(missed`)).length).toBe(1);
    await sub('remove', { id });
  });

  it.skipIf(skip)('/schedule run runs now and posts; a failing run leaves a failed task and a warning that /logs shows', async () => {
    const channel = newChannel(h, 'run-now');
    const ok = await add({ skill: 'echo', cron: '0 0 1 1 *', input: 'right now', channel: channel });
    const okId = await fullId(idFrom(ok.content));
    const ran = await sub('run', { id: okId.slice(0, 8) });
    expect(ran.content).toMatch(new RegExp(`^Ran \\*\\*echo\\*\\* \\(task \`[0-9a-f]{8}\`\\); the output is posted in <#${channel}>\\.$`));
    expect(h.emu.channelMessages(channel).some((m) => m.content === 'right now')).toBe(true);
    // The cron times are unchanged by a manual run.
    expect((await h.bot.db.schedules.getSchedule(okId))!.lastRunAt).toBeNull();

    const bad = await add({ skill: 'boom', cron: '0 0 1 1 *', input: 'x', channel: channel });
    const badId = await fullId(idFrom(bad.content));
    const failed = await sub('run', { id: badId });
    expect(failed.content).toMatch(/^Ran \*\*boom\*\* \(task `([0-9a-f]{8})`\): it failed: kaboom from a schedule$/);
    const [t] = await tasksOf(badId);
    expect(t).toMatchObject({ status: 'failed', error: 'kaboom from a schedule' });

    // The warning reaches the logs table (batched sink) …
    const row = await until(
      () => h.bot.db.logs.listLogs({ minLevel: 'warn', source: 'tasks' }),
      (rows) => rows.some((l) => l.message.includes('kaboom from a schedule')),
      3000,
      'warning row',
    );
    const mine = row.filter((l) => (l.metadata as { task?: string } | null)?.task === t.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ level: 'warn', source: 'tasks', message: `task ${t.id.slice(0, 8)} (boom) failed: kaboom from a schedule` });
    expect(mine[0].metadata).toMatchObject({ task: t.id, skill: 'boom', scheduleId: badId });
    // … and /logs shows it (admins only).
    const logs = await h.emu.runCommand('logs', { level: 'warn', limit: 5 }, { userId: h.admin, channelId: h.general });
    expect(logs.ephemeral).toBe(true);
    expect(logs.content).toMatch(/^Newest \d+ log entr(y|ies) at warn or above:\n```\n/);
    expect(logs.content).toMatch(new RegExp(`\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} WARN  \\[tasks\\] task ${t.id.slice(0, 8)} \\(boom\\) failed: kaboom from a schedule`));
    const errorsOnly = await h.emu.runCommand('logs', { level: 'error', limit: 5 }, { userId: h.admin, channelId: h.general });
    expect(errorsOnly.content).not.toContain('kaboom');
    const refused = await h.emu.runCommand('logs', {}, { userId: h.ada, channelId: h.general });
    expect(refused.content).toBe('Sorry, `/logs` is for server admins (Manage Server) only.');
    // The bot token is never logged, on stdout or in the table.
    const all = await h.bot.db.logs.listLogs({ limit: 1000 });
    expect(JSON.stringify(all)).not.toContain(h.emu.token);
    expect(JSON.stringify(h.logs.lines)).not.toContain(h.emu.token);
  });
});
