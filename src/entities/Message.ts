import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { bool, json, snowflake, text, timestamp, uuid, varchar } from '../database/column-types';
import { Session } from './Session';

export const MESSAGE_ROLES = ['user', 'assistant', 'system'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

/** Attachment and embed metadata kept with a message (never the files themselves). */
export interface MessageMetadata {
  /** Discord message type (0 default, 19 reply, 7 member join, 6 pin…). */
  type?: number;
  attachments?: { id: string; filename: string; size: number; contentType?: string | null; url?: string }[];
  embeds?: { type?: string; title?: string; url?: string }[];
  stickers?: string[];
  interaction?: { name?: string; userId?: string };
  /** The bot's ephemeral reply to an interaction (recorded by the command router: only its invoker saw it). */
  ephemeral?: boolean;
}

/**
 * One message. `content` is stored exactly as delivered. PostgreSQL `text` cannot hold U+0000,
 * so content containing NUL (or a backslash, when it also contains NUL) is stored escaped
 * (`\` → `\\`, NUL → `\0`) with `content_escaped = true`; the store decodes it on read, so the
 * round trip is byte-exact on both drivers.
 */
@Entity({ name: 'messages' })
@Index('idx_messages_channel_created', ['channelId', 'createdAt'])
@Index('idx_messages_session_created', ['sessionId', 'createdAt'])
// /stats server: a guild's people's messages in a time window, with their sessions (covering; only the rows it counts).
@Index('idx_messages_guild_created_user', ['guildId', 'createdAt', 'sessionId'], { where: `"role" = 'user' AND "deleted_at" IS NULL` })
@Index('uq_messages_discord_id', ['discordMessageId'], { unique: true })
export class Message {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column(uuid({ name: 'session_id' }))
  sessionId!: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id' })
  session?: Session;

  /** Checked in code against MESSAGE_ROLES. */
  @Column(varchar(16))
  role!: string;

  @Column(text())
  content!: string;

  @Column(bool({ name: 'content_escaped', default: false }))
  contentEscaped!: boolean;

  @Column(snowflake({ name: 'discord_message_id', nullable: true }))
  discordMessageId!: string | null;

  @Column(snowflake({ name: 'channel_id' }))
  channelId!: string;

  @Column(snowflake({ name: 'guild_id', nullable: true }))
  guildId!: string | null;

  /** The message this one replies to (Discord message reference), for reply-chain threads. */
  @Column(snowflake({ name: 'reply_to_id', nullable: true }))
  replyToId!: string | null;

  @Column(json({ nullable: true }))
  metadata!: MessageMetadata | null;

  /** When Discord says the message was sent. */
  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;

  @Column(timestamp({ name: 'edited_at', nullable: true }))
  editedAt!: Date | null;

  @Column(timestamp({ name: 'deleted_at', nullable: true }))
  deletedAt!: Date | null;
}
