import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database';
import { DRIVERS } from '../helpers/databases';
import { externalExec, sqlBool } from '../helpers/external';
import { presencesFromNow, startHarness, unique, type Harness } from '../helpers/harness';

describe.each(DRIVERS)('presence from bot_status on $driver', ({ driver, skip }) => {
  let h: Harness;

  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'presence', {
      // An active row exists before the bot starts.
      before: async (scratch) => {
        const db = await Database.open(scratch.config);
        await db.migrate();
        await db.botStatus.createBotStatus({ id: 'bot-1', status: 'idle', activityType: 'watching', activity: 'the archives', isActive: true });
        await db.close();
      },
    });
  });
  afterAll(async () => h?.dispose());
  // Every test: no invalid request to Discord.
  afterEach(() => {
    if (!skip) expect(h.emu.violations()).toEqual([]);
  });

  let rows = 0;
  /** An active row of this test's own (a unique id and activity); waits until the gateway got it. */
  async function ownRow(o: { activityType?: 'playing' | 'custom'; status?: 'online' | 'dnd' } = {}): Promise<{ id: string; activity: string }> {
    const id = `own-${++rows}`;
    const activity = unique('own row');
    const seen = presencesFromNow(h.emu);
    await h.bot.db.botStatus.createBotStatus({ id, activityType: o.activityType ?? 'playing', activity, status: o.status, isActive: true });
    await seen.wait((p) => (p.activities[0]?.name === activity || p.activities[0]?.state === activity) && p.status === (o.status ?? 'online'));
    return { id, activity };
  }

  it.skipIf(skip)('applies the active row at ready', { timeout: 60_000 }, async () => {
    // From the history on purpose: the update at ready, whatever tests ran since. 'the archives'
    // is only the row present at start (the other tests' rows have activities of their own).
    const p = await h.emu.waitForPresence((p) => p.activities[0]?.name === 'the archives');
    expect(p.status).toBe('idle');
    expect(p.activities[0].type).toBe(3);
  });

  it.skipIf(skip)('follows an UPDATE made from a separate connection, and sends nothing when nothing changed', { timeout: 60_000 }, async () => {
    const row = await ownRow();
    const wing = unique('the new wing');
    const seen = presencesFromNow(h.emu);
    await externalExec(h.scratch, 'UPDATE bot_status SET activity = ?, status = ? WHERE id = ?', [wing, 'dnd', row.id]);
    const p = await seen.wait((p) => p.activities[0]?.name === wing);
    expect(p.status).toBe('dnd');
    expect(seen.since()).toEqual([p]);
    // A change that does not alter the presence (and writes to other tables) sends no op 3.
    await externalExec(h.scratch, 'UPDATE bot_status SET activity = ? WHERE id = ?', [wing, row.id]);
    await externalExec(h.scratch, "INSERT INTO logs (id, level, source, message, created_at) VALUES ('00000000-0000-4000-8000-000000000001', 'info', 'test', 'x', '2026-01-01 00:00:00.000')");
    await new Promise((r) => setTimeout(r, 400));
    expect(seen.since()).toEqual([p]);
  });

  it.skipIf(skip)('keeps the last good presence when a row cannot be applied, and logs the row id', { timeout: 60_000 }, async () => {
    const row = await ownRow();
    const seen = presencesFromNow(h.emu);
    await externalExec(h.scratch, 'UPDATE bot_status SET activity_type = ? WHERE id = ?', ['dancing', row.id]);
    await new Promise((r) => setTimeout(r, 400));
    expect(seen.since()).toEqual([]);
    const warn = h.logs.find(new RegExp(`bot_status row ${row.id} cannot be applied`));
    expect(warn.length).toBeGreaterThan(0);
    expect(String(warn[0].msg)).toMatch(/activity_type "dancing" is not one of/);
    // Too long for Discord, and streaming without a valid URL, are refused too.
    const live = unique('live');
    await externalExec(h.scratch, 'UPDATE bot_status SET activity_type = ?, activity = ? WHERE id = ?', ['playing', 'x'.repeat(129), row.id]);
    await externalExec(h.scratch, 'UPDATE bot_status SET activity_type = ?, activity = ?, url = ? WHERE id = ?', ['streaming', live, 'ftp://nope', row.id]);
    await new Promise((r) => setTimeout(r, 400));
    expect(seen.since()).toEqual([]);
    // Fixing it applies it; a streaming row carries its URL.
    await externalExec(h.scratch, 'UPDATE bot_status SET url = ? WHERE id = ?', ['https://twitch.tv/chronicle', row.id]);
    const p = await seen.wait((p) => p.activities[0]?.name === live);
    expect(p.activities[0]).toMatchObject({ type: 1, url: 'https://twitch.tv/chronicle' });
  });

  it.skipIf(skip)('no active row means online with no activity; custom status uses state', { timeout: 60_000 }, async () => {
    await ownRow({ status: 'dnd' });
    const none = presencesFromNow(h.emu);
    await externalExec(h.scratch, 'UPDATE bot_status SET is_active = ?', [sqlBool(h.scratch, false)]);
    const p = await none.wait((p) => p.status === 'online' && p.activities.length === 0);
    expect(p.activities).toEqual([]);
    const minutes = unique('Reading the minutes');
    const custom = presencesFromNow(h.emu);
    await h.bot.db.botStatus.createBotStatus({ id: `custom-${++rows}`, activityType: 'custom', activity: minutes, isActive: true });
    const c = await custom.wait((p) => p.activities[0]?.type === 4);
    expect(c.activities[0].state).toBe(minutes);
  });

  it.skipIf(skip)('re-applies the presence after a RESUME and after a new session', { timeout: 60_000 }, async () => {
    const { activity } = await ownRow({ activityType: 'custom' });
    const resumes = h.emu.resumeCount();
    const identifies = h.emu.identifyCount();
    let seen = presencesFromNow(h.emu);
    h.emu.disconnect({ resumable: true });
    await seen.wait((p) => p.activities[0]?.state === activity);
    expect(h.emu.resumeCount()).toBe(resumes + 1);
    seen = presencesFromNow(h.emu);
    h.emu.disconnect({ resumable: false });
    await seen.wait((p) => p.activities[0]?.state === activity);
    expect(h.emu.identifyCount()).toBe(identifies + 1);
  });

  it.skipIf(skip || driver !== 'postgres')('keeps listening after the LISTEN connection is killed', { timeout: 60_000 }, async () => {
    const row = await ownRow({ activityType: 'custom' });
    const pid = await h.bot.feed.listenerPid();
    expect(pid).toBeGreaterThan(0);
    await externalExec(h.scratch, 'SELECT pg_terminate_backend(?)', [pid]);
    await new Promise((r) => setTimeout(r, 1500));
    const after = unique('after reconnect');
    const seen = presencesFromNow(h.emu);
    await externalExec(h.scratch, 'UPDATE bot_status SET activity = ? WHERE id = ?', [after, row.id]);
    const p = await seen.wait((p) => p.activities[0]?.state === after);
    expect(p.activities[0].type).toBe(4);
  });
});
