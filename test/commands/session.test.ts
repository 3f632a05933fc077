import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { startHarness, until, type Harness } from '../helpers/harness';

const T = '<t:\\d+:R> \\(<t:\\d+:f>\\)';

describe.each(DRIVERS)('/session on $driver', ({ driver, skip }) => {
  let h: Harness;
  let cy: string;
  let dee: string;
  const userRow = (id: string) => h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: id });
  const sessionsOf = async (id: string) => h.bot.db.sessions.listSessionsForUser((await userRow(id))!.id);

  beforeAll(async () => {
    if (skip) return;
    // A slow write-behind queue: the commands must flush it to see the latest messages.
    h = await startHarness(driver, 'session', { bot: { queue: { flushMs: 800 } } });
    cy = h.emu.createUser({ username: 'cy' }).id;
    dee = h.emu.createUser({ username: 'dee' }).id;
    h.emu.addMember(h.guildId, cy);
    h.emu.addMember(h.guildId, dee);
  });
  afterAll(async () => h?.dispose());

  it.skipIf(skip)('info for someone who never spoke: no user row, a friendly answer', async () => {
    expect(await userRow(cy)).toBeNull();
    const r = await h.emu.runCommand('session', {}, { userId: cy, channelId: h.general, subcommand: 'info' });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toBe('You have no open session in this channel. One starts when you next write here.');
  });

  it.skipIf(skip)('info counts the latest messages (the queue is flushed first) and later its own replies', async () => {
    for (const text of ['one', 'two', 'three']) h.emu.sendMessage({ channelId: h.general, authorId: h.ada, content: text });
    const r = await h.emu.runCommand('session', {}, { userId: h.ada, channelId: h.general, subcommand: 'info' });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toMatch(new RegExp(`^Your session here started ${T}, 3 messages so far: 3 from you, 0 from me\\. Last message <t:\\d+:R>; it closes after 30 minutes without messages\\.$`));
    const again = await h.emu.runCommand('session', {}, { userId: h.ada, channelId: h.general, subcommand: 'info' });
    expect(again.content).toContain('4 messages so far: 3 from you, 1 from me');
    // Another channel is another session.
    const elsewhere = await h.emu.runCommand('session', {}, { userId: h.ada, channelId: h.random, subcommand: 'info' });
    expect(elsewhere.content).toBe('You have no open session in this channel. One starts when you next write here.');
  });

  it.skipIf(skip)('new ends the open session and starts a fresh one that the recorder then uses', async () => {
    const [old] = (await sessionsOf(h.ada)).filter((s) => s.channelId === h.general);
    const r = await h.emu.runCommand('session', {}, { userId: h.ada, channelId: h.general, subcommand: 'new' });
    expect(r.content).toMatch(new RegExp(`^Ended your session here \\(it started ${T}, 5 messages so far: 3 from you, 2 from me\\) and started a fresh one\\.$`));
    h.emu.sendMessage({ channelId: h.general, authorId: h.ada, content: 'fresh start' });
    const general = (await sessionsOf(h.ada)).filter((s) => s.channelId === h.general);
    expect(general).toHaveLength(2);
    const ended = general.find((s) => s.id === old.id)!;
    const fresh = general.find((s) => s.id !== old.id)!;
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
    expect((await h.bot.db.messages.listBySession(old.id)).map((m) => m.role)).toEqual(['user', 'user', 'user', 'assistant', 'assistant']);
  });

  it.skipIf(skip)('new works for someone with no user row yet', async () => {
    expect(await userRow(dee)).toBeNull();
    const r = await h.emu.runCommand('session', {}, { userId: dee, channelId: h.general, subcommand: 'new' });
    expect(r.content).toBe('Started a fresh session here.');
    const [s] = await sessionsOf(dee);
    const msgs = await until(
      () => h.bot.db.messages.listBySession(s.id),
      (m) => m.length > 0,
    );
    expect(msgs.map((m) => m.content)).toEqual([r.content]);
  });

  it.skipIf(skip)('end closes the session with its reply inside it; the next message starts a new one', async () => {
    const before = (await sessionsOf(h.ada)).filter((s) => s.channelId === h.general && !s.endedAt);
    expect(before).toHaveLength(1);
    const r = await h.emu.runCommand('session', {}, { userId: h.ada, channelId: h.general, subcommand: 'end' });
    expect(r.content).toMatch(new RegExp(`^Ended your session here \\(it started ${T}, 2 messages so far: 1 from you, 1 from me\\)\\. Your next message starts a new one\\.$`));
    // The reply is sent first and recorded into the session it closes; then the session ends.
    const closed = await until(
      () => h.bot.db.sessions.getSession(before[0].id),
      (s) => !!s?.endedAt,
      5000,
      'the session to end',
    );
    expect((await h.bot.db.messages.listBySession(closed!.id)).at(-1)!.content).toBe(r.content);

    h.emu.sendMessage({ channelId: h.general, authorId: h.ada, content: 'hello again' });
    const open = await until(
      async () => (await sessionsOf(h.ada)).filter((s) => s.channelId === h.general && !s.endedAt),
      (o) => o.length === 1,
      5000,
      'a new session',
    );
    expect((await h.bot.db.messages.listBySession(open[0].id)).map((m) => m.content)).toEqual(['hello again']);
  });

  it.skipIf(skip)('end with nothing open says so', async () => {
    const r = await h.emu.runCommand('session', {}, { userId: h.bob, channelId: h.random, subcommand: 'end' });
    expect(r.content).toBe('You have no open session in this channel; nothing to end.');
  });

  it.skipIf(skip)('sent nothing Discord would refuse', async () => {
    await until(
      () => h.bot.queue.depth,
      (d) => d === 0,
    );
    expect(h.emu.violations()).toEqual([]);
  });
});
