import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { int, snowflake, text, timestamp, uuid, varchar } from '../database/column-types';
import { Message } from './Message';

/**
 * Where an attachment's file is: `pending` (to download; `attempts` and `error` tell how earlier
 * tries went), `stored` (in the attachment store at `stored_path`, bytes checked by `sha256`),
 * `failed` (given up for now: retried at the next start), `metadata` (not downloaded by
 * configuration: ATTACHMENTS=metadata, RECORD_CONTENT=false), `too_large` (over ATTACHMENT_MAX_MB),
 * `evicted` (deleted to keep the store under ATTACHMENT_STORE_MAX_GB). Checked in code.
 */
export const ATTACHMENT_STATES = ['pending', 'stored', 'failed', 'metadata', 'too_large', 'evicted'] as const;
export type AttachmentState = (typeof ATTACHMENT_STATES)[number];

/**
 * One file attached to a recorded message: Discord's description of it, and the copy Chronicle
 * keeps (content-addressed: the same bytes in several messages are one file, named by their
 * SHA-256). `url` / `proxy_url` are Discord's CDN links, signed and expiring (`ex`, `is`, `hm`):
 * never logged.
 */
@Entity({ name: 'attachments' })
@Index('uq_attachments_message_attachment', ['messageId', 'discordAttachmentId'], { unique: true })
@Index('idx_attachments_state_created', ['state', 'createdAt'])
@Index('idx_attachments_sha256', ['sha256'])
export class Attachment {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column(uuid({ name: 'message_id' }))
  messageId!: string;

  @ManyToOne(() => Message, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Message;

  @Column(snowflake({ name: 'discord_message_id' }))
  discordMessageId!: string;

  @Column(snowflake({ name: 'discord_attachment_id' }))
  discordAttachmentId!: string;

  @Column(text())
  filename!: string;

  @Column(varchar(255, { name: 'content_type', nullable: true }))
  contentType!: string | null;

  /** Bytes, as Discord reports them. */
  @Column(int())
  size!: number;

  @Column(int({ nullable: true }))
  width!: number | null;

  @Column(int({ nullable: true }))
  height!: number | null;

  @Column(text())
  url!: string;

  @Column(text({ name: 'proxy_url', nullable: true }))
  proxyUrl!: string | null;

  /** Hex SHA-256 of the stored bytes. */
  @Column(varchar(64, { nullable: true }))
  sha256!: string | null;

  /** The file's path inside the attachment store (ATTACHMENT_DIR). */
  @Column(varchar(255, { name: 'stored_path', nullable: true }))
  storedPath!: string | null;

  /** Checked in code against ATTACHMENT_STATES. */
  @Column(varchar(16))
  state!: string;

  /** Why the last download failed (never the URL's query string). */
  @Column(text({ nullable: true }))
  error!: string | null;

  /** Download attempts since the last start (a start retries what failed before it). */
  @Column(int({ default: 0 }))
  attempts!: number;

  /** A pending download waits until then after a failed attempt (backoff). */
  @Column(timestamp({ name: 'next_attempt_at', nullable: true }))
  nextAttemptAt!: Date | null;

  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;

  @Column(timestamp({ name: 'updated_at' }))
  updatedAt!: Date;

  @Column(timestamp({ name: 'stored_at', nullable: true }))
  storedAt!: Date | null;
}
