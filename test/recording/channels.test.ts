import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ForumChannel } from 'discord.js';
import { DRIVERS } from '../helpers/databases';
import { newMember, startHarness, startWorld, until, type Harness } from '../helpers/harness';

/**
 * Channels and threads through the local Discord and the real discord.js client: the `channels`
 * rows kept from GUILD_CREATE / CHANNEL_* / THREAD_*, threads and forum posts recorded under their
 * own id with their parent, IGNORE_CHANNELS applying to a channel's threads, backfill of an
 * active thread.
 */
describe.each(DRIVERS)('channels and threads on $driver', ({ driver, skip }) => {
  let h: Harness;
  let ignored: string;
  let forum: string;
  let early: string;

  beforeAll(async () => {
    if (skip) return;
    const world = await startWorld();
    ignored = world.emu.createChannel({ guildId: world.guildId, name: 'off-the-record' }).id;
    forum = world.emu.createChannel({ guildId: world.guildId, name: 'ideas', type: 'forum' }).id;
    // A thread there before the bot starts: GUILD_CREATE's `threads`.
    early = world.emu.createThread({ parentId: world.general, name: 'already open', ownerId: world.ada }).thread.id;
    h = await startHarness(driver, 'channels', { world, env: { IGNORE_CHANNELS: ignored } });
  });
  afterAll(async () => h?.dispose());
  afterEach(() => {
    if (!skip) expect(h.emu.violations()).toEqual([]);
  });

  const row = (id: string) => h.bot.db.channels.get(id);
  const waitRow = (id: string, ok: (r: Awaited<ReturnType<typeof row>>) => boolean = (r) => !!r, what = `channel ${id}`) => until(() => row(id), ok, 5000, what);
  const stored = (id: string) => h.bot.db.messages.getByDiscordId(id);
  const waitStored = (id: string) =>
    until(
      () => stored(id),
      (m) => !!m,
      5000,
      `message ${id} recorded`,
    );

  it.skipIf(skip)("keeps the guild's channels and active threads from GUILD_CREATE (not the ignored channel)", async () => {
    expect(await waitRow(h.general)).toMatchObject({ guildId: h.guildId, name: 'general', type: 0, parentId: null, archived: false, deletedAt: null });
    expect(await waitRow(forum)).toMatchObject({ name: 'ideas', type: 15 });
    expect(await waitRow(early)).toMatchObject({ name: 'already open', type: 11, parentId: h.general });
    expect(await row(ignored)).toBeNull();
  });

  it.skipIf(skip)('records a thread and a forum post under a recorded channel with their parent; a thread of an ignored channel is not', async () => {
    const ada = newMember(h, 'thread-ada');
    // A thread a person starts from a message, and one without.
    const start = h.emu.sendMessage({ channelId: h.general, authorId: ada, content: 'shall we talk about it?' });
    await waitStored(start.id);
    const fromMessage = h.emu.createThread({ parentId: h.general, name: 'about it', ownerId: ada, messageId: start.id }).thread;
    const theirs = h.emu.createThread({ parentId: h.general, name: 'side talk', ownerId: ada }).thread;
    const inThread = h.emu.sendMessage({ channelId: fromMessage.id, authorId: ada, content: 'in the thread' });
    const inTheirs = h.emu.sendMessage({ channelId: theirs.id, authorId: ada, content: 'in their thread' });
    // A forum post: a person's, and the bot's own (discord.js).
    const post = h.emu.createThread({ parentId: forum, name: 'an idea', ownerId: ada, firstMessage: { content: 'what if we archive everything' } });
    const forumChannel = (await h.bot.client.channels.fetch(forum)) as ForumChannel;
    const botPost = await forumChannel.threads.create({ name: 'from the bot', message: { content: 'posted by the bot' } });
    // A thread of the ignored channel.
    const hidden = h.emu.createThread({ parentId: ignored, name: 'secret', ownerId: ada }).thread;
    const hiddenMsg = h.emu.sendMessage({ channelId: hidden.id, authorId: ada, content: 'not for the record' });

    for (const m of [inThread, inTheirs]) await waitStored(m.id);
    expect(await stored(inThread.id)).toMatchObject({ channelId: fromMessage.id, content: 'in the thread', guildId: h.guildId });
    expect(await stored(inTheirs.id)).toMatchObject({ channelId: theirs.id });
    expect(await stored(post.message!.id)).toMatchObject({ channelId: post.thread.id, content: 'what if we archive everything' });
    await waitStored(botPost.id);
    expect(await stored(botPost.id)).toMatchObject({ channelId: botPost.id, role: 'assistant', content: 'posted by the bot' });
    expect(await waitRow(fromMessage.id)).toMatchObject({ type: 11, parentId: h.general, name: 'about it', guildId: h.guildId });
    expect(await waitRow(theirs.id)).toMatchObject({ type: 11, parentId: h.general, name: 'side talk' });
    expect(await waitRow(post.thread.id)).toMatchObject({ type: 11, parentId: forum, name: 'an idea' });
    expect(await waitRow(botPost.id)).toMatchObject({ parentId: forum });

    // Whatever was sent after the hidden message is recorded; the hidden one and its thread are not.
    const after = h.emu.sendMessage({ channelId: h.general, authorId: ada, content: 'back in general' });
    await waitStored(after.id);
    await h.bot.queue.flush();
    expect(await stored(hiddenMsg.id)).toBeNull();
    expect(await row(hidden.id)).toBeNull();
    expect(await h.bot.db.channels.threadIdsOf([h.general])).toEqual(expect.arrayContaining([early, fromMessage.id, theirs.id]));
    expect(await h.bot.db.channels.threadIdsOf([forum])).toEqual([post.thread.id, botPost.id].sort());
    expect((await h.bot.db.channels.channelsUnder(forum)).map((c) => c.name).sort()).toEqual(['an idea', 'from the bot']);
  });

  it.skipIf(skip)('a rename updates the row, an archive marks it, a deleted channel keeps its row with deleted_at; replays change nothing', async () => {
    const room = h.emu.createChannel({ guildId: h.guildId, name: 'room' });
    const created = await waitRow(room.id);
    expect(created).toMatchObject({ name: 'room', type: 0, deletedAt: null });
    h.emu.updateChannel(room.id, { name: 'big-room', topic: 'for everyone' });
    const renamed = await waitRow(room.id, (r) => r?.name === 'big-room', 'rename');
    expect(renamed).toMatchObject({ topic: 'for everyone', id: created!.id });

    const thread = h.emu.createThread({ parentId: room.id, name: 'chat', ownerId: h.ada }).thread;
    await waitRow(thread.id);
    h.emu.updateChannel(thread.id, { archived: true });
    await waitRow(thread.id, (r) => r?.archived === true, 'archived');

    h.emu.deleteChannel(thread.id);
    const threadGone = await waitRow(thread.id, (r) => !!r?.deletedAt, 'thread deleted');
    expect(threadGone).toMatchObject({ name: 'chat', parentId: room.id, type: 11 }); // THREAD_DELETE has no name: the known one is kept
    h.emu.deleteChannel(room.id);
    const gone = await waitRow(room.id, (r) => !!r?.deletedAt, 'channel deleted');
    expect(gone).toMatchObject({ name: 'big-room', id: created!.id });

    // A new session (GUILD_CREATE again, every channel re-sent): the deleted one stays deleted, its time the first one.
    const identified = h.emu.identifyCount();
    h.emu.invalidateSession(false);
    await until(
      () => h.emu.identifyCount(),
      (n) => n > identified,
      15_000,
      're-identify',
    );
    await h.emu.waitForReady();
    const again = h.emu.createChannel({ guildId: h.guildId, name: 'after-replay' });
    await until(
      () => row(again.id),
      (r) => !!r,
      15_000,
      'channel after the new session',
    );
    await h.bot.queue.flush();
    expect((await row(room.id))!.deletedAt!.getTime()).toBe(gone!.deletedAt!.getTime());
    expect((await h.bot.db.channels.listGuild(h.guildId)).map((c) => c.discordChannelId)).not.toContain(room.id);
  });

  it.skipIf(skip)("THREAD_LIST_SYNC keeps the threads' rows current", async () => {
    const t = h.emu.createThread({ parentId: h.general, name: 'sync-me', ownerId: h.ada }).thread;
    await waitRow(t.id);
    t.name = 'synced name'; // changed in the local Discord without an event; the sync carries it
    h.emu.threadListSync(h.guildId, [h.general]);
    await waitRow(t.id, (r) => r?.name === 'synced name', 'synced');
  });

  it.skipIf(skip)('backfill reads the active threads of recorded channels: messages sent while the bot was down', async () => {
    const ada = newMember(h, 'backfill-ada');
    const known = h.emu.createThread({ parentId: h.general, name: 'ongoing', ownerId: ada }).thread;
    const before = h.emu.sendMessage({ channelId: known.id, authorId: ada, content: 'before the downtime' });
    await waitStored(before.id);
    await h.bot.stop();
    const away = h.emu.sendMessage({ channelId: known.id, authorId: ada, content: 'while the bot was down' });
    // A thread started while the bot was down, in a recorded channel; and one in the ignored channel.
    const fresh = h.emu.createThread({ parentId: h.general, name: 'started meanwhile', ownerId: ada }).thread;
    const freshMsg = h.emu.sendMessage({ channelId: fresh.id, authorId: ada, content: 'new thread, bot away' });
    const hidden = h.emu.createThread({ parentId: ignored, name: 'hidden meanwhile', ownerId: ada }).thread;
    const hiddenMsg = h.emu.sendMessage({ channelId: hidden.id, authorId: ada, content: 'still not for the record' });
    const sinceRestart = h.emu.requests().length;
    await h.restart();
    await waitStored(away.id);
    await waitStored(freshMsg.id);
    expect(await stored(away.id)).toMatchObject({ channelId: known.id, content: 'while the bot was down' });
    expect(await stored(freshMsg.id)).toMatchObject({ channelId: fresh.id });
    await h.bot.queue.flush();
    expect(await stored(hiddenMsg.id)).toBeNull();
    expect(
      h.emu
        .requests()
        .slice(sinceRestart)
        .some((r) => r.method === 'GET' && r.path.endsWith(`/guilds/${h.guildId}/threads/active`)),
    ).toBe(true);
  });
});
