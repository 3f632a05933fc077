import { In, type EntityManager } from 'typeorm';
import { Attachment } from '../../entities/Attachment';
import { Channel, THREAD_TYPES } from '../../entities/Channel';
import { Message, type MessageMetadata } from '../../entities/Message';
import { MessageRevision } from '../../entities/MessageRevision';
import { Reaction } from '../../entities/Reaction';
import { Session } from '../../entities/Session';
import { User } from '../../entities/User';
import type { StoreContext } from '../database';
import { revisionFromRow, type ReactionCount, type StoredRevision } from './archive.store';
import { fromRow } from './message.store';

/** Messages per page of a transcript (each page is one keyset query plus one query per kind of related row). */
export const TRANSCRIPT_PAGE_SIZE = 500;

/** The channel a transcript is of, as the `channels` table knows it (null fields when it was never seen). */
export interface TranscriptChannel {
  discordChannelId: string;
  guildId: string | null;
  name: string | null;
  /** Discord's channel type (0 text, 11 public thread…); null when the channel has no `channels` row. */
  type: number | null;
  /** A thread's channel, or a channel's category. */
  parentId: string | null;
  topic: string | null;
  archived: boolean;
  deletedAt: Date | null;
}

/** A thread of the channel: its id is also its starter message's id when it was started from one. */
export interface TranscriptThread {
  discordChannelId: string;
  name: string | null;
  archived: boolean;
  deletedAt: Date | null;
  /** Recorded messages in the thread (not deleted). */
  messageCount: number;
}

/** Who wrote a message: the session's person, or the bot for its own replies. */
export interface TranscriptAuthor {
  /** Discord user id (null for the bot's replies, whose session is the invoker's). */
  discordUserId: string | null;
  username: string | null;
  displayName: string | null;
  bot: boolean;
}

/** An attachment as archived: Discord's description and where Chronicle's copy is (never Discord's signed links). */
export interface TranscriptAttachment {
  discordAttachmentId: string;
  filename: string;
  contentType: string | null;
  size: number;
  width: number | null;
  height: number | null;
  /** See ATTACHMENT_STATES: `stored` means the file is at `storedPath` in the attachment store. */
  state: string;
  sha256: string | null;
  /** The file's path inside the attachment store (ATTACHMENT_DIR), when stored. */
  storedPath: string | null;
}

/** The message a reply points at, when it is recorded in this channel. */
export interface TranscriptReplyTarget {
  discordMessageId: string;
  author: TranscriptAuthor | null;
  /** Its current text (the whole of it; renderers shorten it). */
  content: string;
  deleted: boolean;
}

/** One message of a transcript with everything hanging off it. */
export interface TranscriptMessage {
  id: string;
  discordMessageId: string | null;
  channelId: string;
  guildId: string | null;
  role: string;
  author: TranscriptAuthor | null;
  content: string;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  replyToId: string | null;
  /** The replied-to message, when it is recorded in this channel; null otherwise (or no reply). */
  replyTo: TranscriptReplyTarget | null;
  /** Type, embeds, stickers, interaction: what the recorder kept beside the content. */
  metadata: MessageMetadata | null;
  /** Earlier versions, oldest first. */
  revisions: StoredRevision[];
  /** Per emoji, the emoji first reacted with first. */
  reactions: ReactionCount[];
  attachments: TranscriptAttachment[];
  /** The thread started from this message, when there is one. */
  thread: TranscriptThread | null;
}

export interface TranscriptRange {
  /** Messages sent at or after this time. */
  after?: Date | null;
  /** Messages sent before this time. */
  before?: Date | null;
  /** Also the messages deleted in Discord (operators; off by default). */
  includeDeleted?: boolean;
}

/**
 * Channel transcripts (read only): a channel's recorded messages in the order they were sent, a
 * page at a time (keyset on (created_at, id) over idx_messages_channel_created), each page with
 * its authors, earlier versions, reactions, attachments, reply targets and threads, so that a
 * channel of any size is read in flat memory.
 *
 * Never in a transcript: the bot's ephemeral replies (recorded in the invoker's session, seen only
 * by them in Discord) and, unless asked for, deleted messages.
 */
export class TranscriptStore {
  constructor(private readonly ctx: StoreContext) {}

  /** The channel by its Discord id (a minimal record when it has no `channels` row). */
  async channel(discordChannelId: string): Promise<TranscriptChannel> {
    const c = await this.ctx.manager.findOne(Channel, { where: { discordChannelId } });
    if (!c) return { discordChannelId, guildId: null, name: null, type: null, parentId: null, topic: null, archived: false, deletedAt: null };
    return { discordChannelId, guildId: c.guildId, name: c.name, type: c.type, parentId: c.parentId, topic: c.topic, archived: c.archived, deletedAt: c.deletedAt };
  }

  /** The threads (and forum posts) of the channel, with their recorded message counts, by Discord id. */
  async threads(discordChannelId: string): Promise<TranscriptThread[]> {
    const rows = await this.ctx.manager.find(Channel, { where: { parentId: discordChannelId, type: In([...THREAD_TYPES]) }, order: { discordChannelId: 'ASC' } });
    if (!rows.length) return [];
    const counts = new Map<string, number>();
    for (const part of chunk(rows.map((r) => r.discordChannelId))) {
      const raw = await this.ctx.manager
        .createQueryBuilder(Message, 'm')
        .select('m.channel_id', 'channel')
        .addSelect('COUNT(*)', 'n')
        .where('m.channel_id IN (:...ids)', { ids: part })
        .andWhere('m.deleted_at IS NULL')
        .groupBy('m.channel_id')
        .getRawMany<{ channel: string; n: string | number }>();
      for (const r of raw) counts.set(r.channel, Number(r.n));
    }
    return rows.map((r) => ({ discordChannelId: r.discordChannelId, name: r.name, archived: r.archived, deletedAt: r.deletedAt, messageCount: counts.get(r.discordChannelId) ?? 0 }));
  }

  /** How many messages `pages` can yield at most (the bot's ephemeral replies are counted, then left out). */
  async count(discordChannelId: string, range: TranscriptRange = {}): Promise<number> {
    return this.query(this.ctx.manager, discordChannelId, range).getCount();
  }

  /** The channel's messages, oldest first, `pageSize` at a time (see the class comment). */
  async *pages(discordChannelId: string, range: TranscriptRange = {}, pageSize = TRANSCRIPT_PAGE_SIZE): AsyncGenerator<TranscriptMessage[]> {
    const em = this.ctx.manager;
    const threads = new Map((await this.threads(discordChannelId)).map((t) => [t.discordChannelId, t]));
    let after: { t: Date; id: string } | null = null;
    for (;;) {
      const qb = this.query(em, discordChannelId, range);
      if (after) qb.andWhere('(m.created_at > :kt OR (m.created_at = :kt AND m.id > :kid))', { kt: after.t, kid: after.id });
      const rows = await qb.orderBy('m.created_at', 'ASC').addOrderBy('m.id', 'ASC').limit(pageSize).getMany();
      const shown = rows.filter((r) => !isEphemeralReply(r));
      if (shown.length) yield await this.page(em, discordChannelId, shown, threads);
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      after = { t: last.createdAt, id: last.id };
    }
  }

  private query(em: EntityManager, discordChannelId: string, range: TranscriptRange) {
    const qb = em.createQueryBuilder(Message, 'm').where('m.channel_id = :channelId', { channelId: discordChannelId });
    if (range.after) qb.andWhere('m.created_at >= :after', { after: range.after });
    if (range.before) qb.andWhere('m.created_at < :before', { before: range.before });
    if (!range.includeDeleted) qb.andWhere('m.deleted_at IS NULL');
    return qb;
  }

  /** One page's messages with their related rows: one query per kind of row. */
  private async page(em: EntityManager, discordChannelId: string, rows: Message[], threads: Map<string, TranscriptThread>): Promise<TranscriptMessage[]> {
    const ids = rows.map((r) => r.id);
    const replyIds = [...new Set(rows.map((r) => r.replyToId).filter((x): x is string => !!x))];
    const targets = new Map<string, Message>();
    for (const part of chunk(replyIds)) for (const t of await em.find(Message, { where: { channelId: discordChannelId, discordMessageId: In(part) } })) targets.set(t.discordMessageId!, t);
    const authors = await this.authorsOf(em, [...rows, ...targets.values()]);
    const revisions = groupBy((await em.find(MessageRevision, { where: { messageId: In(ids) }, order: { replacedAt: 'ASC' } })).map(revisionFromRow), (r) => r.messageId);
    const reactions = groupBy(await em.createQueryBuilder(Reaction, 'r').where('r.message_id IN (:...ids)', { ids }).orderBy('r.created_at', 'ASC').addOrderBy('r.id', 'ASC').getMany(), (r) => r.messageId);
    const attachments = groupBy(await em.createQueryBuilder(Attachment, 'a').where('a.message_id IN (:...ids)', { ids }).orderBy('a.created_at', 'ASC').addOrderBy('a.id', 'ASC').getMany(), (a) => a.messageId);
    return rows.map((row) => {
      const m = fromRow(row);
      const target = m.replyToId ? targets.get(m.replyToId) : undefined;
      return {
        id: m.id,
        discordMessageId: m.discordMessageId,
        channelId: m.channelId,
        guildId: m.guildId,
        role: m.role,
        author: authorOf(row, authors),
        content: m.content,
        createdAt: m.createdAt,
        editedAt: m.editedAt,
        deletedAt: m.deletedAt,
        replyToId: m.replyToId,
        replyTo: target ? { discordMessageId: target.discordMessageId!, author: authorOf(target, authors), content: fromRow(target).content, deleted: !!target.deletedAt } : null,
        metadata: withoutLinks(m.metadata),
        revisions: revisions.get(m.id) ?? [],
        reactions: countReactions(reactions.get(m.id) ?? []),
        attachments: (attachments.get(m.id) ?? []).map((a) => ({
          discordAttachmentId: a.discordAttachmentId,
          filename: a.filename,
          contentType: a.contentType,
          size: a.size,
          width: a.width,
          height: a.height,
          state: a.state,
          sha256: a.sha256,
          storedPath: a.state === 'stored' ? a.storedPath : null,
        })),
        thread: (m.discordMessageId && threads.get(m.discordMessageId)) || null,
      };
    });
  }

  /** The person of each message's session, by session id. */
  private async authorsOf(em: EntityManager, rows: Message[]): Promise<Map<string, TranscriptAuthor>> {
    const out = new Map<string, TranscriptAuthor>();
    for (const part of chunk([...new Set(rows.map((r) => r.sessionId))])) {
      const raw = await em
        .createQueryBuilder(Session, 's')
        .innerJoin(User, 'u', 'u.id = s.user_id')
        .select('s.id', 'sid')
        .addSelect('u.channel_user_id', 'uid')
        .addSelect('u.username', 'username')
        .addSelect('u.display_name', 'displayName')
        .where('s.id IN (:...ids)', { ids: part })
        .getRawMany<{ sid: string; uid: string; username: string | null; displayName: string | null }>();
      for (const r of raw) out.set(r.sid, { discordUserId: r.uid, username: r.username, displayName: r.displayName, bot: false });
    }
    return out;
  }
}

/** The bot's replies are recorded in the invoker's session: their author is the bot. */
const BOT_AUTHOR: TranscriptAuthor = { discordUserId: null, username: 'Chronicle', displayName: null, bot: true };

function authorOf(row: Message, authors: Map<string, TranscriptAuthor>): TranscriptAuthor | null {
  if (row.role === 'assistant') return BOT_AUTHOR;
  return authors.get(row.sessionId) ?? null;
}

/**
 * An ephemeral reply of the bot: recorded by the command router (metadata `interaction` and no
 * `type`: a reply that came back on the gateway has Discord's type, 19 or 20). Only its invoker saw it.
 */
export function isEphemeralReply(row: Pick<Message, 'role' | 'metadata'>): boolean {
  return row.role === 'assistant' && (row.metadata?.ephemeral === true || (!!row.metadata?.interaction && row.metadata.type === undefined));
}

/** Metadata without Discord's signed CDN links to the attachments (they expire; the archived copy is in `attachments`). */
function withoutLinks(metadata: MessageMetadata | null): MessageMetadata | null {
  if (!metadata?.attachments) return metadata;
  return { ...metadata, attachments: metadata.attachments.map(({ url: _url, ...a }) => a) };
}

function countReactions(rows: Reaction[]): ReactionCount[] {
  const byEmoji = new Map<string, ReactionCount>();
  for (const r of rows) {
    let c = byEmoji.get(r.emoji);
    if (!c) byEmoji.set(r.emoji, (c = { emoji: r.emoji, emojiId: r.emojiId, emojiName: r.emojiName, animated: r.animated, count: 0, burst: 0, users: [] }));
    c.count++;
    if (r.burst) c.burst++;
    if (!c.users.includes(r.discordUserId)) c.users.push(r.discordUserId);
  }
  return [...byEmoji.values()];
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

function chunk<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
