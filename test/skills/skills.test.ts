import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/entities/Task';
import { defineSkill, type Skill } from '../../src/skills';
import { DRIVERS } from '../helpers/databases';
import { externalExec } from '../helpers/external';
import { newGuild, newMember, startHarness, until, type Harness } from '../helpers/harness';

/** Test-only skills, injected with startBot's `skills` option (never shipped). */
let slowAborted = false;
const boom = defineSkill<string>({
  name: 'boom',
  version: '0.0.1',
  description: 'Always throws (test)',
  permissions: [],
  location: 'test/skills/skills.test.ts',
  parse: (raw) => raw,
  async run() {
    throw new Error('kaboom: the test skill always fails');
  },
});
const slow = defineSkill<string>({
  name: 'slow',
  version: '0.0.1',
  description: 'Runs past its time limit (test)',
  permissions: [],
  location: 'test/skills/skills.test.ts',
  timeoutMs: 300,
  parse: (raw) => raw,
  async run(_input, ctx) {
    ctx.signal.addEventListener('abort', () => (slowAborted = true));
    // Ignores the signal on purpose: the runner must fail the task anyway.
    await new Promise((r) => setTimeout(r, 1500));
    return 'too late';
  },
});
const secret = defineSkill<string>({
  name: 'secret',
  version: '0.0.1',
  description: 'Admins only (test)',
  permissions: ['admin'],
  location: 'test/skills/skills.test.ts',
  parse: (raw) => raw,
  async run() {
    return 'the vault is open';
  },
});
const sneaky = defineSkill<string>({
  name: 'sneaky',
  version: '0.0.1',
  description: 'Reads messages without declaring it (test)',
  permissions: [],
  location: 'test/skills/skills.test.ts',
  parse: (raw) => raw,
  async run(_input, ctx) {
    await ctx.stores.activity.summarize({ channelId: ctx.channelId!, since: new Date(0), until: new Date() });
    return 'read them';
  },
});
const sleepy = defineSkill<string>({
  name: 'sleepy',
  version: '0.0.1',
  description: 'Takes 1.8 s, within its limit (test)',
  permissions: [],
  location: 'test/skills/skills.test.ts',
  timeoutMs: 5000,
  parse: (raw) => raw,
  async run(input) {
    await new Promise((r) => setTimeout(r, 1800));
    return `awake: ${input}`;
  },
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const TEST_SKILLS: Skill<any>[] = [boom, slow, secret, sneaky, sleepy];

describe.each(DRIVERS)('skills and tasks on $driver', ({ driver, skip }) => {
  let h: Harness;

  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'skills', { bot: { skills: TEST_SKILLS, taskRunner: { pollMs: 100 } } });
  });
  afterAll(async () => h?.dispose());
  // Every test: nothing Discord would refuse was sent.
  afterEach(() => {
    if (!skip) expect(h.emu.violations()).toEqual([]);
  });

  /** A person of this test's own who has written once (so the bot has a record of them). */
  const writer = async (username: string, o: { admin?: boolean } = {}): Promise<string> => {
    const id = newMember(h, username, o);
    h.emu.sendMessage({ channelId: h.general, authorId: id, content: `hi, I am ${username}` });
    await until(
      () => h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: id }),
      (u) => !!u,
      5000,
      `${username}'s first message recorded`,
    );
    return id;
  };

  const tasksOf = async (discordUserId: string, harness = h): Promise<Task[]> => {
    const h = harness;
    const user = await h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: discordUserId });
    return user ? h.bot.db.tasks.listTasksForUser(user.id, 50) : [];
  };

  it.skipIf(skip)('syncs the shipped (and injected) skills into the skills table', async () => {
    const rows = await h.bot.db.skills.listSkills();
    expect(rows.map((r) => r.name)).toEqual(['boom', 'digest', 'echo', 'remind', 'secret', 'sleepy', 'slow', 'sneaky']);
    const digest = rows.find((r) => r.name === 'digest')!;
    expect(digest).toMatchObject({ version: '1.0.0', location: 'src/skills/digest.ts', permissions: ['read_messages'], removedAt: null });
    expect(digest.metadata.description).toMatch(/activity/);
  });

  it.skipIf(skip)('/run skill:digest answers with numbers computed from the recorded messages', async () => {
    // A server of its own: the server digest counts only what this test wrote.
    const w = await newGuild(h);
    const digestChannel = w.general;
    // Two hours ago (a whole UTC hour) is the busiest hour; an hour before that, a smaller thread.
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000);
    const at = (minutes: number) => new Date(hour.getTime() + minutes * 60_000);
    const send = (authorId: string, content: string, minutes: number, replyTo?: string) => h.emu.sendMessage({ channelId: digestChannel, authorId, content, timestamp: at(minutes), replyTo }).id;
    const keys = send(w.bob, 'Anyone seen the keys?', -50);
    send(w.ada, 'On the desk', -49, keys);
    send(w.bob, 'lunch?', -48);
    const launch = send(w.ada, 'Shall we plan the launch?\nDetails below', 5);
    const friday = send(w.bob, 'Yes, Friday works', 6, launch);
    send(w.ada, 'Great, Friday it is', 7, friday);
    send(w.admin, 'Count me in', 8, launch);
    // Deleted messages and messages older than the period do not count.
    const gone = send(w.bob, 'oops', 9);
    h.emu.sendMessage({ channelId: digestChannel, authorId: w.bob, content: 'ancient history', timestamp: new Date(Date.now() - 3 * 86_400_000) });
    await until(
      () => h.bot.db.messages.countMessages({ channelId: digestChannel }),
      (n) => n === 9,
      5000,
      'seeded messages recorded',
    );
    h.emu.deleteMessage(digestChannel, gone);
    await until(
      () => h.bot.db.messages.getByDiscordId(gone),
      (m) => !!m?.deletedAt,
      5000,
      'delete recorded',
    );

    const r = await h.emu.runCommand('run', { skill: 'digest' }, { userId: w.ada, channelId: digestChannel });
    expect(r.ephemeral).toBe(false);
    const hh = String(hour.getUTCHours()).padStart(2, '0');
    const hh1 = String((hour.getUTCHours() + 1) % 24).padStart(2, '0');
    const lines = r.content!.split('\n');
    expect(lines[0]).toBe(`**Digest of <#${digestChannel}> — last 24 h**`);
    expect(lines[1]).toBe(`Messages: 7 · People: 3 · Busiest hour: ${hh}:00–${hh1}:00 UTC (4 messages)`);
    expect(lines[2]).toBe('Top threads:');
    expect(lines[3]).toBe('1. “Shall we plan the launch?” — Ada Lovelace · 4 messages, 3 people');
    expect(lines[4]).toMatch(/^2\. “Anyone seen the keys\?” — \S+ · 2 messages, 2 people$/);
    expect(lines).toHaveLength(5);

    // A completed task in Ada's session, with the output; the reply is recorded in her session.
    const [task] = await tasksOf(w.ada);
    expect(task).toMatchObject({ skill: 'digest', input: '', status: 'completed', output: r.content, error: null, channelId: digestChannel, runAt: null });
    const session = await h.bot.db.sessions.getSession(task.sessionId!);
    const ada = await h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: w.ada });
    expect(session?.userId).toBe(ada!.id);
    await until(
      () => h.bot.db.messages.getByDiscordId(r.messageId!),
      (m) => !!m,
      5000,
      'reply recorded',
    );
    expect(await h.bot.db.messages.getByDiscordId(r.messageId!)).toMatchObject({ role: 'assistant', sessionId: task.sessionId });

    // A longer period and an explicit window; a server digest is for admins.
    const week = await h.emu.runCommand('run', { skill: 'digest', input: '7d' }, { userId: w.ada, channelId: digestChannel });
    expect(week.content).toMatch(/last 7 d\*\*\nMessages: 8 · People: 3/);
    const server = await h.emu.runCommand('run', { skill: 'digest', input: 'server' }, { userId: w.ada, channelId: digestChannel });
    expect(server.ephemeral).toBe(true);
    expect(server.content).toMatch(/The `digest` skill failed \(task `[0-9a-f]{8}`\): not allowed: a server-wide digest is for server admins/);
    const serverAdmin = await h.emu.runCommand('run', { skill: 'digest', input: 'server 24h' }, { userId: w.admin, channelId: digestChannel });
    expect(serverAdmin.content).toMatch(/^\*\*Digest of this server — last 24 h\*\*\nMessages: 7 /);
    expect(serverAdmin.content).toContain(`1. “Shall we plan the launch?” — Ada Lovelace in <#${digestChannel}> · 4 messages, 3 people`);
  });

  it.skipIf(skip)('/run skill:echo replies with the output; bad input is refused naming the option, and writes nothing', async () => {
    const bob = await writer('bob');
    const r = await h.emu.runCommand('run', { skill: 'echo', input: 'hello <@everyone>' }, { userId: bob, channelId: h.general });
    expect(r.content).toBe('hello <@everyone>');
    const before = (await tasksOf(bob)).length;
    const bad = await h.emu.runCommand('run', { skill: 'remind', input: 'whenever I feel like it' }, { userId: bob, channelId: h.general });
    expect(bad.ephemeral).toBe(true);
    expect(bad.content).toMatch(/^That did not work: `input`: start with a delay \(10m, 1h30m, 2d\) or a time/);
    const unknown = await h.emu.runCommand('run', { skill: 'nope', input: '' }, { userId: bob, channelId: h.general });
    expect(unknown.content).toMatch(/^That did not work: `skill`: there is no skill named "nope"; choose one of boom, digest, echo/);
    expect((await tasksOf(bob)).length).toBe(before);
  });

  it.skipIf(skip)('a slow skill gets a deferred reply, then the output', async () => {
    const bob = await writer('bob');
    const r = await h.emu.runCommand('run', { skill: 'sleepy', input: 'zzz' }, { userId: bob, channelId: h.general });
    expect(r.deferred).toBe(true);
    expect(r.ephemeral).toBe(false);
    expect(r.content).toBe('awake: zzz');
    const [t] = await tasksOf(bob);
    expect(t).toMatchObject({ skill: 'sleepy', status: 'completed', output: 'awake: zzz' });
  });

  it.skipIf(skip)('a skill that throws leaves a failed task with its error', async () => {
    const bob = await writer('bob');
    const r = await h.emu.runCommand('run', { skill: 'boom', input: 'x' }, { userId: bob, channelId: h.general });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toMatch(/^The `boom` skill failed \(task `[0-9a-f]{8}`\): kaboom: the test skill always fails$/);
    const [t] = await tasksOf(bob);
    expect(t).toMatchObject({ skill: 'boom', status: 'failed', error: 'kaboom: the test skill always fails', output: null });
  });

  it.skipIf(skip)('a skill past its time limit is aborted and leaves a failed task, never one in progress', async () => {
    const bob = await writer('bob');
    slowAborted = false;
    const started = Date.now();
    const r = await h.emu.runCommand('run', { skill: 'slow' }, { userId: bob, channelId: h.general });
    expect(Date.now() - started).toBeLessThan(1400);
    expect(r.content).toMatch(/The `slow` skill failed \(task `[0-9a-f]{8}`\): timed out after 300 ms/);
    expect(slowAborted).toBe(true);
    const [t] = await tasksOf(bob);
    expect(t).toMatchObject({ skill: 'slow', status: 'failed' });
    expect(t.error).toMatch(/^timed out after 300 ms/);
    // The late result is never written.
    await new Promise((res) => setTimeout(res, 1400));
    expect(await h.bot.db.tasks.getTask(t.id)).toMatchObject({ status: 'failed', output: null });
    expect(await h.bot.db.tasks.listTasksByStatus('in_progress')).toEqual([]);
  });

  it.skipIf(skip)("enforces a skill's permissions before it runs, and what it declared while it runs", async () => {
    const ada = await writer('ada');
    const admin = newMember(h, 'mod', { admin: true });
    const refused = await h.emu.runCommand('run', { skill: 'secret' }, { userId: ada, channelId: h.general });
    expect(refused.ephemeral).toBe(true);
    expect(refused.content).toBe('Sorry, the `secret` skill is for server admins (Manage Server) only.');
    expect((await tasksOf(ada)).some((t) => t.skill === 'secret')).toBe(false);
    const ok = await h.emu.runCommand('run', { skill: 'secret' }, { userId: admin, channelId: h.general });
    expect(ok.content).toBe('the vault is open');

    const sneaked = await h.emu.runCommand('run', { skill: 'sneaky' }, { userId: ada, channelId: h.general });
    expect(sneaked.content).toMatch(/failed .*: not allowed: the sneaky skill did not declare the read_messages permission/);
  });

  it.skipIf(skip)('autocompletes skill names from the skills table (admin-only skills for admins)', async () => {
    const forAda = await h.emu.autocomplete('run', { name: 'skill', value: '' }, { userId: h.ada, channelId: h.general });
    expect(forAda.map((c) => c.value)).toEqual(['boom', 'digest', 'echo', 'remind', 'sleepy', 'slow', 'sneaky']);
    expect(forAda.find((c) => c.value === 'digest')!.name).toMatch(/^digest — A channel's or the server's activity/);
    const typed = await h.emu.autocomplete('run', { name: 'skill', value: 'di' }, { userId: h.ada, channelId: h.general });
    expect(typed.map((c) => c.value)).toEqual(['digest']);
    const forAdmin = await h.emu.autocomplete('run', { name: 'skill', value: 'sec' }, { userId: h.admin, channelId: h.general });
    expect(forAdmin.map((c) => c.value)).toEqual(['secret']);
  });

  it.skipIf(skip)('/tasks lists your recent tasks with their status', async () => {
    const bob = await writer('bob');
    // What bob ran, oldest first.
    expect((await h.emu.runCommand('run', { skill: 'echo', input: 'hello' }, { userId: bob, channelId: h.general })).content).toBe('hello');
    expect((await h.emu.runCommand('run', { skill: 'sleepy', input: 'zzz' }, { userId: bob, channelId: h.general })).content).toBe('awake: zzz');
    expect((await h.emu.runCommand('run', { skill: 'boom', input: 'x' }, { userId: bob, channelId: h.general })).content).toMatch(/kaboom/);
    expect((await h.emu.runCommand('run', { skill: 'slow' }, { userId: bob, channelId: h.general })).content).toMatch(/timed out after 300 ms/);
    const r = await h.emu.runCommand('tasks', {}, { userId: bob, channelId: h.general });
    expect(r.ephemeral).toBe(true);
    const lines = r.content!.split('\n');
    expect(lines[0]).toMatch(/^Your latest \d+ tasks:$/);
    expect(lines[1]).toMatch(/^❌ `[0-9a-f]{8}` \*\*slow\*\* failed · <t:\d+:R> — timed out after 300 ms/);
    expect(lines[2]).toMatch(/^❌ `[0-9a-f]{8}` \*\*boom\*\* failed · <t:\d+:R> — kaboom/);
    expect(lines[3]).toMatch(/^✅ `[0-9a-f]{8}` \*\*sleepy\*\* completed · <t:\d+:R> — awake: zzz$/);
    expect(lines[4]).toMatch(/^✅ `[0-9a-f]{8}` \*\*echo\*\* completed · <t:\d+:R> — hello/);
    // Someone else's list, asked in another channel than the one the task ran in.
    const admin = await writer('mod', { admin: true });
    expect((await h.emu.runCommand('run', { skill: 'secret' }, { userId: admin, channelId: h.general })).content).toBe('the vault is open');
    const other = await h.emu.runCommand('tasks', {}, { userId: admin, channelId: h.random });
    expect(other.content).toMatch(/^Your latest task:\n✅ `[0-9a-f]{8}` \*\*secret\*\* completed/);
  });

  it.skipIf(skip)('a reminder is a stored task: it is delivered after a restart; in-progress tasks left by a crash are failed', async () => {
    // It restarts the bot without the test-only skills: a bot and database of its own.
    const h = await startHarness(driver, 'skills_restart', { bot: { skills: TEST_SKILLS, taskRunner: { pollMs: 100 } } });
    try {
      const r = await h.emu.runCommand('run', { skill: 'remind', input: '3s stretch your legs' }, { userId: h.ada, channelId: h.random });
      expect(r.content).toMatch(/^⏰ Reminder set for <t:\d+:F> \(<t:\d+:R>\): stretch your legs/);
      const followUp = (await tasksOf(h.ada, h)).find((t) => t.skill === 'remind' && t.runAt)!;
      expect(followUp).toMatchObject({ status: 'pending', input: 'stretch your legs', channelId: h.random });
      expect(followUp.runAt!.getTime() - Date.now()).toBeGreaterThan(1000);

      // A task a crashed process left in progress.
      const orphan = await h.bot.db.tasks.createTask({ skill: 'echo', input: 'x', status: 'in_progress' });

      await h.bot.stop();
      const posted = () => h.emu.channelMessages(h.random).filter((m) => m.content.includes('reminder: stretch your legs'));
      expect(posted()).toEqual([]);
      // Started again without the test-only skills: they are marked removed, not deleted.
      await h.restart({ skills: [] });
      expect(await h.bot.db.tasks.getTask(orphan.id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted: the bot stopped/) });
      const skills = await h.bot.db.skills.listSkills({ includeRemoved: true });
      expect(skills.filter((s) => s.removedAt).map((s) => s.name)).toEqual(['boom', 'secret', 'sleepy', 'slow', 'sneaky']);
      expect((await h.bot.db.skills.listSkills()).map((s) => s.name)).toEqual(['digest', 'echo', 'remind']);

      const [msg] = await until(posted, (m) => m.length === 1, 8000, 'the reminder');
      expect(msg.content).toBe(`⏰ <@${h.ada}>, reminder: stretch your legs`);
      expect(msg.author.id).toBe(h.emu.botUser.id);
      expect(Date.parse(msg.timestamp)).toBeGreaterThanOrEqual(followUp.runAt!.getTime());
      await until(
        () => h.bot.db.tasks.getTask(followUp.id),
        (t) => t?.status === 'completed',
        3000,
        'follow-up completed',
      );
      // Posted once, and recorded as the bot's message.
      await until(
        () => h.bot.db.messages.getByDiscordId(msg.id),
        (m) => !!m,
        3000,
        'reminder recorded',
      );
      expect((await h.bot.db.messages.getByDiscordId(msg.id))!.role).toBe('assistant');
      await new Promise((res) => setTimeout(res, 300));
      expect(posted()).toHaveLength(1);
      expect(h.emu.violations()).toEqual([]);
    } finally {
      await h.dispose();
    }
  });

  it.skipIf(skip)('a reminder time without an offset is UTC; past times are refused', async () => {
    const ada = await writer('ada');
    const past = await h.emu.runCommand('run', { skill: 'remind', input: '2020-01-01T09:00 too late' }, { userId: ada, channelId: h.random });
    expect(past.content).toBe('That did not work: `input`: 2020-01-01T09:00:00.000Z is in the past (usage: <delay like 10m, 1h30m, 2d | time like 2026-12-01T09:00Z> <text>)');
    const year = new Date().getUTCFullYear() + 1;
    const ok = await h.emu.runCommand('run', { skill: 'remind', input: `${year}-03-01T09:30Z standup` }, { userId: ada, channelId: h.random });
    expect(ok.content).toContain(`<t:${Date.UTC(year, 2, 1, 9, 30) / 1000}:F>`);
    await externalExec(h.scratch, "UPDATE tasks SET status = 'failed' WHERE status = 'pending'");
  });
});
