import type { PresenceRecord } from '@chronicle/discord-emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database';
import { DRIVERS } from '../helpers/databases';
import { externalExec, sqlBool, sqlDate } from '../helpers/external';
import { newChannel, newMember, presencesFromNow, startHarness, unique, until, type Harness } from '../helpers/harness';

/** The text a presence shows: a custom status's state, else the activity's name. */
const textOf = (p: PresenceRecord) => p.activities[0]?.state ?? p.activities[0]?.name ?? null;

/**
 * The most op 3 updates any 20 s window holds (100 ms allowed for the trip from bot to emulator).
 * The emulator also records the presence each IDENTIFY carries (discord.js's initial one: online,
 * no activity); that is not an update and is left out (every row in these tests has an activity).
 */
function mostIn20s(all: PresenceRecord[]): number {
  const ps = all.filter((p) => p.activities.length > 0);
  let most = 0;
  for (let i = 0; i < ps.length; i++) most = Math.max(most, ps.filter((q) => q.at >= ps[i].at && q.at - ps[i].at < 19_900).length);
  return most;
}

describe.each(DRIVERS)('presence rotation on $driver', ({ driver, skip }) => {
  let h: Harness;
  const label = unique('turn');
  const rows = [
    { id: 'rot-a', activityType: 'playing' as const, activity: `${label} A` },
    { id: 'rot-b', activityType: 'custom' as const, activity: `${label} B` },
    { id: 'rot-c', activityType: 'streaming' as const, activity: `${label} C`, url: 'https://twitch.tv/chronicle' },
  ];
  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'rotation', {
      // The rotation and an active row (which the rotation outranks) exist before the bot starts.
      before: async (scratch) => {
        const db = await Database.open(scratch.config);
        await db.migrate();
        await db.botStatus.createBotStatus({ id: 'plain', activity: 'never shown', isActive: true });
        for (const [i, r] of rows.entries()) await db.botStatus.createBotStatus({ ...r, rotationPosition: i + 1, rotationSeconds: 5 });
        await db.close();
      },
    });
  });
  afterAll(async () => h?.dispose());
  afterEach(() => {
    if (!skip) expect(h.emu.violations()).toEqual([]);
  });

  it.skipIf(skip)('cycles through custom, streaming and playing rows in turn order, on epoch-aligned 5 s turns, within Discord’s limit', { timeout: 70_000 }, async () => {
    const turns = () => h.emu.presences().filter((p) => textOf(p)?.startsWith(label));
    // The turn live at ready, then two whole cycles.
    const seen = await until(turns, (t) => t.length >= 7, 60_000, 'two rotation cycles');
    const order = seen.map((p) => rows.findIndex((r) => textOf(p) === r.activity));
    for (let i = 1; i < order.length; i++) expect(order[i]).toBe((order[i - 1] + 1) % 3);
    for (const [i, p] of seen.entries()) {
      const r = rows[order[i]];
      if (r.activityType === 'custom') expect(p.activities[0]).toMatchObject({ type: 4, state: r.activity });
      else if (r.activityType === 'streaming') expect(p.activities[0]).toMatchObject({ type: 1, name: r.activity, url: r.url });
      else expect(p.activities[0]).toMatchObject({ type: 0, name: r.activity });
      if (i === 0) continue;
      // A turn starts at a multiple of 5 s from the epoch (15 s a cycle): every process and every
      // connection shows the same row at the same time. Never early; late only by the trip.
      const intoTurn = (p.at % 15_000) - order[i] * 5_000;
      expect(intoTurn).toBeGreaterThanOrEqual(0);
      expect(intoTurn).toBeLessThan(3_000);
      if (i > 1) expect(p.at - seen[i - 1].at).toBeGreaterThan(4_000);
    }
    expect(h.emu.presences().some((p) => textOf(p) === 'never shown')).toBe(false);
    expect(mostIn20s(h.emu.presences())).toBeLessThanOrEqual(5);
  });

  it.skipIf(skip)('/status show and /status rotation show name the live turn', async () => {
    const admin = { userId: h.admin, channelId: newChannel(h, 'status') };
    const show = await h.emu.runCommand('status', {}, { ...admin, subcommand: 'show' });
    expect(show.ephemeral).toBe(true);
    expect(show.content).toMatch(/^Live now: `rot-[abc]` — .*, turn [123] of 3 in the rotation \(5 s a turn\); no window is open\.\nNext change: <t:\d+:R>\nDiscord shows: /);
    expect(show.content).toMatch(/\nPresence updates sent since start: \d+/);
    const rot = await h.emu.runCommand('status', {}, { ...admin, subcommandGroup: 'rotation', subcommand: 'show' });
    expect(rot.content).toMatch(/^Live: turn [123] of 3, `rot-[abc]` — .*\nNext: `rot-[abc]` <t:\d+:R>$/);
    const list = await h.emu.runCommand('status', {}, { ...admin, subcommandGroup: 'rotation', subcommand: 'list' });
    expect(list.content).toBe(
      `The rotation: 3 rows, 15 s a cycle:\n1. \`rot-a\` — Playing **${rows[0].activity}** · online · 5 s\n2. \`rot-b\` — Custom status **${rows[1].activity}** · online · 5 s\n3. \`rot-c\` — Streaming **${rows[2].activity}** (<https://twitch.tv/chronicle>) · online · 5 s`,
    );
  });
});

describe.each(DRIVERS)('presence bursts on $driver', ({ driver, skip }) => {
  it.skipIf(skip)('50 direct edits never exceed 5 updates per 20 s, and the presence ends on the latest', { timeout: 60_000 }, async () => {
    const h = await startHarness(driver, 'burst', {
      before: async (scratch) => {
        const db = await Database.open(scratch.config);
        await db.migrate();
        await db.botStatus.createBotStatus({ id: 'burst', activity: 'v0', isActive: true });
        await db.close();
      },
    });
    try {
      await h.emu.waitForPresence((p) => textOf(p) === 'v0');
      // Each edit from a connection of its own, a little more than SQLITE_POLL_MS (50 ms) apart, so
      // that the bot sees every one of them on either driver.
      for (let i = 1; i <= 50; i++) {
        await externalExec(h.scratch, 'UPDATE bot_status SET activity = ? WHERE id = ?', [`v${i}`, 'burst']);
        await new Promise((r) => setTimeout(r, 60));
      }
      const last = await h.emu.waitForPresence((p) => textOf(p) === 'v50', 30_000);
      await new Promise((r) => setTimeout(r, 500));
      const all = h.emu.presences().filter((p) => p.activities.length > 0);
      expect(mostIn20s(all)).toBeLessThanOrEqual(5);
      expect(all.length).toBeLessThan(12);
      expect(all[all.length - 1]).toBe(last);
      expect(h.logs.find(/already \(Discord's limit\); sending the latest when it allows/).length).toBeGreaterThan(0);
      expect(h.emu.violations()).toEqual([]);
    } finally {
      await h.dispose();
    }
  });
});

describe.each(DRIVERS)('presence windows on $driver', ({ driver, skip }) => {
  it.skipIf(skip)('a window written straight to the table takes over when it opens, ends on time, and survives a restart', { timeout: 60_000 }, async () => {
    const base = unique('base');
    const h = await startHarness(driver, 'window', {
      before: async (scratch) => {
        const db = await Database.open(scratch.config);
        await db.migrate();
        await db.botStatus.createBotStatus({ id: 'base', activityType: 'watching', activity: base, isActive: true });
        await db.close();
      },
    });
    try {
      await h.emu.waitForPresence((p) => textOf(p) === base);
      const maint = unique('maintenance');
      const start = new Date(Date.now() + 4_000);
      const end = new Date(start.getTime() + 4_000);
      const seen = presencesFromNow(h.emu);
      await externalExec(h.scratch, 'INSERT INTO bot_status (id, status, activity_type, activity, is_active, rotation_seconds, timezone, starts_at, ends_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        'maint',
        'dnd',
        'custom',
        maint,
        sqlBool(h.scratch, false),
        60,
        'UTC',
        sqlDate(h.scratch, start),
        sqlDate(h.scratch, end),
        sqlDate(h.scratch, new Date()),
        sqlDate(h.scratch, new Date()),
      ]);
      const opened = await seen.wait((p) => textOf(p) === maint, 15_000);
      expect(opened).toMatchObject({ status: 'dnd', activities: [{ type: 4, state: maint }] });
      expect(opened.at).toBeGreaterThanOrEqual(start.getTime());
      expect(opened.at - start.getTime()).toBeLessThan(2_000);
      // Nothing in between: the row written before its window opened changed nothing until then.
      expect(seen.since()[0]).toBe(opened);
      const closed = await seen.wait((p) => textOf(p) === base && p.at > opened.at, 15_000);
      expect(closed.at).toBeGreaterThanOrEqual(end.getTime());
      expect(closed.at - end.getTime()).toBeLessThan(2_000);

      // An open window is state in the table: a new process shows it at ready.
      const later = unique('the event');
      await externalExec(h.scratch, 'UPDATE bot_status SET activity = ?, starts_at = ?, ends_at = ? WHERE id = ?', [later, sqlDate(h.scratch, new Date(Date.now() - 1_000)), sqlDate(h.scratch, new Date(Date.now() + 60_000)), 'maint']);
      await seen.wait((p) => textOf(p) === later);
      const afterRestart = presencesFromNow(h.emu);
      await h.restart();
      const first = await afterRestart.wait((p) => p.activities.length > 0);
      expect(textOf(first)).toBe(later);
      expect(h.emu.violations()).toEqual([]);
    } finally {
      await h.dispose();
    }
  });
});

describe.each(DRIVERS)('presence variables on $driver', ({ driver, skip }) => {
  let h: Harness;
  beforeAll(async () => {
    if (skip) return;
    // The members intent keeps member counts current; variables are looked at every second here.
    h = await startHarness(driver, 'variables', { env: { MEMBERS_INTENT: 'true' }, bot: { presenceVariablesMs: 1_000 } });
  });
  afterAll(async () => h?.dispose());
  afterEach(() => {
    if (!skip) expect(h.emu.violations()).toEqual([]);
  });

  it.skipIf(skip)('{members} follows a member who joins', { timeout: 60_000 }, async () => {
    const tag = unique('in');
    const seen = presencesFromNow(h.emu);
    await h.bot.db.botStatus.createBotStatus({ id: 'members', activityType: 'watching', activity: `{members} members ${tag} {guilds} servers`, isActive: true });
    const first = await seen.wait((p) => !!textOf(p)?.includes(tag));
    const m = /^([\d,]+) members .* (\d+) servers$/.exec(textOf(first)!);
    expect(m).not.toBeNull();
    const members = Number(m![1].replace(/,/g, ''));
    expect(members).toBe(h.bot.client.guilds.cache.reduce((n, g) => n + g.memberCount, 0));
    expect(Number(m![2])).toBe(h.bot.client.guilds.cache.size);
    const joined = presencesFromNow(h.emu);
    newMember(h, 'joiner');
    const next = await joined.wait((p) => textOf(p) === `${(members + 1).toLocaleString('en-US')} members ${tag} ${m![2]} servers`);
    expect(next.activities[0].type).toBe(3);
  });

  it.skipIf(skip)('{messages_today} and {users_seen} come from the database', async () => {
    const [today, seen] = [await h.bot.db.presenceValues.messagesToday(), await h.bot.db.presenceValues.usersSeen()];
    const ada = newMember(h, 'ada');
    h.emu.sendMessage({ channelId: h.general, authorId: ada, content: 'hello' });
    await until(
      async () => [await h.bot.db.presenceValues.messagesToday(), await h.bot.db.presenceValues.usersSeen()],
      (v) => v[0] === today + 1 && v[1] === seen + 1,
    );
  });

  it.skipIf(skip)('an unknown variable written straight to the table is logged with the row id and the last good presence stays', { timeout: 60_000 }, async () => {
    const good = unique('good');
    const seen = presencesFromNow(h.emu);
    await h.bot.db.botStatus.createBotStatus({ id: 'vars', activity: good, isActive: true });
    await seen.wait((p) => textOf(p) === good);
    const after = presencesFromNow(h.emu);
    await externalExec(h.scratch, 'UPDATE bot_status SET activity = ? WHERE id = ?', ['{nope} and {members}', 'vars']);
    const warn = await until(
      () => h.logs.find(/bot_status row vars cannot be applied/),
      (w) => w.length > 0,
    );
    expect(String(warn[0].msg)).toContain('activity uses unknown variable {nope} (known: {guilds} {members} {channels} {messages_today} {users_seen} {uptime} {version})');
    expect(warn[0].botStatusId).toBe('vars');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(after.since()).toEqual([]);
    // Logged once, not at every look at the variables.
    expect(h.logs.find(/bot_status row vars cannot be applied/)).toHaveLength(1);
  });
});
