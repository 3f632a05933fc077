import { In, IsNull } from 'typeorm';
import { Channel, THREAD_TYPES } from '../../entities/Channel';
import type { StoreContext } from '../database';

/** A channel or thread as stored (`channels`), keyed by its Discord id. */
export type StoredChannel = Channel;

/**
 * The channels and threads the recorder has seen (read only: the recorder writes them through its
 * write queue, `recording/channels.ts`). Not personal data.
 */
export class ChannelStore {
  constructor(private readonly ctx: StoreContext) {}

  /** One channel by its Discord id (deleted ones too). */
  async get(discordChannelId: string): Promise<StoredChannel | null> {
    return this.ctx.manager.getRepository(Channel).findOne({ where: { discordChannelId } });
  }

  /** The channels and threads directly under a channel (a thread's parent, or a category), deleted ones too, by Discord id. */
  async channelsUnder(parentId: string): Promise<StoredChannel[]> {
    return this.ctx.manager.getRepository(Channel).find({ where: { parentId }, order: { discordChannelId: 'ASC' } });
  }

  /**
   * The Discord ids of the threads (and forum posts) of these channels, deleted and archived ones
   * included: what per-channel retention adds to a channel's own messages.
   */
  /** The parent of each of these channels that has one (threads, forum posts, channels in a category), by Discord id. */
  async parentsOf(discordChannelIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < discordChannelIds.length; i += 500) {
      const rows = await this.ctx.manager.getRepository(Channel).find({ select: { discordChannelId: true, parentId: true }, where: { discordChannelId: In(discordChannelIds.slice(i, i + 500)) } });
      for (const r of rows) if (r.parentId) out.set(r.discordChannelId, r.parentId);
    }
    return out;
  }

  async threadIdsOf(parentChannelIds: string[]): Promise<string[]> {
    if (!parentChannelIds.length) return [];
    const out: string[] = [];
    for (let i = 0; i < parentChannelIds.length; i += 500) {
      const rows = await this.ctx.manager.getRepository(Channel).find({ select: { discordChannelId: true }, where: { parentId: In(parentChannelIds.slice(i, i + 500)), type: In([...THREAD_TYPES]) } });
      for (const r of rows) out.push(r.discordChannelId);
    }
    return out.sort();
  }

  /** A guild's channels not deleted (threads included), by Discord id. */
  async listGuild(guildId: string): Promise<StoredChannel[]> {
    return this.ctx.manager.getRepository(Channel).find({ where: { guildId, deletedAt: IsNull() }, order: { discordChannelId: 'ASC' } });
  }
}
