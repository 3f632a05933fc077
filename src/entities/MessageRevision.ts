import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { bool, text, timestamp, uuid } from '../database/column-types';
import { Message } from './Message';

/**
 * An earlier version of a message: its content before an edit replaced it. `messages` holds the
 * current text; every edit the recorder applies first copies the text it replaces here (content
 * escaped the same way: see Message). `replaced_at` is the edit's `edited_timestamp`, unique per
 * message, so an edit that arrives twice (a replay) adds one revision.
 */
@Entity({ name: 'message_revisions' })
@Index('uq_message_revisions_message_replaced', ['messageId', 'replacedAt'], { unique: true })
export class MessageRevision {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column(uuid({ name: 'message_id' }))
  messageId!: string;

  @ManyToOne(() => Message, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Message;

  /** The text this version had. */
  @Column(text())
  content!: string;

  @Column(bool({ name: 'content_escaped', default: false }))
  contentEscaped!: boolean;

  /** When this version was written: the edit that made it, or null for the message as first sent. */
  @Column(timestamp({ name: 'edited_at', nullable: true }))
  editedAt!: Date | null;

  /** When the next edit replaced it (that edit's `edited_timestamp`). */
  @Column(timestamp({ name: 'replaced_at' }))
  replacedAt!: Date;
}
