import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { bool, snowflake, timestamp, uuid, varchar } from '../database/column-types';
import { Message } from './Message';

/**
 * One person's reaction to a recorded message: a row per (message, emoji, person, super or not),
 * so counts per emoji and who reacted are both a query. `emoji` is the key: a custom emoji's id,
 * or a unicode emoji's text; `emoji_id` / `emoji_name` / `animated` are what Discord sent.
 * `discord_user_id` is the Discord user id of who reacted (a person who never wrote a recorded
 * message has no `users` row, and reacting does not make one).
 */
@Entity({ name: 'reactions' })
@Index('uq_reactions_message_emoji_user', ['messageId', 'emoji', 'discordUserId', 'burst'], { unique: true })
@Index('idx_reactions_user', ['discordUserId'])
export class Reaction {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column(uuid({ name: 'message_id' }))
  messageId!: string;

  @ManyToOne(() => Message, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Message;

  /** A custom emoji's id, or a unicode emoji's text (see `emojiKey`). */
  @Column(varchar(100))
  emoji!: string;

  @Column(snowflake({ name: 'emoji_id', nullable: true }))
  emojiId!: string | null;

  @Column(varchar(100, { name: 'emoji_name', nullable: true }))
  emojiName!: string | null;

  @Column(bool({ default: false }))
  animated!: boolean;

  @Column(snowflake({ name: 'discord_user_id' }))
  discordUserId!: string;

  /** A super reaction (Discord counts them apart from normal ones). */
  @Column(bool({ default: false }))
  burst!: boolean;

  /** When the bot saw the reaction. */
  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;
}

/** The key of an emoji: a custom emoji by its id, a unicode emoji by its text. */
export function emojiKey(emoji: { id?: string | null; name?: string | null }): string | null {
  return emoji.id || emoji.name || null;
}
