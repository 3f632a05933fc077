import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bool, text, timestamp, varchar } from '../database/column-types';

export const PRESENCE_STATUSES = ['online', 'idle', 'dnd', 'invisible'] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];

export const ACTIVITY_TYPES = ['playing', 'streaming', 'listening', 'watching', 'competing', 'custom'] as const;
export type ActivityKind = (typeof ACTIVITY_TYPES)[number];

/** The bot's presence, as operators write it. At most one row is active (enforced by the store). */
@Entity({ name: 'bot_status' })
@Index('idx_bot_status_active', ['isActive'])
export class BotStatus {
  /** Operator-chosen id, e.g. `bot-1`. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  /** Checked in code against PRESENCE_STATUSES: a bad row is logged and skipped, never applied. */
  @Column(varchar(16, { default: 'online' }))
  status!: string;

  /** Checked in code against ACTIVITY_TYPES. */
  @Column(varchar(16, { name: 'activity_type', default: 'playing' }))
  activityType!: string;

  @Column(text({ nullable: true }))
  activity!: string | null;

  /** Streaming only: a twitch.tv or youtube.com URL. */
  @Column(text({ nullable: true }))
  url!: string | null;

  @Column(bool({ name: 'is_active', default: false }))
  isActive!: boolean;

  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;

  @Column(timestamp({ name: 'updated_at' }))
  updatedAt!: Date;
}

/** Discord's limits for what a bot may show. */
export const ACTIVITY_TEXT_MAX = 128;
const STREAM_URL = /^https:\/\/(www\.)?(twitch\.tv|youtube\.com)\/\S+$/i;

/**
 * What is wrong with a presence row, one phrase per problem (empty when it can be applied).
 * Rows may be edited straight in the database, so the bot checks them on read as well as on write.
 */
export function botStatusProblems(row: Pick<BotStatus, 'status' | 'activityType' | 'activity' | 'url'>): string[] {
  const problems: string[] = [];
  if (!(PRESENCE_STATUSES as readonly string[]).includes(row.status)) problems.push(`status "${row.status}" is not one of ${PRESENCE_STATUSES.join(', ')}`);
  if (!(ACTIVITY_TYPES as readonly string[]).includes(row.activityType)) problems.push(`activity_type "${row.activityType}" is not one of ${ACTIVITY_TYPES.join(', ')}`);
  if (row.activity && row.activity.length > ACTIVITY_TEXT_MAX) problems.push(`activity is ${row.activity.length} characters; Discord allows ${ACTIVITY_TEXT_MAX}`);
  if (row.activityType === 'streaming' && !(row.url && STREAM_URL.test(row.url))) problems.push('streaming needs url to be a https://twitch.tv/… or https://youtube.com/… address');
  if (row.activityType !== 'streaming' && row.url) problems.push('url is only for activity_type streaming');
  return problems;
}
