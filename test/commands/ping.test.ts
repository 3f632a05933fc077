import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { newChannel, newMember, startHarness, until, type Harness } from '../helpers/harness';

describe.each(DRIVERS)('/ping on $driver', ({ driver, skip }) => {
  let h: Harness;
  beforeAll(async () => {
    if (!skip) h = await startHarness(driver, 'ping');
  });
  afterAll(async () => h?.dispose());

  it.skipIf(skip)('answers with gateway latency and database round-trip, ephemerally, and records the reply in the session of a person who wrote', async () => {
    const ada = newMember(h, 'ada');
    const channel = newChannel(h, 'ping');
    h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'hello' });
    const r = await h.emu.runCommand('ping', {}, { userId: ada, channelId: channel });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toMatch(new RegExp(`^Pong! Gateway: .+ · Database \\(${driver}\\): \\d+\\.\\d ms$`));
    const user = await until(
      () => h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: ada }),
      (u) => !!u,
    );
    // The user row can be seen before the batch's transaction (which also makes the session) commits.
    const [session] = await until(
      () => h.bot.db.sessions.listSessionsForUser(user!.id),
      (s) => s.length === 1,
    );
    const msgs = await until(
      () => h.bot.db.messages.listBySession(session.id),
      (m) => m.length === 2,
    );
    expect(msgs[1]).toMatchObject({ role: 'assistant', content: r.content, channelId: channel, discordMessageId: r.messageId });
    expect(h.emu.violations()).toEqual([]);
  });
});
