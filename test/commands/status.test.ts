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

  it.skipIf(skip)('set writes an active row and the presence reaches the gateway (op 3) through the change feed', { timeout: 60_000 }, async () => {
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

  it.skipIf(skip)('streaming needs a twitch.tv or youtube.com https URL; url is refused for other types; nothing written', { timeout: 60_000 }, async () => {
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

  it.skipIf(skip)('list shows the rows and marks the active one; activate (with autocomplete) switches back', { timeout: 60_000 }, async () => {
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

  it.skipIf(skip)('show gives the active row and what Discord shows', { timeout: 60_000 }, async () => {
    const admin = newAdmin();
    const activity = await setOwn(admin);
    await until(
      () => h.bot.client.user!.presence.activities[0]?.name,
      (n) => n === activity,
    );
    const active = (await h.bot.db.botStatus.getActiveBotStatus())!;
    const r = await h.emu.runCommand('status', {}, { ...admin, subcommand: 'show' });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toMatch(
      new RegExp(
        `^Live now: \`${active.id}\` — Watching \\*\\*${activity}\\*\\* · idle, the active row \\(since <t:\\d+:R>\\); no window is open and the rotation is empty\\.\\nDiscord shows: idle · Watching \\*\\*${activity}\\*\\*\\nPresence updates sent since start: \\d+$`,
      ),
    );
  });

  it.skipIf(skip)('clear leaves no active row: online, no activity', { timeout: 60_000 }, async () => {
    const admin = newAdmin();
    await setOwn(admin);
    const seen = presencesFromNow(h.emu);
    const r = await h.emu.runCommand('status', {}, { ...admin, subcommand: 'clear' });
    expect(r.content).toBe('Cleared: no active row, so the bot shows online with no activity.');
    expect(await h.bot.db.botStatus.getActiveBotStatus()).toBeNull();
    await seen.wait((p) => p.status === 'online' && p.activities.length === 0);
    const s = await h.emu.runCommand('status', {}, { ...admin, subcommand: 'show' });
    expect(s.content).toMatch(/^Live now: nothing — no window is open, the rotation is empty and no row is active, so the bot shows online with no activity\.\nDiscord shows: online · no activity\nPresence updates sent since start: \d+$/);
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
    expect(shown.content).toMatch(/^Live now: nothing/);
    const [s] = await h.bot.db.sessions.listSessionsForUser(user!.id);
    const msgs = await until(
      () => h.bot.db.messages.listBySession(s.id),
      (m) => m.some((x) => x.content.startsWith('Live now: nothing')),
    );
    expect(msgs.filter((m) => m.role !== 'assistant').map((m) => m.content)).toEqual(['hello']);
  });
  it.skipIf(skip)('set refuses an unknown variable (nothing written); known ones are rendered in the presence and in show', { timeout: 60_000 }, async () => {
    const admin = newAdmin();
    const count = (await h.bot.db.botStatus.listBotStatuses()).length;
    const bad = await h.emu.runCommand('status', { activity: 'watching {member} people' }, { ...admin, subcommand: 'set' });
    expect(bad.ephemeral).toBe(true);
    expect(bad.content).toBe('That did not work: `activity`: uses unknown variable {member} (known: {guilds} {members} {channels} {messages_today} {users_seen} {uptime} {version})');
    expect((await h.bot.db.botStatus.listBotStatuses()).length).toBe(count);

    const tag = unique('servers');
    const seen = presencesFromNow(h.emu);
    const ok = await h.emu.runCommand('status', { activity: `{guilds} ${tag} · v{version}`, type: 'watching' }, { ...admin, subcommand: 'set' });
    expect(ok.content).toMatch(/is now active: Watching \*\*\{guilds\} .* · v\{version\}\*\* · online\. The presence follows in a moment\.$/);
    const guilds = h.bot.client.guilds.cache.size;
    const p = await seen.wait((p) => p.activities[0]?.name === `${guilds} ${tag} · v0.1.0`);
    expect(p.activities[0].type).toBe(3);
    const show = await h.emu.runCommand('status', {}, { ...admin, subcommand: 'show' });
    expect(show.content).toContain(`(shown as **${guilds} ${tag} · v0.1.0**), the active row`);
  });

  it.skipIf(skip)('window shows a row until an instant, clear hands back; instants without an offset or in the past are refused', { timeout: 60_000 }, async () => {
    const admin = newAdmin();
    const base = await setOwn(admin);
    const launch = await h.bot.db.botStatus.createBotStatus({ activity: unique('the launch'), activityType: 'competing' });
    const win = (options: Record<string, string | boolean>) => h.emu.runCommand('status', { id: launch.id, ...options }, { ...admin, subcommand: 'window' });
    expect((await win({ starts: 'next tuesday' })).content).toBe('That did not work: `starts`: must be a date and time with its offset, e.g. 2026-12-24T18:00Z or 2026-12-24 18:00+01:00 (got "next tuesday")');
    expect((await win({ starts: '2026-12-24 18:00' })).content).toMatch(/^That did not work: `starts`: must be a date and time with its offset/);
    expect((await win({ ends: '2020-01-01T00:00Z' })).content).toBe('That did not work: `ends`: must be in the future');
    expect((await win({ starts: '2030-01-02T00:00Z', ends: '2030-01-01T00:00Z' })).content).toBe('That did not work: `ends`: must be after starts');
    expect((await h.bot.db.botStatus.getBotStatus(launch.id))!.endsAt).toBeNull();

    const seen = presencesFromNow(h.emu);
    // Ending on time is proven in test/bot/presence-rotation.test.ts; here the window outlasts the test.
    const ends = new Date(Date.now() + 600_000);
    const r = await win({ ends: ends.toISOString() });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toMatch(
      new RegExp(`^\`${launch.id}\` — Competing in \\*\\*${launch.activity}\\*\\* · online — is in force from <t:\\d+:f> until <t:${Math.floor(ends.getTime() / 1000)}:f>\\. Then it comes before the rotation and the active row\\.$`),
    );
    const opened = await seen.wait((p) => p.activities[0]?.name === launch.activity);
    expect(opened.activities[0].type).toBe(5);
    const show = await h.emu.runCommand('status', {}, { ...admin, subcommand: 'show' });
    expect(show.content).toMatch(
      new RegExp(`^Live now: \`${launch.id}\` — .*, because its window is open \\(since <t:\\d+:f>, until <t:${Math.floor(ends.getTime() / 1000)}:f>\\); windows come before the rotation and the active row\\.\\nNext change: <t:\\d+:R>\\n`),
    );
    expect((await win({ clear: true })).content).toBe(`\`${launch.id}\` has no window now.`);
    await seen.wait((p) => p.activities[0]?.name === base && p.at > opened.at);
    expect((await h.bot.db.botStatus.getBotStatus(launch.id))!.endsAt).toBeNull();
  });

  it.skipIf(skip)('rotation add (a new row or an existing one), list, remove; the rotation outranks the active row', { timeout: 60_000 }, async () => {
    const own = await startHarness(driver, 'status_rotation');
    try {
      const admin = { userId: own.admin, channelId: own.general };
      const rot = (subcommand: string, options: Record<string, string | number> = {}) => own.emu.runCommand('status', options, { ...admin, subcommandGroup: 'rotation', subcommand });
      expect((await rot('list')).content).toBe('The rotation is empty. Add rows with `/status rotation add`.');
      // Refused, nothing written: no row named, a turn shorter than 5 s, options that are for a new row.
      expect((await rot('add')).content).toBe('That did not work: `activity`: is required for a new row (or give the `id` of an existing one)');
      expect((await rot('add', { activity: 'x', seconds: 4 })).content).toBe('That did not work: `seconds`: must be a whole number from 5 to 86400');
      expect((await rot('add', { activity: 'x {nope}' })).content).toMatch(/^That did not work: `activity`: uses unknown variable \{nope\}/);
      expect(await own.bot.db.botStatus.listBotStatuses()).toEqual([]);

      await own.emu.runCommand('status', { activity: 'the archives', type: 'watching' }, { ...admin, subcommand: 'set' });
      const archives = (await own.bot.db.botStatus.getActiveBotStatus())!;
      expect((await rot('add', { id: archives.id, type: 'custom' })).content).toBe('That did not work: `type`: is for a new row; with `id` the existing row is added as it is');
      const seen = presencesFromNow(own.emu);
      const added = await rot('add', { activity: 'reading the minutes', type: 'custom', seconds: 30 });
      expect(added.ephemeral).toBe(true);
      expect(added.content).toMatch(/^`bot-[0-9a-f]{6}` is in the rotation at position 1, 30 s a turn: Custom status \*\*reading the minutes\*\* · online\. The rotation has 1 row\.$/);
      // One row in the rotation: it shows, instead of the active row.
      await seen.wait((p) => p.activities[0]?.state === 'reading the minutes');
      const again = await rot('add', { id: archives.id, seconds: 30 });
      expect(again.content).toBe(`\`${archives.id}\` is in the rotation at position 2, 30 s a turn: Watching **the archives** · online. The rotation has 2 rows.`);
      const minutes = (await own.bot.db.botStatus.listRotation())[0];
      expect((await rot('list')).content).toBe(`The rotation: 2 rows, 60 s a cycle:\n1. \`${minutes.id}\` — Custom status **reading the minutes** · online · 30 s\n2. \`${archives.id}\` — Watching **the archives** · online · 30 s`);
      const set = await own.emu.runCommand('status', { activity: 'chess' }, { ...admin, subcommand: 'set' });
      expect(set.content).toMatch(/is now active: Playing \*\*chess\*\* · online\. The rotation \(2 rows\) shows instead while it has rows: see `\/status show`\.$/);
      const show = await own.emu.runCommand('status', {}, { ...admin, subcommand: 'show' });
      expect(show.content).toMatch(/^Live now: `bot-[0-9a-f]{6}` — .*, turn [12] of 2 in the rotation \(30 s a turn\); no window is open\./);

      expect((await rot('remove', { id: archives.id })).content).toBe(`\`${archives.id}\` is out of the rotation (the row stays in the table). The rotation has 1 row left.`);
      expect((await rot('remove', { id: archives.id })).content).toBe(`\`${archives.id}\` was not in the rotation. The rotation has 1 row left.`);
      const back = presencesFromNow(own.emu);
      expect((await rot('remove', { id: minutes.id })).content).toBe(`\`${minutes.id}\` is out of the rotation (the row stays in the table). The rotation is empty: the active row shows (when no window is open).`);
      await back.wait((p) => p.activities[0]?.name === 'chess');
      expect((await rot('remove', { id: 'bot-nope' })).content).toBe('That did not work: `id`: must name an existing status row; there is no `bot-nope` (see `/status rotation list`)');
      expect(own.emu.violations()).toEqual([]);
    } finally {
      await own.dispose();
    }
  });
});
