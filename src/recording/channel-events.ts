import type { APIChannel, APIThreadChannel, GatewayGuildCreateDispatchData, GatewayThreadListSyncDispatchData } from 'discord.js';
import { fitName } from '../entities/User';
import type { RecordedChannel, RecordedChannels } from './events';

/** The channel and thread dispatches the recorder reads (Guilds intent). */
export const CHANNEL_EVENTS = ['GUILD_CREATE', 'CHANNEL_CREATE', 'CHANNEL_UPDATE', 'CHANNEL_DELETE', 'THREAD_CREATE', 'THREAD_UPDATE', 'THREAD_DELETE', 'THREAD_LIST_SYNC'] as const;
export type ChannelEventName = (typeof CHANNEL_EVENTS)[number];

type ChannelLike = Partial<APIChannel> & { id: string; type: number; guild_id?: string; parent_id?: string | null; topic?: string | null; name?: string | null };

/**
 * A channel or thread payload as a plain row (no discord.js objects past this point). THREAD_DELETE
 * sends only id, guild, parent and type: the rest is null and the stored name is kept.
 */
export function recordedChannel(c: ChannelLike, guildId?: string | null): RecordedChannel {
  if (typeof c?.id !== 'string' || typeof c.type !== 'number') throw new Error('no channel id or type');
  const meta = (c as Partial<APIThreadChannel>).thread_metadata;
  return {
    id: c.id,
    guildId: c.guild_id ?? guildId ?? null,
    name: typeof c.name === 'string' ? fitName(c.name) : null,
    type: c.type,
    parentId: c.parent_id ?? null,
    topic: typeof c.topic === 'string' ? c.topic : null,
    archived: meta?.archived === true,
  };
}

/** A channel dispatch as a plain event; `inScope(id, parentId)` is RECORD_CHANNELS / IGNORE_CHANNELS. */
export function channelEvent(t: ChannelEventName, d: unknown, inScope: (id: string, parentId: string | null) => boolean): RecordedChannels | null {
  const seenAt = new Date();
  let list: RecordedChannel[];
  if (t === 'GUILD_CREATE') {
    const g = d as GatewayGuildCreateDispatchData;
    if ((g as { unavailable?: boolean }).unavailable) return null;
    list = [...(g.channels ?? []), ...(g.threads ?? [])].map((c) => recordedChannel(c as ChannelLike, g.id));
  } else if (t === 'THREAD_LIST_SYNC') {
    const s = d as GatewayThreadListSyncDispatchData;
    list = (s.threads ?? []).map((c) => recordedChannel(c as ChannelLike, s.guild_id));
  } else {
    list = [recordedChannel(d as ChannelLike)];
  }
  list = list.filter((c) => inScope(c.id, c.parentId));
  if (!list.length) return null;
  return { kind: 'channel', action: t === 'CHANNEL_DELETE' || t === 'THREAD_DELETE' ? 'delete' : 'upsert', channels: list, seenAt };
}
