import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database';
import { DRIVERS } from '../helpers/databases';
import { externalExec, sqlBool } from '../helpers/external';
import { startHarness, type Harness } from '../helpers/harness';

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

  it.skipIf(skip)('applies the active row at ready', async () => {
    const p = await h.emu.waitForPresence((p) => p.activities[0]?.name === 'the archives');
    expect(p.status).toBe('idle');
    expect(p.activities[0].type).toBe(3);
  });

  it.skipIf(skip)('follows an UPDATE made from a separate connection, and sends nothing when nothing changed', async () => {
    const before = h.emu.presences().length;
    await externalExec(h.scratch, 'UPDATE bot_status SET activity = ?, status = ? WHERE id = ?', ['the new wing', 'dnd', 'bot-1']);
    const p = await h.emu.waitForPresence((p) => p.activities[0]?.name === 'the new wing', 3000);
    expect(p.status).toBe('dnd');
    const after = h.emu.presences().length;
    expect(after).toBe(before + 1);
    // A change that does not alter the presence (and writes to other tables) sends no op 3.
    await externalExec(h.scratch, 'UPDATE bot_status SET activity = ? WHERE id = ?', ['the new wing', 'bot-1']);
    await externalExec(h.scratch, "INSERT INTO logs (id, level, source, message, created_at) VALUES ('00000000-0000-4000-8000-000000000001', 'info', 'test', 'x', '2026-01-01 00:00:00.000')");
    await new Promise((r) => setTimeout(r, 400));
    expect(h.emu.presences().length).toBe(after);
  });

  it.skipIf(skip)('keeps the last good presence when a row cannot be applied, and logs the row id', async () => {
    const count = h.emu.presences().length;
    await externalExec(h.scratch, 'UPDATE bot_status SET activity_type = ? WHERE id = ?', ['dancing', 'bot-1']);
    await new Promise((r) => setTimeout(r, 400));
    expect(h.emu.presences().length).toBe(count);
    const warn = h.logs.find(/bot_status row bot-1 cannot be applied/);
    expect(warn.length).toBeGreaterThan(0);
    expect(String(warn[0].msg)).toMatch(/activity_type "dancing" is not one of/);
    // Too long for Discord, and streaming without a valid URL, are refused too.
    await externalExec(h.scratch, 'UPDATE bot_status SET activity_type = ?, activity = ? WHERE id = ?', ['playing', 'x'.repeat(129), 'bot-1']);
    await externalExec(h.scratch, 'UPDATE bot_status SET activity_type = ?, activity = ?, url = ? WHERE id = ?', ['streaming', 'live', 'ftp://nope', 'bot-1']);
    await new Promise((r) => setTimeout(r, 400));
    expect(h.emu.presences().length).toBe(count);
    // Fixing it applies it; a streaming row carries its URL.
    await externalExec(h.scratch, 'UPDATE bot_status SET url = ? WHERE id = ?', ['https://twitch.tv/chronicle', 'bot-1']);
    const p = await h.emu.waitForPresence((p) => p.activities[0]?.name === 'live', 3000);
    expect(p.activities[0]).toMatchObject({ type: 1, url: 'https://twitch.tv/chronicle' });
  });

  it.skipIf(skip)('no active row means online with no activity; custom status uses state', async () => {
    await externalExec(h.scratch, 'UPDATE bot_status SET is_active = ?', [sqlBool(h.scratch, false)]);
    const p = await h.emu.waitForPresence((p) => p.status === 'online' && p.activities.length === 0, 3000);
    expect(p.activities).toEqual([]);
    await h.bot.db.botStatus.createBotStatus({ id: 'bot-2', activityType: 'custom', activity: 'Reading the minutes', isActive: true });
    const c = await h.emu.waitForPresence((p) => p.activities[0]?.type === 4, 3000);
    expect(c.activities[0].state).toBe('Reading the minutes');
  });

  it.skipIf(skip)('re-applies the presence after a RESUME and after a new session', { timeout: 40_000 }, async () => {
    const resumes = h.emu.resumeCount();
    const identifies = h.emu.identifyCount();
    let t = Date.now();
    h.emu.disconnect({ resumable: true });
    await h.emu.waitForPresence((p) => p.at > t && p.activities[0]?.state === 'Reading the minutes', 10_000);
    expect(h.emu.resumeCount()).toBe(resumes + 1);
    t = Date.now();
    h.emu.disconnect({ resumable: false });
    await h.emu.waitForPresence((p) => p.at > t && p.activities[0]?.state === 'Reading the minutes', 15_000);
    expect(h.emu.identifyCount()).toBe(identifies + 1);
  });

  it.skipIf(skip || driver !== 'postgres')('keeps listening after the LISTEN connection is killed', async () => {
    const pid = await h.bot.feed.listenerPid();
    expect(pid).toBeGreaterThan(0);
    await externalExec(h.scratch, 'SELECT pg_terminate_backend(?)', [pid]);
    await new Promise((r) => setTimeout(r, 1500));
    await externalExec(h.scratch, 'UPDATE bot_status SET activity = ? WHERE id = ?', ['after reconnect', 'bot-2']);
    const p = await h.emu.waitForPresence((p) => p.activities[0]?.state === 'after reconnect', 10_000);
    expect(p.activities[0].type).toBe(4);
  });

  it.skipIf(skip)('made no invalid request to Discord', () => {
    expect(h.emu.violations()).toEqual([]);
  });
});

describe.each(DRIVERS)('presence bursts on $driver', ({ driver, skip }) => {
  it.skipIf(skip)('stay within the gateway budget and end on the latest row, without stale updates sent late', async () => {
    const h = await startHarness(driver, 'burst', { bot: { presenceBudget: { budget: 5, windowMs: 1500 } } });
    try {
      await h.bot.db.botStatus.createBotStatus({ id: 'burst', activityType: 'playing', activity: 'v0', isActive: true });
      await h.emu.waitForPresence((p) => p.activities[0]?.name === 'v0');
      const start = h.emu.presences().length;
      const t = Date.now();
      for (let i = 1; i <= 20; i++) {
        await h.bot.db.botStatus.updateBotActivity({ id: 'burst', activity: `v${i}` });
        await new Promise((r) => setTimeout(r, 10));
      }
      const last = await h.emu.waitForPresence((p) => p.activities[0]?.name === 'v20', 5000);
      const sent = h.emu.presences().slice(start);
      // At most the budget within the first window (one slot went to v0), then the latest row.
      expect(sent.filter((p) => p.at - t < 1400).length).toBeLessThanOrEqual(5);
      expect(sent.length).toBeLessThan(20);
      expect(sent[sent.length - 1]).toBe(last);
      expect(h.logs.find(/sending the latest when Discord allows/).length).toBeGreaterThan(0);
    } finally {
      await h.dispose();
    }
  });
});
