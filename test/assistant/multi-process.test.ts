import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot, type Bot } from '../../src/bot/bot';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { DRIVERS } from '../helpers/databases';
import { LogCapture, startHarness, until, type Harness } from '../helpers/harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Two bot processes (two startBot instances: separate database pools, change feeds, schedulers
 * and gateway sessions) on one PostgreSQL database: each scheduled run is claimed in the database,
 * so it happens once, not once per process. (PostgreSQL only: several bots on one SQLite file hit
 * SQLITE_BUSY on the project's deferred write transactions, and two connections busy-waiting in
 * one test process can starve libuv's thread pool — see the README.)
 */
describe.each(DRIVERS.filter((d) => d.driver === 'postgres'))('two bot processes on one $driver database', ({ driver, skip }) => {
  let h: Harness;
  let second: Bot;
  let channel: string;
  const attempts: { bot: 1 | 2; claimed: boolean }[] = [];
  const logs2 = new LogCapture();

  const spy = (bot: Bot, n: 1 | 2) => {
    const startRun = bot.db.schedules.startRun.bind(bot.db.schedules);
    bot.db.schedules.startRun = async (...args: Parameters<typeof startRun>) => {
      const r = await startRun(...args);
      if (args[2]) attempts.push({ bot: n, claimed: r.claimed });
      return r;
    };
  };

  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'multi', { bot: { taskRunner: { pollMs: 100 } } });
    channel = h.emu.createChannel({ guildId: h.guildId, name: 'once' }).id;
    // The second process does not record this channel (both would record the same posts; the
    // recorder's idempotence is tested elsewhere) — what is tested here is the claim.
    // A process of its own: its own data directory (spill file and its lock).
    const config = loadConfig({ ...h.env, IGNORE_CHANNELS: channel, DATA_DIR: `${h.env.DATA_DIR}-second` });
    second = await startBot({ config, log: createLogger({ level: 'info', dbLevel: config.logDbLevel, destination: logs2, secrets: [config.discord.token] }), presenceRefreshMs: 600_000, taskRunner: { pollMs: 100 } });
    spy(h.bot, 1);
    spy(second, 2);
  });
  afterAll(async () => {
    await second?.stop().catch(() => undefined);
    await h?.dispose();
  });

  it.skipIf(skip)('runs an every-second schedule once per tick, not once per process', { timeout: 30_000 }, async () => {
    const s = await h.bot.db.schedules.createSchedule({ skill: 'echo', cronExpression: '* * * * * *', input: 'once', channelId: channel, guildId: h.guildId });
    await until(
      () => h.bot.db.tasks.listTasksForSchedule(s.id, 100),
      (t) => t.length >= 5,
      10_000,
      'five runs',
    );
    await h.bot.db.schedules.updateSchedule(s.id, { enabled: false, nextRunAt: null });
    await sleep(200);
    await Promise.all([h.bot.scheduler.idle(), second.scheduler.idle()]);

    const tasks = await h.bot.db.tasks.listTasksForSchedule(s.id, 100);
    expect(tasks.filter((t) => t.status !== 'completed')).toEqual([]);
    // One task per scheduled second.
    const perSecond = new Map<number, number>();
    for (const t of tasks) {
      const sec = Math.floor(t.createdAt.getTime() / 1000);
      perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
    }
    expect([...perSecond.values()].every((n) => n === 1)).toBe(true);
    expect(perSecond.size).toBe(tasks.length);
    // Posted once each.
    await until(
      () => h.emu.channelMessages(channel).filter((m) => m.content === 'once'),
      (m) => m.length === tasks.length,
      3000,
      'posts',
    );
    // Both processes tried to claim the runs; each run was won exactly once.
    expect(attempts.filter((a) => a.claimed).length).toBe(tasks.length);
    expect(new Set(attempts.map((a) => a.bot))).toEqual(new Set([1, 2]));
    expect(attempts.some((a) => !a.claimed)).toBe(true);
    const s2 = await second.db.schedules.getSchedule(s.id);
    expect(s2).toMatchObject({ enabled: false, nextRunAt: null });
    expect(h.emu.violations()).toEqual([]);
  });
});
