import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { newChannel, newMember, startHarness, until, type Harness } from '../helpers/harness';

const T = '<t:\\d+:R> \\(<t:\\d+:f>\\)';

describe.each(DRIVERS)('/session on $driver', ({ driver, skip }) => {
  let h: Harness;
  const userRow = (id: string) => h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: id });
  const sessionsOf = async (id: string) => h.bot.db.sessions.listSessionsForUser((await userRow(id))!.id);

  beforeAll(async () => {
    if (skip) return;
    // A slow write-behind queue: the commands must flush it to see the latest messages.
    h = await startHarness(driver, 'session', { bot: { queue: { flushMs: 800 } } });
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
  /** This test's own person and channels. */
  const place = () => ({ ada: newMember(h, 'ada'), general: newChannel(h, 'general'), random: newChannel(h, 'random') });

  it.skipIf(skip)('info for someone who never spoke: no user row, a friendly answer', async () => {
    const cy = newMember(h, 'cy');
    const { general } = place();
    expect(await userRow(cy)).toBeNull();
    const r = await h.emu.runCommand('session', {}, { userId: cy, channelId: general, subcommand: 'info' });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toBe('You have no open session in this channel. One starts when you next write here.');
  });

  it.skipIf(skip)('info counts the latest messages (the queue is flushed first) and later its own replies', async () => {
    const { ada, general, random } = place();
    for (const text of ['one', 'two', 'three']) h.emu.sendMessage({ channelId: general, authorId: ada, content: text });
    const r = await h.emu.runCommand('session', {}, { userId: ada, channelId: general, subcommand: 'info' });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toMatch(new RegExp(`^Your session here started ${T}, 3 messages so far: 3 from you, 0 from me\\. Last message <t:\\d+:R>; it closes after 30 minutes without messages\\.$`));
    const again = await h.emu.runCommand('session', {}, { userId: ada, channelId: general, subcommand: 'info' });
    expect(again.content).toContain('4 messages so far: 3 from you, 1 from me');
    // Another channel is another session.
    const elsewhere = await h.emu.runCommand('session', {}, { userId: ada, channelId: random, subcommand: 'info' });
    expect(elsewhere.content).toBe('You have no open session in this channel. One starts when you next write here.');
  });

  it.skipIf(skip)('new ends the open session and starts a fresh one that the recorder then uses', async () => {
    const { ada, general } = place();
    for (const text of ['one', 'two', 'three']) h.emu.sendMessage({ channelId: general, authorId: ada, content: text });
    const info = await h.emu.runCommand('session', {}, { userId: ada, channelId: general, subcommand: 'info' });
    expect(info.content).toContain('3 messages so far: 3 from you, 0 from me');
    const [old] = (await sessionsOf(ada)).filter((s) => s.channelId === general);
    const r = await h.emu.runCommand('session', {}, { userId: ada, channelId: general, subcommand: 'new' });
    expect(r.content).toMatch(new RegExp(`^Ended your session here \\(it started ${T}, 4 messages so far: 3 from you, 1 from me\\) and started a fresh one\\.$`));
    h.emu.sendMessage({ channelId: general, authorId: ada, content: 'fresh start' });
    const here = (await sessionsOf(ada)).filter((s) => s.channelId === general);
    expect(here).toHaveLength(2);
    const ended = here.find((s) => s.id === old.id)!;
    const fresh = here.find((s) => s.id !== old.id)!;
    expect(ended.endedAt).not.toBeNull();
    expect(fresh.endedAt).toBeNull();
    const msgs = await until(
      () => h.bot.db.messages.listBySession(fresh.id),
      (m) => m.length === 2,
      5000,
      'the reply and the next message in the fresh session',
    );
    expect(msgs.map((m) => [m.role, m.content])).toEqual([
      ['assistant', r.content],
      ['user', 'fresh start'],
    ]);
    expect((await h.bot.db.messages.listBySession(old.id)).map((m) => m.role)).toEqual(['user', 'user', 'user', 'assistant']);
  });

  it.skipIf(skip)('new works for someone with no user row yet', async () => {
    const dee = newMember(h, 'dee');
    const { general } = place();
    expect(await userRow(dee)).toBeNull();
    const r = await h.emu.runCommand('session', {}, { userId: dee, channelId: general, subcommand: 'new' });
    expect(r.content).toBe('Started a fresh session here.');
    const [s] = await sessionsOf(dee);
    const msgs = await until(
      () => h.bot.db.messages.listBySession(s.id),
      (m) => m.length > 0,
    );
    expect(msgs.map((m) => m.content)).toEqual([r.content]);
  });

  it.skipIf(skip)('end closes the session with its reply inside it; the next message starts a new one', async () => {
    const { ada, general } = place();
    h.emu.sendMessage({ channelId: general, authorId: ada, content: 'one' });
    const info = await h.emu.runCommand('session', {}, { userId: ada, channelId: general, subcommand: 'info' });
    expect(info.content).toContain('1 message so far: 1 from you, 0 from me');
    const before = (await sessionsOf(ada)).filter((s) => s.channelId === general && !s.endedAt);
    expect(before).toHaveLength(1);
    const r = await h.emu.runCommand('session', {}, { userId: ada, channelId: general, subcommand: 'end' });
    expect(r.content).toMatch(new RegExp(`^Ended your session here \\(it started ${T}, 2 messages so far: 1 from you, 1 from me\\)\\. Your next message starts a new one\\.$`));
    // The reply is sent first and recorded into the session it closes; then the session ends.
    const closed = await until(
      () => h.bot.db.sessions.getSession(before[0].id),
      (s) => !!s?.endedAt,
      5000,
      'the session to end',
    );
    expect((await h.bot.db.messages.listBySession(closed!.id)).at(-1)!.content).toBe(r.content);

    h.emu.sendMessage({ channelId: general, authorId: ada, content: 'hello again' });
    const open = await until(
      async () => (await sessionsOf(ada)).filter((s) => s.channelId === general && !s.endedAt),
      (o) => o.length === 1,
      5000,
      'a new session',
    );
    expect((await h.bot.db.messages.listBySession(open[0].id)).map((m) => m.content)).toEqual(['hello again']);
  });

  it.skipIf(skip)('end with nothing open says so', async () => {
    const bob = newMember(h, 'bob');
    const { random } = place();
    const r = await h.emu.runCommand('session', {}, { userId: bob, channelId: random, subcommand: 'end' });
    expect(r.content).toBe('You have no open session in this channel; nothing to end.');
  });
});
