import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { int, snowflake, timestamp, uuid } from '../database/column-types';
import { Message } from './Message';

/**
 * One person's vote for one answer of a recorded poll (MESSAGE_POLL_VOTE_ADD / _REMOVE): a row per
 * (message, answer, person), so who voted for what and the counts are both a query. `answer_id`
 * is Discord's (the poll's answers, in `messages.metadata.poll`, are numbered from 1).
 * `discord_user_id` is who voted (a person who never wrote a recorded message has no `users` row,
 * and voting does not make one).
 */
@Entity({ name: 'poll_votes' })
@Index('uq_poll_votes_message_answer_user', ['messageId', 'answerId', 'discordUserId'], { unique: true })
@Index('idx_poll_votes_user', ['discordUserId'])
export class PollVote {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column(uuid({ name: 'message_id' }))
  messageId!: string;

  @ManyToOne(() => Message, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Message;

  @Column(int({ name: 'answer_id' }))
  answerId!: number;

  @Column(snowflake({ name: 'discord_user_id' }))
  discordUserId!: string;

  /** When the bot saw the vote. */
  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;
}
