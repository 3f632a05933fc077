/**
 * Threads, forum posts and channel changes against a plain discord.js Client: the shapes and the
 * dispatches Discord v10 sends (THREAD_CREATE with newly_created, THREAD_UPDATE on archive,
 * THREAD_DELETE's four fields, THREAD_LIST_SYNC, CHANNEL_UPDATE / CHANNEL_DELETE, GUILD_CREATE's
 * active threads, GET /guilds/{id}/threads/active).
 */
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChannelType, Client, Events, GatewayIntentBits, type ForumChannel, type GatewayDispatchPayload, type TextChannel } from 'discord.js';
import { DEFAULT_BOT_PERMISSIONS, DiscordEmulator, Perm, type EmuGuild, type EmuUser } from '../src';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe('threads, forum posts and channel events', () => {
  let emu: DiscordEmulator;
  let client: Client;
  let guild: EmuGuild;
  let alice: EmuUser;
  const raw: GatewayDispatchPayload[] = [];

  /** The first dispatch `t` received after `from` that matches. */
  async function dispatch(t: string, from: number, pred: (d: Json) => boolean = () => true): Promise<Json> {
    const end = Date.now() + 3000;
    for (;;) {
      const hit = raw.slice(from).find((p) => p.t === t && pred(p.d as Json));
      if (hit) return hit.d as Json;
      if (Date.now() > end) throw new Error(`no ${t}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  beforeAll(async () => {
    emu = await DiscordEmulator.start({ botUsername: 'Chronicle', botPermissions: DEFAULT_BOT_PERMISSIONS | Perm.CREATE_PUBLIC_THREADS });
    guild = emu.createGuild({ name: 'Threads' });
    alice = emu.createUser({ username: 'alice' });
    emu.addMember(guild.id, alice.id);
    const general = emu.createChannel({ guildId: guild.id, name: 'general' });
    emu.createThread({ parentId: general.id, name: 'open before login', ownerId: alice.id });
    const old = emu.createThread({ parentId: general.id, name: 'archived before login', ownerId: alice.id }).thread;
    emu.updateChannel(old.id, { archived: true });
    client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent], rest: { api: emu.apiUrl } });
    client.on(Events.Raw, (p: GatewayDispatchPayload) => raw.push(p));
    const ready = once(client, Events.ClientReady);
    await client.login(emu.token);
    await ready;
  });
  afterAll(async () => {
    await client?.destroy();
    await emu?.stop();
  });
  afterEach(() => expect(emu.violations()).toEqual([]));

  it('GUILD_CREATE lists the active threads only, with their parent', async () => {
    const gc = await dispatch('GUILD_CREATE', 0);
    expect(gc.threads.map((t: Json) => t.name)).toEqual(['open before login']);
    expect(gc.threads[0]).toMatchObject({ type: 11, guild_id: guild.id, thread_metadata: { archived: false } });
    expect(gc.channels.some((c: Json) => c.type === 11)).toBe(false);
  });

  it('starts threads from a message and without one (discord.js), each a THREAD_CREATE with newly_created', async () => {
    const general = client.channels.cache.find((c) => 'name' in c && c.name === 'general') as TextChannel;
    const from = raw.length;
    const sent = await general.send('let us talk about this');
    const fromMessage = await sent.startThread({ name: 'about this' });
    expect(fromMessage.id).toBe(sent.id); // a thread started from a message takes its id
    expect(fromMessage.parentId).toBe(general.id);
    const created = await dispatch('THREAD_CREATE', from, (d) => d.id === sent.id);
    expect(created).toMatchObject({ newly_created: true, type: 11, parent_id: general.id, guild_id: guild.id, name: 'about this' });
    const updated = await dispatch('MESSAGE_UPDATE', from, (d) => d.id === sent.id);
    expect(updated.thread).toMatchObject({ id: sent.id });
    expect(updated.flags & 32).toBe(32); // HAS_THREAD

    const plain = await general.threads.create({ name: 'no message' });
    expect(plain.type).toBe(ChannelType.PublicThread);
    await dispatch('THREAD_CREATE', from, (d) => d.id === plain.id && d.newly_created === true);
    const m = await plain.send('inside');
    expect(m.channelId).toBe(plain.id);
  });

  it('makes forum posts: a thread whose first message shares its id', async () => {
    const from = raw.length;
    const forumRow = emu.createChannel({ guildId: guild.id, name: 'ideas', type: 'forum' });
    expect(await dispatch('CHANNEL_CREATE', from, (d) => d.id === forumRow.id)).toMatchObject({ type: 15, available_tags: [] });
    const forum = (await client.channels.fetch(forumRow.id)) as ForumChannel;
    expect(forum.type).toBe(ChannelType.GuildForum);
    const post = await forum.threads.create({ name: 'first idea', message: { content: 'what if' } });
    expect(post.parentId).toBe(forum.id);
    const first = await dispatch('MESSAGE_CREATE', from, (d) => d.channel_id === post.id);
    expect(first).toMatchObject({ id: post.id, content: 'what if' });
    await dispatch('THREAD_CREATE', from, (d) => d.id === post.id && d.newly_created === true && Array.isArray(d.applied_tags));
    // A person's post made in the local Discord.
    const theirs = emu.createThread({ parentId: forum.id, name: 'alice asks', ownerId: alice.id, firstMessage: { content: 'a question' } });
    expect(theirs.message).toMatchObject({ id: theirs.thread.id, channel_id: theirs.thread.id, author: { id: alice.id } });
    // A forum post without its message is refused, as Discord does (and recorded as an invalid request).
    await expect(client.rest.post(`/channels/${forum.id}/threads`, { body: { name: 'no message' } })).rejects.toThrow(/Invalid Form Body/);
    expect(emu.violations().map((v) => v.kind)).toEqual(['invalid_body']);
    emu.clearViolations();
  });

  it('archives (THREAD_UPDATE), renames (CHANNEL_UPDATE) and deletes (THREAD_DELETE / CHANNEL_DELETE)', async () => {
    const chan = emu.createChannel({ guildId: guild.id, name: 'tmp' });
    const thread = emu.createThread({ parentId: chan.id, name: 'short', ownerId: alice.id }).thread;
    const from = raw.length;
    emu.updateChannel(thread.id, { archived: true });
    expect(await dispatch('THREAD_UPDATE', from, (d) => d.id === thread.id)).toMatchObject({ thread_metadata: { archived: true } });
    const active = (await client.rest.get(`/guilds/${guild.id}/threads/active`)) as Json;
    expect(active.members).toEqual([]);
    expect(active.threads.map((t: Json) => t.id)).not.toContain(thread.id);
    emu.updateChannel(thread.id, { archived: false });
    expect(((await client.rest.get(`/guilds/${guild.id}/threads/active`)) as Json).threads.map((t: Json) => t.id)).toContain(thread.id);

    emu.updateChannel(chan.id, { name: 'renamed', topic: 'a topic' });
    expect(await dispatch('CHANNEL_UPDATE', from, (d) => d.id === chan.id)).toMatchObject({ name: 'renamed', topic: 'a topic', type: 0 });
    await new Promise((r) => setTimeout(r, 50));
    expect((client.channels.cache.get(chan.id) as TextChannel).name).toBe('renamed');

    emu.deleteChannel(thread.id);
    expect(await dispatch('THREAD_DELETE', from, (d) => d.id === thread.id)).toEqual({ id: thread.id, guild_id: guild.id, parent_id: chan.id, type: 11 });
    emu.deleteChannel(chan.id);
    expect(await dispatch('CHANNEL_DELETE', from, (d) => d.id === chan.id)).toMatchObject({ name: 'renamed', guild_id: guild.id });
    await expect(client.rest.get(`/channels/${chan.id}`)).rejects.toThrow(/Unknown Channel/);
  });

  it('THREAD_LIST_SYNC carries the active threads of the channels given', async () => {
    const chan = emu.createChannel({ guildId: guild.id, name: 'synced' });
    const t = emu.createThread({ parentId: chan.id, name: 'sync me', ownerId: alice.id }).thread;
    const from = raw.length;
    emu.threadListSync(guild.id, [chan.id]);
    const sync = await dispatch('THREAD_LIST_SYNC', from);
    expect(sync).toMatchObject({ guild_id: guild.id, channel_ids: [chan.id], members: [] });
    expect(sync.threads.map((x: Json) => x.id)).toEqual([t.id]);
  });
});
