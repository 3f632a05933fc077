import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { compileCron, CronInputError } from '../assistant/cron';
import { bool, int, text, timestamp, varchar } from '../database/column-types';

export const PRESENCE_STATUSES = ['online', 'idle', 'dnd', 'invisible'] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];

export const ACTIVITY_TYPES = ['playing', 'streaming', 'listening', 'watching', 'competing', 'custom'] as const;
export type ActivityKind = (typeof ACTIVITY_TYPES)[number];

/**
 * The bot's presence, as operators write it. At most one row is active (enforced by the store);
 * rows with a `rotation_position` form the rotation; rows with a window (`starts_at`, `ends_at`,
 * `cron_expression`) are in force only inside it. What is live when: src/bot/presence-rules.ts.
 */
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

  /** In the rotation when set: rows are shown in this order (then by id). Null: not in it. */
  @Column(int({ name: 'rotation_position', nullable: true }))
  rotationPosition!: number | null;

  /** How long the row shows in its turn of the rotation (ROTATION_SECONDS_MIN to ROTATION_SECONDS_MAX). */
  @Column(int({ name: 'rotation_seconds', default: 60 }))
  rotationSeconds!: number;

  /** Window: not in force before this instant (null: no lower bound). */
  @Column(timestamp({ name: 'starts_at', nullable: true }))
  startsAt!: Date | null;

  /** Window: not in force from this instant on (null: no upper bound). */
  @Column(timestamp({ name: 'ends_at', nullable: true }))
  endsAt!: Date | null;

  /** Recurring window: in force for `duration_seconds` from each time this cron expression names. */
  @Column(varchar(120, { name: 'cron_expression', nullable: true }))
  cronExpression!: string | null;

  /** IANA time zone of `cron_expression`. */
  @Column(varchar(64, { default: 'UTC' }))
  timezone!: string;

  /** With `cron_expression`: how long each window lasts. */
  @Column(int({ name: 'duration_seconds', nullable: true }))
  durationSeconds!: number | null;

  /** BCP 47 locale for numbers in `{variables}` (null: en-US, e.g. 1,234). */
  @Column(varchar(35, { nullable: true }))
  locale!: string | null;

  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;

  @Column(timestamp({ name: 'updated_at' }))
  updatedAt!: Date;
}

/** Discord's limits for what a bot may show. */
export const ACTIVITY_TEXT_MAX = 128;
/**
 * A rotation turn lasts at least 5 s: Discord allows 5 presence updates per 20 s per connection, so
 * a rotation at the minimum uses 4 of them and leaves one for edits and `{variables}`.
 */
export const ROTATION_SECONDS_MIN = 5;
export const ROTATION_SECONDS_MAX = 86_400;
/** A cron window lasts at most a week. */
export const DURATION_SECONDS_MAX = 7 * 86_400;

/** What `{name}` in the activity text may name; rendered when the presence is applied. */
export const PRESENCE_VARIABLES = ['guilds', 'members', 'channels', 'messages_today', 'users_seen', 'uptime', 'version'] as const;
export type PresenceVariable = (typeof PRESENCE_VARIABLES)[number];
const VARIABLE = /\{([^{}\s]{1,32})\}/g;

/** The `{variables}` a text uses, known or not, each once, in order. */
export function templateVariables(text: string | null): string[] {
  return [...new Set([...(text ?? '').matchAll(VARIABLE)].map((m) => m[1]))];
}

/** The fields that decide when a row is in force. */
export type BotStatusWindow = Pick<BotStatus, 'startsAt' | 'endsAt' | 'cronExpression' | 'timezone' | 'durationSeconds'>;
export type BotStatusFields = Pick<BotStatus, 'status' | 'activityType' | 'activity' | 'url'> & Partial<Pick<BotStatus, 'rotationSeconds' | 'locale'> & BotStatusWindow>;
const STREAM_URL = /^https:\/\/(www\.)?(twitch\.tv|youtube\.com)\/\S+$/i;

/**
 * What is wrong with a presence row, one phrase per problem (empty when it can be applied).
 * Rows may be edited straight in the database, so the bot checks them on read as well as on write.
 */
export function botStatusProblems(row: BotStatusFields): string[] {
  const problems: string[] = [];
  if (!(PRESENCE_STATUSES as readonly string[]).includes(row.status)) problems.push(`status "${row.status}" is not one of ${PRESENCE_STATUSES.join(', ')}`);
  if (!(ACTIVITY_TYPES as readonly string[]).includes(row.activityType)) problems.push(`activity_type "${row.activityType}" is not one of ${ACTIVITY_TYPES.join(', ')}`);
  if (row.activity && row.activity.length > ACTIVITY_TEXT_MAX) problems.push(`activity is ${row.activity.length} characters; Discord allows ${ACTIVITY_TEXT_MAX}`);
  if (row.activityType === 'streaming' && !(row.url && STREAM_URL.test(row.url))) problems.push('streaming needs url to be a https://twitch.tv/… or https://youtube.com/… address');
  if (row.activityType !== 'streaming' && row.url) problems.push('url is only for activity_type streaming');
  const unknown = templateVariables(row.activity).filter((v) => !(PRESENCE_VARIABLES as readonly string[]).includes(v));
  if (unknown.length) problems.push(`activity uses unknown variable${unknown.length > 1 ? 's' : ''} ${unknown.map((v) => `{${v}}`).join(', ')} (known: ${PRESENCE_VARIABLES.map((v) => `{${v}}`).join(' ')})`);
  if (row.rotationSeconds !== undefined && !(Number.isInteger(row.rotationSeconds) && row.rotationSeconds >= ROTATION_SECONDS_MIN && row.rotationSeconds <= ROTATION_SECONDS_MAX))
    problems.push(`rotation_seconds must be a whole number from ${ROTATION_SECONDS_MIN} to ${ROTATION_SECONDS_MAX} (got ${row.rotationSeconds})`);
  if (row.locale) {
    let ok = false;
    try {
      ok = Intl.NumberFormat.supportedLocalesOf(row.locale).length > 0;
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`locale "${row.locale}" is not a locale this runtime knows (e.g. en-US, de-DE, fr)`);
  }
  problems.push(...windowProblems(row));
  return problems;
}

/** What is wrong with a row's window fields (empty when none are set, or they make sense). */
export function windowProblems(row: Partial<BotStatusWindow>): string[] {
  const problems: string[] = [];
  if (row.startsAt && row.endsAt && row.endsAt.getTime() <= row.startsAt.getTime()) problems.push('ends_at must be after starts_at');
  if (row.cronExpression) {
    try {
      compileCron(row.cronExpression, row.timezone || 'UTC').stop();
    } catch (e) {
      problems.push(e instanceof CronInputError ? `${e.field === 'cron' ? 'cron_expression' : 'timezone'}: ${e.message}` : String(e));
    }
    if (!(row.durationSeconds && Number.isInteger(row.durationSeconds) && row.durationSeconds >= 1 && row.durationSeconds <= DURATION_SECONDS_MAX))
      problems.push(`cron_expression needs duration_seconds, a whole number from 1 to ${DURATION_SECONDS_MAX} (got ${row.durationSeconds ?? 'none'})`);
  } else if (row.durationSeconds != null) problems.push('duration_seconds is only for a row with cron_expression');
  return problems;
}
