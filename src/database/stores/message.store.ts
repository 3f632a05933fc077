import { uuidV7 } from '../uuid-v7';
import { In, IsNull, Not } from 'typeorm';
import { Message, MESSAGE_ROLES, type MessageMetadata, type MessageRole } from '../../entities/Message';
import type { StoreContext } from '../database';
import { decodeContent, encodeContent } from '../content-codec';
import { ValidationError } from '../errors';
import { isUuid } from './ids';

export interface NewMessage {
  sessionId: string;
  role: MessageRole;
  content: string;
  channelId: string;
  guildId?: string | null;
  discordMessageId?: string | null;
  replyToId?: string | null;
  metadata?: MessageMetadata | null;
  createdAt?: Date;
}

/** A message as the stores hand it out: content decoded, byte-exact. */
export type StoredMessage = Omit<Message, 'contentEscaped' | 'session'>;

export function toRow(input: NewMessage): Message {
  if (!(MESSAGE_ROLES as readonly string[]).includes(input.role)) throw new ValidationError('role', `must be one of ${MESSAGE_ROLES.join(', ')}`);
  const { content, escaped } = encodeContent(input.content);
  const row = new Message();
  row.id = uuidV7();
  row.sessionId = input.sessionId;
  row.role = input.role;
  row.content = content;
  row.contentEscaped = escaped;
  row.discordMessageId = input.discordMessageId ?? null;
  row.channelId = input.channelId;
  row.guildId = input.guildId ?? null;
  row.replyToId = input.replyToId ?? null;
  row.metadata = input.metadata ?? null;
  row.createdAt = input.createdAt ?? new Date();
  row.editedAt = null;
  row.deletedAt = null;
  return row;
}

export function fromRow(row: Message): StoredMessage {
  const { contentEscaped, session: _session, ...rest } = row;
  return { ...rest, content: decodeContent(row.content, contentEscaped) };
}

/** `messages`: what was said, per session, with Discord ids, edits and deletes. */
export class MessageStore {
  constructor(private readonly ctx: StoreContext) {}

  private get repo() {
    return this.ctx.manager.getRepository(Message);
  }

  async createMessage(input: NewMessage): Promise<StoredMessage> {
    const row = toRow(input);
    await this.ctx.write('insert messages', (em) => em.insert(Message, row));
    return fromRow(row);
  }

  async getMessage(id: string): Promise<StoredMessage | null> {
    if (!isUuid(id)) return null;
    const row = await this.repo.findOneBy({ id });
    return row ? fromRow(row) : null;
  }

  async getByDiscordId(discordMessageId: string): Promise<StoredMessage | null> {
    const row = await this.repo.findOneBy({ discordMessageId });
    return row ? fromRow(row) : null;
  }

  async listBySession(sessionId: string, opts: { limit?: number; newestFirst?: boolean; includeDeleted?: boolean; role?: MessageRole } = {}): Promise<StoredMessage[]> {
    if (!isUuid(sessionId)) return [];
    const rows = await this.repo.find({
      where: { sessionId, ...(opts.includeDeleted ? {} : { deletedAt: IsNull() }), ...(opts.role ? { role: opts.role } : {}) },
      // Messages of one millisecond in Discord's order (snowflakes are time-ordered), then the row's.
      order: { createdAt: opts.newestFirst ? 'DESC' : 'ASC', discordMessageId: opts.newestFirst ? 'DESC' : 'ASC', id: opts.newestFirst ? 'DESC' : 'ASC' },
      take: opts.limit,
    });
    return rows.map(fromRow);
  }

  async listByChannel(channelId: string, opts: { since?: Date; until?: Date; limit?: number } = {}): Promise<StoredMessage[]> {
    const qb = this.repo.createQueryBuilder('m').where('m.channel_id = :channelId', { channelId });
    if (opts.since) qb.andWhere('m.created_at >= :since', { since: opts.since });
    if (opts.until) qb.andWhere('m.created_at < :until', { until: opts.until });
    qb.orderBy('m.created_at', 'ASC');
    if (opts.limit) qb.take(opts.limit);
    return (await qb.getMany()).map(fromRow);
  }

  /** Sets the new content and `edited_at` of a Discord message; false when it is not stored. */
  async markEdited(discordMessageId: string, content: string, editedAt: Date): Promise<boolean> {
    const { content: c, escaped } = encodeContent(content);
    return this.ctx.write('update messages', async (em) => {
      const res = await em.update(Message, { discordMessageId }, { content: c, contentEscaped: escaped, editedAt });
      return (res.affected ?? 0) > 0;
    });
  }

  /** Sets `deleted_at` on the given Discord messages; returns how many were stored. */
  async markDeleted(discordMessageIds: string[], deletedAt: Date): Promise<number> {
    if (!discordMessageIds.length) return 0;
    return this.ctx.write('update messages', async (em) => {
      const res = await em.update(Message, { discordMessageId: In(discordMessageIds), deletedAt: IsNull() }, { deletedAt });
      return res.affected ?? 0;
    });
  }

  /**
   * A channel's stored, not deleted messages whose Discord ids lie from `fromId` to `toId`
   * (inclusive, compared as numbers: ids differ in length), with their last edit time: what
   * reconcile compares with channel history. `createdSince` (no later than the time in `fromId`,
   * which is when Discord says the message was sent) lets the channel's time index narrow the scan.
   */
  async listUndeletedInIdRange(channelId: string, range: { fromId: string; toId: string; createdSince: Date }): Promise<{ discordMessageId: string; role: MessageRole; editedAt: Date | null; metadata: MessageMetadata | null }[]> {
    const rows = await this.repo
      .createQueryBuilder('m')
      .select(['m.discordMessageId', 'm.role', 'm.editedAt', 'm.metadata', 'm.createdAt'])
      .where('m.channel_id = :channelId', { channelId })
      .andWhere('m.created_at >= :since', { since: range.createdSince })
      .andWhere('m.deleted_at IS NULL')
      .andWhere('m.discord_message_id IS NOT NULL')
      // BIGINT on both drivers (SQLite: integer affinity, 64-bit); Discord ids fit below 2^63.
      .andWhere('CAST(m.discord_message_id AS BIGINT) >= :fromId', { fromId: range.fromId })
      .andWhere('CAST(m.discord_message_id AS BIGINT) <= :toId', { toId: range.toId })
      .getMany();
    return rows.map((r) => ({ discordMessageId: r.discordMessageId!, role: r.role as MessageRole, editedAt: r.editedAt, metadata: r.metadata }));
  }

  /** The newest recorded Discord message id per channel (channels with none are absent). */
  async lastDiscordMessageIds(channelIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const channelId of channelIds) {
      const row = await this.repo.findOne({ where: { channelId, discordMessageId: Not(IsNull()) }, order: { createdAt: 'DESC' }, select: { discordMessageId: true, createdAt: true } });
      if (row?.discordMessageId) out.set(channelId, row.discordMessageId);
    }
    return out;
  }

  async countMessages(where: { channelId?: string; sessionId?: string } = {}): Promise<number> {
    return this.repo.countBy(where);
  }

  /** Messages in a session that are not deleted: all of them, and the person's own (role user). */
  async countBySession(sessionId: string): Promise<{ total: number; user: number }> {
    if (!isUuid(sessionId)) return { total: 0, user: 0 };
    const raw = await this.repo
      .createQueryBuilder('m')
      .select('COUNT(*)', 'total')
      .addSelect("SUM(CASE WHEN m.role = 'user' THEN 1 ELSE 0 END)", 'user')
      .where('m.session_id = :sessionId', { sessionId })
      .andWhere('m.deleted_at IS NULL')
      .getRawOne<{ total: string | number; user: string | number | null }>();
    return { total: Number(raw?.total ?? 0), user: Number(raw?.user ?? 0) };
  }
}
