import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { timestamp, varchar } from '../database/column-types';

/** `users.channel` of every Discord user. */
export const DISCORD_CHANNEL = 'discord';

/** Someone on a chat channel: for Discord, channel `discord` and their snowflake. */
export interface Person {
  channel: string;
  channelUserId: string;
}

/** `users.username` and `users.display_name` hold this many characters (code points, as PostgreSQL counts). */
export const NAME_MAX = 100;

let graphemes: Intl.Segmenter | null = null;

/**
 * A name as `users` keeps it, the same on both drivers (PostgreSQL refuses a longer value or a NUL;
 * SQLite would keep anything): NUL and lone surrogates become U+FFFD, and a name over NAME_MAX
 * code points is cut at the last whole character (grapheme) that fits — an emoji family is never
 * split. A field's size never costs a message.
 */
export function fitName(name: string): string {
  if (name.length <= NAME_MAX && !name.includes('\u0000') && name.isWellFormed()) return name;
  const clean = name.replaceAll('\u0000', '\uFFFD').toWellFormed();
  if ([...clean].length <= NAME_MAX) return clean;
  graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  let out = '';
  let count = 0;
  for (const { segment } of graphemes.segment(clean)) {
    const n = [...segment].length;
    if (count + n > NAME_MAX) break;
    out += segment;
    count += n;
  }
  return out;
}

/** A person (or bot) on one chat channel: `discord`, `telegram`, `web`… */
@Entity({ name: 'users' })
@Index('uq_users_channel_user', ['channel', 'channelUserId'], { unique: true })
export class User {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column(varchar(32))
  channel!: string;

  /** The id on that channel: for Discord, the user's snowflake. */
  @Column(varchar(64, { name: 'channel_user_id' }))
  channelUserId!: string;

  /** Personal fields: kept current from Discord, erased with the row by `/mydata forget`. */
  @Column(varchar(100, { nullable: true }))
  username!: string | null;

  @Column(varchar(100, { name: 'display_name', nullable: true }))
  displayName!: string | null;

  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;

  @Column(timestamp({ name: 'updated_at' }))
  updatedAt!: Date;
}
