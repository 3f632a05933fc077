import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { newChannel, newMember, presencesFromNow, startHarness, unique, until, type Harness } from '../helpers/harness';

describe.each(DRIVERS)('/status on $driver', ({ driver, skip }) => {
  let h: Harness;
  /** A server admin of this test's own, in a channel of its own. */
  const newAdmin = () => ({ userId: newMember(h, 'mod', { admin: true }), channelId: newChannel(h, 'status') });
  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'status');
  });
  afterAll(async () => h?.dispose());
  // Every test: nothing Discord would refuse was sent.
  afterEach(() => {
    if (!skip) expect(h.emu.violations()).toEqual([]);
  });

  /** Sets an active row with this test's own activity text; waits until the gateway got it. */
  async function setOwn(admin: { userId: string; channelId: string }): Promise<string> {
    const activity = unique('the archives');
    const seen = presencesFromNow(h.emu);
    const r = await h.emu.runCommand('status', { activity, type: 'watching', status: 'idle' }, { ...admin, subcommand: 'set' });
    expect(r.content).toMatch(/is now active/);
    await seen.wait((p) => p.activities[0]?.name === activity);
    return activity;
  }

  it.skipIf(skip)('is registered for Manage Server only, in guilds', () => {
    const cmd = h.emu.registeredCommands(h.guildId).find((c) => (c as { name: string }).name === 'status') as { default_member_permissions: string; contexts: number[] };
    expect(cmd.default_member_permissions).toBe(String(1 << 5));
    expect(cmd.contexts).toEqual([0]);
  });

  it.skipIf(skip)('refuses a non-admin: ephemeral reply, a logs row, nothing written', async () => {
    const ada = newMember(h, 'ada');
    const hijacked = unique('hijacked');
    const seen = presencesFromNow(h.emu);
    const before = await h.bot.db.botStatus.listBotStatuses();
    const r = await h.emu.runCommand('status', { activity: hijacked }, { userId: ada, channelId: h.general, subcommand: 'set' });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toBe('Sorry, `/status set` is for server admins (Manage Server) only.');
    expect(await h.bot.db.botStatus.listBotStatuses()).toEqual(before);
    const logs = await until(
      async () => (await h.bot.db.logs.listLogs({ source: 'commands' })).filter((x) => x.message.includes(`refused /status set for user ${ada}`)),
      (l) => l.length > 0,
    );
    expect(logs).toHaveLength(1);
    expect(logs[0].level).toBe('warn');
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.since().some((p) => p.activities[0]?.name === hijacked)).toBe(false);
  });

  it.skipIf(skip)('set writes an active row and the presence reaches the gateway (op 3) through the change feed', async () => {
    const activity = unique('the archives');
    const seen = presencesFromNow(h.emu);
    const r = await h.emu.runCommand('status', { activity, type: 'watching', status: 'idle' }, { ...newAdmin(), subcommand: 'set' });
    expect(r.ephemeral).toBe(true);
    const active = await h.bot.db.botStatus.getActiveBotStatus();
    expect(active).toMatchObject({ activity, activityType: 'watching', status: 'idle', isActive: true, url: null });
    expect(r.content).toBe(`Status \`${active!.id}\` is now active: Watching **${activity}** · idle. The presence follows in a moment.`);
    const p = await seen.wait((p) => p.activities[0]?.name === activity);
    expect(p).toMatchObject({ status: 'idle', activities: [{ name: activity, type: 3 }] });
  });

  it.skipIf(skip)('streaming needs a twitch.tv or youtube.com https URL; url is refused for other types; nothing written', async () => {
    const admin = newAdmin();
    const count = (await h.bot.db.botStatus.listBotStatuses()).length;
    const bad = await h.emu.runCommand('status', { activity: 'live', type: 'streaming', url: 'http://example.com/x' }, { ...admin, subcommand: 'set' });
    expect(bad.ephemeral).toBe(true);
    expect(bad.content).toBe('That did not work: `url`: must be a https://twitch.tv/… or https://youtube.com/… address for streaming');
    const missing = await h.emu.runCommand('status', { activity: 'live', type: 'streaming' }, { ...admin, subcommand: 'set' });
    expect(missing.content).toContain('`url`: must be a https://twitch.tv/');
    const stray = await h.emu.runCommand('status', { activity: 'chess', url: 'https://twitch.tv/x' }, { ...admin, subcommand: 'set' });
    expect(stray.content).toBe('That did not work: `url`: is only for type streaming');
    expect((await h.bot.db.botStatus.listBotStatuses()).length).toBe(count);

    const live = unique('live coding');
    const seen = presencesFromNow(h.emu);
    const ok = await h.emu.runCommand('status', { activity: live, type: 'streaming', url: 'https://twitch.tv/chronicle' }, { ...admin, subcommand: 'set' });
    expect(ok.content).toMatch(new RegExp(`is now active: Streaming \\*\\*${live}\\*\\* \\(<https://twitch\\.tv/chronicle>\\) · online`));
    const p = await seen.wait((p) => p.activities[0]?.name === live);
    expect(p.activities[0]).toMatchObject({ type: 1, url: 'https://twitch.tv/chronicle' });
  });

  it.skipIf(skip)('validates every option on the server side too (choices, lengths)', async () => {
    const admin = newAdmin();
    const count = (await h.bot.db.botStatus.listBotStatuses()).length;
    const type = await h.emu.runCommand('status', { activity: 'x', type: 'dancing' }, { ...admin, subcommand: 'set' });
    expect(type.content).toBe('That did not work: `type`: must be one of playing, streaming, listening, watching, competing, custom');
    const status = await h.emu.runCommand('status', { activity: 'x', status: 'away' }, { ...admin, subcommand: 'set' });
    expect(status.content).toBe('That did not work: `status`: must be one of online, idle, dnd, invisible');
    const long = await h.emu.runCommand('status', { activity: 'x'.repeat(129) }, { ...admin, subcommand: 'set' });
    expect(long.content).toBe('That did not work: `activity`: must be 1–128 characters (got 129)');
    const blank = await h.emu.runCommand('status', { activity: '   ' }, { ...admin, subcommand: 'set' });
    expect(blank.content).toBe('That did not work: `activity`: must be 1–128 characters (got 0)');
    expect((await h.bot.db.botStatus.listBotStatuses()).length).toBe(count);
  });

  it.skipIf(skip)('list shows the rows and marks the active one; activate (with autocomplete) switches back', async () => {
    // The whole table is listed: a bot and database of this test's own, with the two rows it sets.
    const own = await startHarness(driver, 'status_list');
    try {
      const admin = { userId: own.admin, channelId: own.general };
      await own.emu.runCommand('status', { activity: 'the archives', type: 'watching', status: 'idle' }, { ...admin, subcommand: 'set' });
      await own.emu.runCommand('status', { activity: 'live coding', type: 'streaming', url: 'https://twitch.tv/chronicle' }, { ...admin, subcommand: 'set' });
      const rows = await own.bot.db.botStatus.listBotStatuses();
      const archives = rows.find((r) => r.activity === 'the archives')!;
      const l = await own.emu.runCommand('status', {}, { ...admin, subcommand: 'list' });
      expect(l.ephemeral).toBe(true);
      expect(l.content).toContain(`2 status rows:`);
      expect(l.content).toContain(`\`${archives.id}\` — Watching **the archives** · idle`);
      expect(l.content).toMatch(/`bot-[0-9a-f]{6}` \*\*\(active\)\*\* — Streaming \*\*live coding\*\*/);

      const choices = await own.emu.autocomplete('status', { name: 'id', value: 'arch' }, { ...admin, subcommand: 'activate' });
      expect(choices).toEqual([{ name: `${archives.id} — watching the archives · idle`, value: archives.id }]);
      const none = await own.emu.autocomplete('status', { name: 'id', value: '' }, { userId: own.bob, channelId: own.general, subcommand: 'activate' });
      expect(none).toEqual([]);

      const seen = presencesFromNow(own.emu);
      const r = await own.emu.runCommand('status', { id: archives.id }, { ...admin, subcommand: 'activate' });
      expect(r.content).toBe(`Status \`${archives.id}\` is now active: Watching **the archives** · idle. The presence follows in a moment.`);
      await seen.wait((p) => p.activities[0]?.name === 'the archives' && p.status === 'idle');
      expect((await own.bot.db.botStatus.getActiveBotStatus())!.id).toBe(archives.id);
      expect(own.emu.violations()).toEqual([]);
    } finally {
      await own.dispose();
    }
  });

  it.skipIf(skip)('activate names the id option when the row does not exist', async () => {
    const r = await h.emu.runCommand('status', { id: 'bot-nope' }, { ...newAdmin(), subcommand: 'activate' });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toBe('That did not work: `id`: must name an existing status row; there is no `bot-nope` (see `/status list`)');
  });

  it.skipIf(skip)('show gives the active row and what Discord shows', async () => {
    const admin = newAdmin();
    const activity = await setOwn(admin);
    await until(
      () => h.bot.client.user!.presence.activities[0]?.name,
      (n) => n === activity,
    );
    const active = (await h.bot.db.botStatus.getActiveBotStatus())!;
    const r = await h.emu.runCommand('status', {}, { ...admin, subcommand: 'show' });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toMatch(new RegExp(`^Active row: \`${active.id}\` — Watching \\*\\*${activity}\\*\\* · idle \\(since <t:\\d+:R>\\)\\nDiscord shows: idle · Watching \\*\\*${activity}\\*\\*$`));
  });

  it.skipIf(skip)('clear leaves no active row: online, no activity', async () => {
    const admin = newAdmin();
    await setOwn(admin);
    const seen = presencesFromNow(h.emu);
    const r = await h.emu.runCommand('status', {}, { ...admin, subcommand: 'clear' });
    expect(r.content).toBe('Cleared: no active row, so the bot shows online with no activity.');
    expect(await h.bot.db.botStatus.getActiveBotStatus()).toBeNull();
    await seen.wait((p) => p.status === 'online' && p.activities.length === 0);
    const s = await h.emu.runCommand('status', {}, { ...admin, subcommand: 'show' });
    expect(s.content).toBe('Active row: none — the bot shows online with no activity.\nDiscord shows: online · no activity');
  });

  it.skipIf(skip)("replies are recorded as assistant messages in the admin's session", async () => {
    const admin = newAdmin();
    // Replies are recorded for people with a record: this admin writes first.
    h.emu.sendMessage({ channelId: admin.channelId, authorId: admin.userId, content: 'hello' });
    const user = await until(
      () => h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: admin.userId }),
      (u) => !!u,
    );
    await h.emu.runCommand('status', {}, { ...admin, subcommand: 'clear' });
    const shown = await h.emu.runCommand('status', {}, { ...admin, subcommand: 'show' });
    expect(shown.content).toMatch(/^Active row: none/);
    const [s] = await h.bot.db.sessions.listSessionsForUser(user!.id);
    const msgs = await until(
      () => h.bot.db.messages.listBySession(s.id),
      (m) => m.some((x) => x.content.startsWith('Active row: none')),
    );
    expect(msgs.filter((m) => m.role !== 'assistant').map((m) => m.content)).toEqual(['hello']);
  });
});
