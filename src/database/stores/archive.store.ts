import { In } from 'typeorm';
import { Message } from '../../entities/Message';
import { MessageRevision } from '../../entities/MessageRevision';
import { PollVote } from '../../entities/PollVote';
import { Reaction } from '../../entities/Reaction';
import type { StoreContext } from '../database';
import { decodeContent } from '../content-codec';
import { isUuid } from './ids';

/** An earlier version of a message, content decoded. */
export type StoredRevision = Omit<MessageRevision, 'contentEscaped' | 'message'>;

/** One emoji's reactions to a message: how many, and who (Discord user ids, in the order they reacted). */
export interface ReactionCount {
  /** A custom emoji's id, or a unicode emoji's text. */
  emoji: string;
  emojiId: string | null;
  emojiName: string | null;
  animated: boolean;
  count: number;
  /** Of those, super reactions. */
  burst: number;
  users: string[];
}

/** One answer's recorded votes: who (Discord user ids, in the order they voted). */
export interface PollVoteCount {
  answerId: number;
  users: string[];
}

export function revisionFromRow(row: MessageRevision): StoredRevision {
  const { contentEscaped, message: _m, ...rest } = row;
  return { ...rest, content: decodeContent(row.content, contentEscaped) };
}

/**
 * What the archive keeps beside a message's current row (read only: the recorder writes them):
 * its earlier versions (`message_revisions`), its reactions (`reactions`) and, for a poll, its
 * votes (`poll_votes`).
 */
export class ArchiveStore {
  constructor(private readonly ctx: StoreContext) {}

  /** Earlier versions of messages (`messages.id`), oldest first, by message. */
  async revisionsOf(messageIds: string[]): Promise<Map<string, StoredRevision[]>> {
    const out = new Map<string, StoredRevision[]>();
    const ids = messageIds.filter(isUuid);
    if (!ids.length) return out;
    const rows = await this.ctx.manager.find(MessageRevision, { where: { messageId: In(ids) }, order: { replacedAt: 'ASC' } });
    for (const r of rows) {
      const list = out.get(r.messageId) ?? [];
      list.push(revisionFromRow(r));
      out.set(r.messageId, list);
    }
    return out;
  }

  /** A message's earlier versions by its Discord id, oldest first (none when it is not recorded). */
  async revisionsByDiscordId(discordMessageId: string): Promise<StoredRevision[]> {
    const m = await this.ctx.manager.findOne(Message, { where: { discordMessageId }, select: { id: true } });
    return m ? ((await this.revisionsOf([m.id])).get(m.id) ?? []) : [];
  }

  /** A recorded message's reactions per emoji, the emoji first reacted with first. */
  async reactionsByDiscordId(discordMessageId: string): Promise<ReactionCount[]> {
    const rows = await this.ctx.manager
      .createQueryBuilder(Reaction, 'r')
      .innerJoin(Message, 'm', 'm.id = r.message_id')
      .where('m.discord_message_id = :discordMessageId', { discordMessageId })
      .orderBy('r.created_at', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .getMany();
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

  /** A recorded poll's votes per answer (answers voted for only), by answer id. */
  async pollVotesByDiscordId(discordMessageId: string): Promise<PollVoteCount[]> {
    const rows = await this.ctx.manager
      .createQueryBuilder(PollVote, 'v')
      .innerJoin(Message, 'm', 'm.id = v.message_id')
      .where('m.discord_message_id = :discordMessageId', { discordMessageId })
      .orderBy('v.answer_id', 'ASC')
      .addOrderBy('v.created_at', 'ASC')
      .addOrderBy('v.id', 'ASC')
      .getMany();
    const byAnswer = new Map<number, PollVoteCount>();
    for (const r of rows) {
      let c = byAnswer.get(r.answerId);
      if (!c) byAnswer.set(r.answerId, (c = { answerId: r.answerId, users: [] }));
      c.users.push(r.discordUserId);
    }
    return [...byAnswer.values()];
  }
}
