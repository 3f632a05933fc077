import { afterAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { startHarness, until, type Harness } from '../helpers/harness';

describe.each(DRIVERS)('backfill at start on $driver', ({ driver, skip }) => {
  let h: Harness;
  afterAll(async () => h?.dispose());

  it.skipIf(skip)('records what was said while the bot was away, before live messages, without renaming anyone', async () => {
    h = await startHarness(driver, 'backfill', { env: { BACKFILL_MAX_MESSAGES: '3' } });
    const first = h.emu.sendMessage({ channelId: h.general, authorId: h.bob, content: 'before the downtime' });
    await until(
      () => h.bot.db.messages.getByDiscordId(first.id),
      (m) => !!m,
    );
    expect(await h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: h.bob })).toMatchObject({ displayName: 'Bobby' });
    await h.bot.stop();

    // While the bot is down: four messages in #general, one in #random (never recorded before).
    const away = [1, 2, 3, 4].map((i) => h.emu.sendMessage({ channelId: h.general, authorId: i % 2 ? h.bob : h.ada, content: `while away ${i}` }));
    const elsewhere = h.emu.sendMessage({ channelId: h.random, authorId: h.ada, content: 'in a channel never recorded' });

    await h.restart();
    const live = h.emu.sendMessage({ channelId: h.general, authorId: h.ada, content: 'live again' });
    await until(
      () => h.bot.db.messages.getByDiscordId(live.id),
      (m) => !!m,
      5000,
      'live message',
    );
    await h.bot.queue.flush();
    // The cap: the three oldest of the gap; the fourth is not fetched.
    for (const m of away.slice(0, 3)) expect(await h.bot.db.messages.getByDiscordId(m.id), m.content).toMatchObject({ content: m.content, role: 'user', guildId: h.guildId });
    expect(await h.bot.db.messages.getByDiscordId(away[3].id)).toBeNull();
    // The gap the limit left is said, per channel: from which id, how many.
    expect(h.logs.find(/^backfill: #general: BACKFILL_MAX_MESSAGES/)).toEqual([expect.objectContaining({ level: 40, channelId: h.general, afterId: away[2].id, atLeast: 1 })]);
    expect(h.logs.find(/^backfill: #general/)[0].msg).toBe(`backfill: #general: BACKFILL_MAX_MESSAGES (3) reached; 1 message(s) after ${away[2].id} were not fetched (raise BACKFILL_MAX_MESSAGES to keep them)`);
    expect(await h.bot.db.messages.getByDiscordId(elsewhere.id)).toBeNull();
    // History copies carry no nickname: bob keeps his.
    expect(await h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: h.bob })).toMatchObject({ displayName: 'Bobby' });
    // Bob's messages, before and during the downtime, are one session in time order.
    const bob = await h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: h.bob });
    const [s] = await h.bot.db.sessions.listSessionsForUser(bob!.id);
    expect((await h.bot.db.messages.listBySession(s.id)).map((m) => m.content)).toEqual(['before the downtime', 'while away 1', 'while away 3']);
    expect(h.emu.violations()).toEqual([]);
  });
});
