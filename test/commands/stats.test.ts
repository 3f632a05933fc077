import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { statsWindow } from '../../src/commands/stats';
import { DRIVERS } from '../helpers/databases';
import { newChannel, newGuild, startHarness, until, type Harness, type World } from '../helpers/harness';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** The PNG's width and height, after checking the signature and that IHDR comes first. */
function pngSize(data: Buffer): { width: number; height: number } {
  expect([...data.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(data.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

describe.each(DRIVERS)('/stats on $driver', ({ driver, skip }) => {
  let h: Harness;
  const week = statsWindow(7, new Date());
  const at = (day: number, hour: number, minute = 0) => new Date(week.since.getTime() + day * DAY + hour * HOUR + minute * 60_000);
  const dayKey = (day: number) => new Date(week.since.getTime() + day * DAY).toISOString().slice(0, 10);

  beforeAll(async () => {
    if (!skip) h = await startHarness(driver, 'stats');
  });
  afterAll(async () => h?.dispose());
  // Every test: nothing Discord would refuse was sent.
  afterEach(async () => {
    if (skip) return;
    await until(
      () => h.bot.queue.depth,
      (d) => d === 0,
    );
    expect(h.emu.violations()).toEqual([]);
  });

  /** A guild of this test's own, with messages on days 0, 2 and 4 of the 7-day window. */
  async function seeded(): Promise<World> {
    const w = await newGuild(h);
    // Days 0, 2 and 4 of the 7-day window: at least two days ago, so outside the 24-hour window.
    const send = (channelId: string, authorId: string, content: string, timestamp: Date) => h.emu.sendMessage({ channelId, authorId, content, timestamp });
    for (let k = 0; k < 3; k++) send(w.general, w.ada, `ada ${k}`, at(4, 14, k));
    send(w.general, w.ada, 'ada morning', at(2, 10));
    send(w.general, w.bob, 'bob 1', at(0, 14, 1));
    send(w.general, w.bob, 'bob 2', at(0, 14, 2));
    const gone = send(w.general, w.bob, 'deleted later', at(4, 14, 30));
    h.emu.deleteMessage(w.general, gone.id);
    send(w.general, w.ada, 'too old', new Date(week.since.getTime() - 3 * DAY));
    for (let k = 0; k < 4; k++) send(w.random, w.bob, `random ${k}`, at(2, 9, k));
    await until(
      async () => (await h.bot.db.messages.countMessages({ channelId: w.general })) + (await h.bot.db.messages.countMessages({ channelId: w.random })),
      (n) => n === 12,
      5000,
      '12 recorded messages',
    );
    await until(
      async () => (await h.bot.db.messages.getByDiscordId(gone.id))?.deletedAt,
      (d) => !!d,
      5000,
      'the delete',
    );
    return w;
  }

  it.skipIf(skip)('the store aggregates in SQL: counts, people, top posters, hours, dense daily series', async () => {
    const w = await seeded();
    const s = await h.bot.db.stats.messageStats({ scope: { channelId: w.general }, ...week });
    expect(s.messages).toBe(6);
    expect(s.activeUsers).toBe(2);
    expect(s.topPosters.map((p) => [p.discordUserId, p.name, p.messages])).toEqual([
      [w.ada, 'Ada Lovelace', 4],
      [w.bob, 'Bobby', 2],
    ]);
    expect(s.byHourOfDay[14]).toBe(5);
    expect(s.byHourOfDay[10]).toBe(1);
    expect(s.byHourOfDay.reduce((a, b) => a + b, 0)).toBe(6);
    expect(s.series).toEqual([0, 1, 2, 3, 4, 5, 6].map((d) => ({ bucket: dayKey(d), messages: d === 0 ? 2 : d === 2 ? 1 : d === 4 ? 3 : 0 })));
    const server = await h.bot.db.stats.messageStats({ scope: { guildId: w.guildId }, ...week });
    expect(server.messages).toBe(10);
    expect(server.topPosters.map((p) => [p.name, p.messages])).toEqual([
      ['Bobby', 6],
      ['Ada Lovelace', 4],
    ]);
  });

  it.skipIf(skip)('/stats channel: a deferred reply with the numbers and a PNG chart', async () => {
    const w = await seeded();
    const r = await h.emu.runCommand('stats', { scope: 'channel', days: 7 }, { userId: w.ada, channelId: w.general });
    expect(r.deferred).toBe(true);
    expect(r.ephemeral).toBe(false);
    expect(r.content).toBe([`**<#${w.general}>, the last 7 days**`, 'Messages: 6 · Active people: 2', 'Top posters: Ada Lovelace (4), Bobby (2)', 'Busiest hours (UTC): 14:00 (5), 10:00 (1)'].join('\n'));
    expect(r.attachments).toHaveLength(1);
    const png = r.attachments[0];
    expect(png.filename).toBe('stats.png');
    expect(png.contentType).toBe('image/png');
    expect(png.data.length).toBeGreaterThan(1024);
    expect(pngSize(png.data)).toEqual({ width: 900, height: 420 });
  });

  it.skipIf(skip)('/stats server counts every channel of the guild', async () => {
    const w = await seeded();
    const r = await h.emu.runCommand('stats', { scope: 'server', days: 7 }, { userId: w.bob, channelId: w.random });
    expect(r.content).toContain('Messages: 10 · Active people: 2');
    expect(r.content).toContain('Top posters: Bobby (6), Ada Lovelace (4)');
    expect(r.content).toContain('Busiest hours (UTC): 14:00 (5), 09:00 (4), 10:00 (1)');
    expect(pngSize(r.attachments[0].data).width).toBe(900);
  });

  it.skipIf(skip)('days=1 charts the last 24 hours per hour', async () => {
    const w = await newGuild(h);
    const now = Date.now();
    h.emu.sendMessage({ channelId: w.general, authorId: w.ada, content: 'recent 1', timestamp: new Date(now - 3 * HOUR) });
    h.emu.sendMessage({ channelId: w.general, authorId: w.ada, content: 'recent 2', timestamp: new Date(now - 3 * HOUR + 1000) });
    h.emu.sendMessage({ channelId: w.general, authorId: w.bob, content: 'recent 3', timestamp: new Date(now - 10 * 60_000) });
    const r = await h.emu.runCommand('stats', { days: 1 }, { userId: w.ada, channelId: w.general });
    expect(r.content).toContain('the last 24 hours');
    expect(r.content).toContain('Messages: 3 · Active people: 2');
    const day = statsWindow(1, new Date(now));
    const s = await h.bot.db.stats.messageStats({ scope: { channelId: w.general }, ...day });
    expect(s.series).toHaveLength(24);
    const hourKey = (t: number) => `${new Date(t).toISOString().slice(0, 10)} ${new Date(t).toISOString().slice(11, 13)}:00`;
    expect(s.series.filter((p) => p.messages)).toEqual(
      hourKey(now - 3 * HOUR) === hourKey(now - 3 * HOUR + 1000)
        ? [
            { bucket: hourKey(now - 3 * HOUR), messages: 2 },
            { bucket: hourKey(now - 10 * 60_000), messages: 1 },
          ]
        : expect.any(Array),
    );
    expect(pngSize(r.attachments[0].data)).toEqual({ width: 900, height: 420 });
  });

  it.skipIf(skip)('a quiet channel still gets an answer and a chart', async () => {
    const w = await newGuild(h);
    const quiet = newChannel(w, 'quiet');
    const r = await h.emu.runCommand('stats', {}, { userId: w.ada, channelId: quiet });
    expect(r.content).toBe(`No messages in <#${quiet}> in the last 7 days.`);
    expect(r.attachments[0].data.length).toBeGreaterThan(1024);
  });

  it.skipIf(skip)('bad options are named, privately, before anything is deferred', async () => {
    for (const days of [0, 91]) {
      const r = await h.emu.runCommand('stats', { days }, { userId: h.ada, channelId: h.general });
      expect(r).toMatchObject({ ephemeral: true, deferred: false, content: 'That did not work: `days`: must be a whole number from 1 to 90' });
    }
    const scope = await h.emu.runCommand('stats', { scope: 'galaxy' }, { userId: h.ada, channelId: h.general });
    expect(scope.content).toBe('That did not work: `scope`: must be one of channel, server');
  });
});
