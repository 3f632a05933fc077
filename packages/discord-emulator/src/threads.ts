/**
 * Threads and forum posts as Discord v10 makes them: a thread started from a message takes the
 * message's id (the message gets `thread` and the HAS_THREAD flag), a forum post is a thread whose
 * first message has the thread's id; THREAD_CREATE carries `newly_created: true`. Archiving is a
 * THREAD_UPDATE; GUILD_CREATE, GET /guilds/{id}/threads/active and THREAD_LIST_SYNC list the
 * threads not archived.
 */
import type { Core } from './core';
import { ChannelType, Intents } from './payloads';
import { discordTimestamp } from './snowflake';
import type { EmuChannel, EmuMessage } from './types';

const HAS_THREAD = 1 << 5;

export interface ThreadInput {
  parentId: string;
  name: string;
  /** Who starts it (the bot when absent). */
  ownerId?: string;
  /** The message it is started from (text channels). */
  messageId?: string;
  /** A forum post's first message (forums: required). */
  firstMessage?: { content: string; authorId?: string };
}

export function createThread(core: Core, o: ThreadInput): { thread: EmuChannel; message: EmuMessage | null } {
  const { state } = core;
  const parent = state.channel(o.parentId);
  if (!parent.guild_id) throw new Error('emulator: threads live in guild channels');
  const forum = parent.type === ChannelType.GUILD_FORUM;
  if (forum && !o.firstMessage) throw new Error('emulator: a forum post needs its first message');
  const start = o.messageId ? state.findMessage(parent.id, o.messageId) : null;
  if (o.messageId && !start) throw new Error(`emulator: unknown message ${o.messageId} in ${parent.id}`);
  if (start && state.channels.has(start.id)) throw new Error('emulator: that message already has a thread');
  const ownerId = o.ownerId ?? state.botUser.id;
  // A forum post's first message shares the thread's id, like on Discord.
  const first = forum ? state.buildMessage({ channelId: parent.id, author: state.user(o.firstMessage!.authorId ?? ownerId), content: o.firstMessage!.content }) : null;
  const thread = state.createChannel({ guildId: parent.guild_id, name: o.name, type: 'thread', parentId: parent.id, ownerId, id: start?.id ?? first?.id });
  core.actions.channelCreated(thread);
  if (start) {
    start.flags |= HAS_THREAD;
    start.thread = thread;
    core.actions.messageUpdated(start);
  }
  let message: EmuMessage | null = null;
  if (first) {
    first.channel_id = thread.id;
    message = core.actions.postMessage(first);
    parent.last_message_id = thread.id;
  }
  return { thread, message };
}

export function updateChannel(core: Core, id: string, o: { name?: string; topic?: string | null; archived?: boolean }): EmuChannel {
  const c = core.state.channel(id);
  if (o.name !== undefined) c.name = o.name;
  if (o.topic !== undefined && c.type !== ChannelType.PUBLIC_THREAD) c.topic = o.topic;
  if (o.archived !== undefined && c.type === ChannelType.PUBLIC_THREAD) {
    const meta = c.thread_metadata as Record<string, unknown>;
    meta.archived = o.archived;
    meta.archive_timestamp = discordTimestamp();
  }
  core.actions.channelUpdated(c);
  return c;
}

export function deleteChannel(core: Core, id: string): EmuChannel {
  const [c] = core.state.removeChannel(id);
  core.actions.channelDeleted(c);
  return c;
}

/** The guild's threads that are not archived. */
export function activeThreads(core: Core, guildId: string): EmuChannel[] {
  const g = core.state.guild(guildId);
  return g.channelIds.map((id) => core.state.channels.get(id)!).filter((c) => c?.type === ChannelType.PUBLIC_THREAD && !(c.thread_metadata as { archived?: boolean }).archived);
}

/** THREAD_LIST_SYNC for a guild (Discord sends it when the bot gains access to channels): its active threads. */
export function threadListSync(core: Core, guildId: string, channelIds?: string[]): void {
  const threads = activeThreads(core, guildId).filter((t) => !channelIds || channelIds.includes(t.parent_id ?? ''));
  core.gateway.dispatch('THREAD_LIST_SYNC', { guild_id: guildId, ...(channelIds ? { channel_ids: channelIds } : {}), threads, members: [] }, { need: Intents.GUILDS });
}
