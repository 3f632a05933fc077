import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { startHarness, until, type Harness } from '../helpers/harness';

/** What a member who is not an admin can reach, and what a refusal stores. */
describe.each(DRIVERS)('refused commands ($driver)', ({ driver, skip }) => {
  let h: Harness;
  beforeAll(async () => {
    if (!skip) h = await startHarness(driver, 'refusals');
  });
  afterAll(async () => h?.dispose());

  const counts = async () => ({
    users: await h.bot.db.users.countUsers(),
    messages: await h.bot.db.messages.countMessages(),
    logs: (await h.bot.db.logs.listLogs({ limit: 1000 })).length,
  });

  it.skipIf(skip)('a refusal writes exactly one audit row: no user, session or message, also for someone already recorded', async () => {
    // bob is recorded (he wrote); a newcomer is not.
    h.emu.sendMessage({ channelId: h.general, authorId: h.bob, content: 'hello' });
    await until(
      () => h.bot.db.messages.countMessages(),
      (n) => n === 1,
    );
    const newcomer = h.emu.createUser({ username: `new${Date.now() % 100000}` }).id;
    h.emu.addMember(h.guildId, newcomer);
    await h.bot.log.flush();
    const before = await counts();
    for (const userId of [h.bob, newcomer]) {
      const r = await h.emu.runCommand('status', { activity: 'hijacked' }, { userId, channelId: h.general, subcommand: 'set' });
      expect(r).toMatchObject({ ephemeral: true, content: 'Sorry, `/status set` is for server admins (Manage Server) only.' });
    }
    await h.bot.queue.flush();
    await h.bot.log.flush();
    await new Promise((r) => setTimeout(r, 700));
    await h.bot.log.flush();
    const after = await counts();
    expect(after).toEqual({ ...before, logs: before.logs + 2 });
    const rows = (await h.bot.db.logs.listLogs({ limit: 1000 })).filter((l) => /refused|command refused/.test(l.message));
    expect(rows.map((r) => r.message).sort()).toEqual([`refused /status set for user ${h.bob}: only server admins (Manage Server)`, `refused /status set for user ${newcomer}: only server admins (Manage Server)`].sort());
    expect(await h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: newcomer })).toBeNull();
    // The stdout line is still there, marked as audited.
    expect(h.logs.find(/^command refused: not allowed$/)).toEqual([expect.objectContaining({ audited: true, userId: h.bob }), expect.objectContaining({ audited: true, userId: newcomer })]);
  });

  it.skipIf(skip)("autocomplete obeys the command's access: a member sees no admin's schedules, an admin does", async () => {
    const added = await h.emu.runCommand('schedule', { skill: 'echo', cron: '0 9 * * *', input: 'private note' }, { userId: h.admin, channelId: h.general, subcommand: 'add' });
    const id = /Schedule `([0-9a-f]{8})`/.exec(added.content ?? '')![1];
    for (const subcommand of ['remove', 'enable', 'disable', 'run']) {
      expect(await h.emu.autocomplete('schedule', { name: 'id', value: '' }, { userId: h.ada, channelId: h.general, subcommand }), subcommand).toEqual([]);
      const forAdmin = await h.emu.autocomplete('schedule', { name: 'id', value: '' }, { userId: h.admin, channelId: h.general, subcommand });
      expect(
        forAdmin.map((c) => String(c.value).slice(0, 8)),
        subcommand,
      ).toContain(id);
    }
    // Everyone's commands still suggest to everyone.
    expect((await h.emu.autocomplete('run', { name: 'skill', value: 'ec' }, { userId: h.ada, channelId: h.general })).map((c) => c.value)).toEqual(['echo']);
  });
});
