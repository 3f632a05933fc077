import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { startHarness, until, type Harness } from '../helpers/harness';

describe.each(DRIVERS)('/status on $driver', ({ driver, skip }) => {
  let h: Harness;
  const admin = () => ({ userId: h.admin, channelId: h.general });
  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'status');
    // Replies are recorded for people with a record: the admin has written before.
    h.emu.sendMessage({ channelId: h.general, authorId: h.admin, content: 'hello' });
  });
  afterAll(async () => h?.dispose());

  it.skipIf(skip)('is registered for Manage Server only, in guilds', () => {
    const cmd = h.emu.registeredCommands(h.guildId).find((c) => (c as { name: string }).name === 'status') as { default_member_permissions: string; contexts: number[] };
    expect(cmd.default_member_permissions).toBe(String(1 << 5));
    expect(cmd.contexts).toEqual([0]);
  });

  it.skipIf(skip)('refuses a non-admin: ephemeral reply, a logs row, nothing written', async () => {
    const before = await h.bot.db.botStatus.listBotStatuses();
    const r = await h.emu.runCommand('status', { activity: 'hijacked' }, { userId: h.ada, channelId: h.general, subcommand: 'set' });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toBe('Sorry, `/status set` is for server admins (Manage Server) only.');
    expect(await h.bot.db.botStatus.listBotStatuses()).toEqual(before);
    const logs = await until(
      () => h.bot.db.logs.listLogs({ source: 'commands' }),
      (l) => l.some((x) => x.message.includes(`refused /status set for user ${h.ada}`)),
    );
    expect(logs[0].level).toBe('warn');
    await new Promise((r) => setTimeout(r, 200));
    expect(h.emu.presences().some((p) => p.activities[0]?.name === 'hijacked')).toBe(false);
  });

  it.skipIf(skip)('set writes an active row and the presence reaches the gateway (op 3) through the change feed', async () => {
    const r = await h.emu.runCommand('status', { activity: 'the archives', type: 'watching', status: 'idle' }, { ...admin(), subcommand: 'set' });
    expect(r.ephemeral).toBe(true);
    const active = await h.bot.db.botStatus.getActiveBotStatus();
    expect(active).toMatchObject({ activity: 'the archives', activityType: 'watching', status: 'idle', isActive: true, url: null });
    expect(r.content).toBe(`Status \`${active!.id}\` is now active: Watching **the archives** · idle. The presence follows in a moment.`);
    const p = await h.emu.waitForPresence((p) => p.activities[0]?.name === 'the archives');
    expect(p).toMatchObject({ status: 'idle', activities: [{ name: 'the archives', type: 3 }] });
  });

  it.skipIf(skip)('streaming needs a twitch.tv or youtube.com https URL; url is refused for other types; nothing written', async () => {
    const count = (await h.bot.db.botStatus.listBotStatuses()).length;
    const bad = await h.emu.runCommand('status', { activity: 'live', type: 'streaming', url: 'http://example.com/x' }, { ...admin(), subcommand: 'set' });
    expect(bad.ephemeral).toBe(true);
    expect(bad.content).toBe('That did not work: `url`: must be a https://twitch.tv/… or https://youtube.com/… address for streaming');
    const missing = await h.emu.runCommand('status', { activity: 'live', type: 'streaming' }, { ...admin(), subcommand: 'set' });
    expect(missing.content).toContain('`url`: must be a https://twitch.tv/');
    const stray = await h.emu.runCommand('status', { activity: 'chess', url: 'https://twitch.tv/x' }, { ...admin(), subcommand: 'set' });
    expect(stray.content).toBe('That did not work: `url`: is only for type streaming');
    expect((await h.bot.db.botStatus.listBotStatuses()).length).toBe(count);

    const ok = await h.emu.runCommand('status', { activity: 'live coding', type: 'streaming', url: 'https://twitch.tv/chronicle' }, { ...admin(), subcommand: 'set' });
    expect(ok.content).toMatch(/is now active: Streaming \*\*live coding\*\* \(<https:\/\/twitch\.tv\/chronicle>\) · online/);
    const p = await h.emu.waitForPresence((p) => p.activities[0]?.name === 'live coding');
    expect(p.activities[0]).toMatchObject({ type: 1, url: 'https://twitch.tv/chronicle' });
  });

  it.skipIf(skip)('validates every option on the server side too (choices, lengths)', async () => {
    const count = (await h.bot.db.botStatus.listBotStatuses()).length;
    const type = await h.emu.runCommand('status', { activity: 'x', type: 'dancing' }, { ...admin(), subcommand: 'set' });
    expect(type.content).toBe('That did not work: `type`: must be one of playing, streaming, listening, watching, competing, custom');
    const status = await h.emu.runCommand('status', { activity: 'x', status: 'away' }, { ...admin(), subcommand: 'set' });
    expect(status.content).toBe('That did not work: `status`: must be one of online, idle, dnd, invisible');
    const long = await h.emu.runCommand('status', { activity: 'x'.repeat(129) }, { ...admin(), subcommand: 'set' });
    expect(long.content).toBe('That did not work: `activity`: must be 1–128 characters (got 129)');
    const blank = await h.emu.runCommand('status', { activity: '   ' }, { ...admin(), subcommand: 'set' });
    expect(blank.content).toBe('That did not work: `activity`: must be 1–128 characters (got 0)');
    expect((await h.bot.db.botStatus.listBotStatuses()).length).toBe(count);
  });

  it.skipIf(skip)('list shows the rows and marks the active one; activate (with autocomplete) switches back', async () => {
    const rows = await h.bot.db.botStatus.listBotStatuses();
    const archives = rows.find((r) => r.activity === 'the archives')!;
    const l = await h.emu.runCommand('status', {}, { ...admin(), subcommand: 'list' });
    expect(l.ephemeral).toBe(true);
    expect(l.content).toContain(`2 status rows:`);
    expect(l.content).toContain(`\`${archives.id}\` — Watching **the archives** · idle`);
    expect(l.content).toMatch(/`bot-[0-9a-f]{6}` \*\*\(active\)\*\* — Streaming \*\*live coding\*\*/);

    const choices = await h.emu.autocomplete('status', { name: 'id', value: 'arch' }, { ...admin(), subcommand: 'activate' });
    expect(choices).toEqual([{ name: `${archives.id} — watching the archives · idle`, value: archives.id }]);
    const none = await h.emu.autocomplete('status', { name: 'id', value: '' }, { userId: h.bob, channelId: h.general, subcommand: 'activate' });
    expect(none).toEqual([]);

    const r = await h.emu.runCommand('status', { id: archives.id }, { ...admin(), subcommand: 'activate' });
    expect(r.content).toBe(`Status \`${archives.id}\` is now active: Watching **the archives** · idle. The presence follows in a moment.`);
    await h.emu.waitForPresence((p) => p.activities[0]?.name === 'the archives' && p.status === 'idle');
    expect((await h.bot.db.botStatus.getActiveBotStatus())!.id).toBe(archives.id);
  });

  it.skipIf(skip)('activate names the id option when the row does not exist', async () => {
    const r = await h.emu.runCommand('status', { id: 'bot-nope' }, { ...admin(), subcommand: 'activate' });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toBe('That did not work: `id`: must name an existing status row; there is no `bot-nope` (see `/status list`)');
  });

  it.skipIf(skip)('show gives the active row and what Discord shows', async () => {
    await until(
      () => h.bot.client.user!.presence.activities[0]?.name,
      (n) => n === 'the archives',
    );
    const active = (await h.bot.db.botStatus.getActiveBotStatus())!;
    const r = await h.emu.runCommand('status', {}, { ...admin(), subcommand: 'show' });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toMatch(new RegExp(`^Active row: \`${active.id}\` — Watching \\*\\*the archives\\*\\* · idle \\(since <t:\\d+:R>\\)\\nDiscord shows: idle · Watching \\*\\*the archives\\*\\*$`));
  });

  it.skipIf(skip)('clear leaves no active row: online, no activity', async () => {
    const r = await h.emu.runCommand('status', {}, { ...admin(), subcommand: 'clear' });
    expect(r.content).toBe('Cleared: no active row, so the bot shows online with no activity.');
    expect(await h.bot.db.botStatus.getActiveBotStatus()).toBeNull();
    await h.emu.waitForPresence((p) => p.status === 'online' && p.activities.length === 0);
    const s = await h.emu.runCommand('status', {}, { ...admin(), subcommand: 'show' });
    expect(s.content).toBe('Active row: none — the bot shows online with no activity.\nDiscord shows: online · no activity');
  });

  it.skipIf(skip)("replies are recorded as assistant messages in the admin's session", async () => {
    const user = await until(
      () => h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: h.admin }),
      (u) => !!u,
    );
    const [s] = await h.bot.db.sessions.listSessionsForUser(user!.id);
    const msgs = await until(
      () => h.bot.db.messages.listBySession(s.id),
      (m) => m.some((x) => x.content.startsWith('Active row: none')),
    );
    expect(msgs.filter((m) => m.role !== 'assistant').map((m) => m.content)).toEqual(['hello']);
  });

  it.skipIf(skip)('sent nothing Discord would refuse', () => {
    expect(h.emu.violations()).toEqual([]);
  });
});
