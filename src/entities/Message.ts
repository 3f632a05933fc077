import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { bool, json, snowflake, text, timestamp, uuid, varchar } from '../database/column-types';
import { Session } from './Session';

export const MESSAGE_ROLES = ['user', 'assistant', 'system'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

/** An attachment as kept in a message's metadata (the file itself, when kept, is in `attachments`). */
export interface MetadataAttachment {
  id: string;
  filename: string;
  size: number;
  contentType?: string | null;
  url?: string;
}

/** An embed's outline. */
export interface MetadataEmbed {
  type?: string;
  title?: string;
  url?: string;
}

/** A sticker sent with a message (Discord's sticker item: id, name, format type). */
export interface MetadataSticker {
  id: string;
  name: string;
  formatType: number;
}

/**
 * A forwarded message (message_reference type 1): where it came from and what it said when
 * forwarded (Discord's `message_snapshots[0].message`). The forward's own `content` is empty on
 * Discord; the snapshot's text is kept here.
 */
export interface MetadataForward {
  guildId: string | null;
  channelId: string | null;
  messageId: string | null;
  /** The snapshot's text ('' when RECORD_CONTENT is off). */
  content: string;
  /** The origin's type (0 default…), when not 0. */
  type?: number;
  /** When the origin was sent (ISO), as the snapshot says. */
  sentAt?: string | null;
  attachments?: MetadataAttachment[];
  embeds?: MetadataEmbed[];
  stickers?: MetadataSticker[];
}

/** A poll as last seen: question, answers, and its results (final once `finalized`, when it ended). */
export interface MetadataPoll {
  question: string;
  answers: { id: number; text: string | null; emoji: string | null }[];
  /** When it ends (ISO), null for a poll without an end. */
  expiry: string | null;
  allowMultiselect: boolean;
  layoutType?: number;
  /** Votes per answer id as Discord counted them; absent until Discord sent some. */
  results?: { counts: { id: number; count: number }[]; finalized: boolean };
}

/** What a message carries beside its text (never the files themselves). */
export interface MessageMetadata {
  /** Discord message type (0 default, 19 reply, 7 member join, 6 pin, 46 poll result…). */
  type?: number;
  attachments?: MetadataAttachment[];
  embeds?: MetadataEmbed[];
  /** Sticker items; a sticker's name alone in rows recorded before stickers kept their id. */
  stickers?: (MetadataSticker | string)[];
  interaction?: { name?: string; userId?: string };
  /** Sent by a webhook (not an interaction's response): the webhook's id (also the author's). */
  webhookId?: string;
  forward?: MetadataForward;
  poll?: MetadataPoll;
  /** Parts of the Discord message the recorder could not read (logged with the message id); the rest is kept. */
  unreadable?: string[];
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
// Full-text search (/search) is hand-written in the MessageSearch migration, outside TypeORM's view:
// SQLite's FTS5 table messages_fts with its triggers, PostgreSQL's GIN index idx_messages_content_fts.
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
