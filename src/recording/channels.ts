import type { Driver } from '../database/data-source';
import { boolValue, dateValue } from '../database/sql-values';
import type { RecordedChannel, RecordedChannels } from './events';
import type { Statement } from './statements';

/**
 * Channels as the recording store writes them: one `channels` row per Discord channel or thread,
 * upserted by its Discord id. `upsert` sets what Discord sent (and clears `deleted_at`: Discord
 * says it exists); `delete` sets `deleted_at` once, keeping the name known (THREAD_DELETE sends
 * none) — so a replay, a suffix of what was received in order, ends in the same rows.
 */
const COLS = '"id", "discord_channel_id", "guild_id", "name", "type", "parent_id", "topic", "archived", "created_at", "updated_at", "deleted_at"';

const BY_DRIVER = {
  sqlite: {
    upsert:
      `INSERT INTO "channels" (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) ` +
      'ON CONFLICT ("discord_channel_id") DO UPDATE SET "guild_id" = COALESCE(excluded."guild_id", "channels"."guild_id"), "name" = excluded."name", "type" = excluded."type", ' +
      '"parent_id" = excluded."parent_id", "topic" = excluded."topic", "archived" = excluded."archived", "updated_at" = excluded."updated_at", "deleted_at" = NULL',
    delete:
      `INSERT INTO "channels" (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ` +
      'ON CONFLICT ("discord_channel_id") DO UPDATE SET "name" = COALESCE(excluded."name", "channels"."name"), "parent_id" = COALESCE(excluded."parent_id", "channels"."parent_id"), ' +
      '"deleted_at" = COALESCE("channels"."deleted_at", excluded."deleted_at"), "updated_at" = CASE WHEN "channels"."deleted_at" IS NULL THEN excluded."updated_at" ELSE "channels"."updated_at" END',
  },
  postgres: {
    upsert:
      `INSERT INTO "channels" (${COLS}) VALUES ($1::uuid, $2, $3, $4, $5::integer, $6, $7, $8::boolean, $9::timestamptz, $10::timestamptz, NULL) ` +
      'ON CONFLICT ("discord_channel_id") DO UPDATE SET "guild_id" = COALESCE(excluded."guild_id", "channels"."guild_id"), "name" = excluded."name", "type" = excluded."type", ' +
      '"parent_id" = excluded."parent_id", "topic" = excluded."topic", "archived" = excluded."archived", "updated_at" = excluded."updated_at", "deleted_at" = NULL',
    delete:
      `INSERT INTO "channels" (${COLS}) VALUES ($1::uuid, $2, $3, $4, $5::integer, $6, $7, $8::boolean, $9::timestamptz, $10::timestamptz, $11::timestamptz) ` +
      'ON CONFLICT ("discord_channel_id") DO UPDATE SET "name" = COALESCE(excluded."name", "channels"."name"), "parent_id" = COALESCE(excluded."parent_id", "channels"."parent_id"), ' +
      '"deleted_at" = COALESCE("channels"."deleted_at", excluded."deleted_at"), "updated_at" = CASE WHEN "channels"."deleted_at" IS NULL THEN excluded."updated_at" ELSE "channels"."updated_at" END',
  },
} satisfies Record<Driver, Record<string, string>>;

/** The statement for one channel of a channel event; `id` is the new row's (when there is none yet). */
export function channelStatement(driver: Driver, e: RecordedChannels, c: RecordedChannel, id: string): Statement {
  const at = dateValue(driver, e.seenAt);
  const params = [id, c.id, c.guildId, c.name, c.type, c.parentId, c.topic, boolValue(driver, c.archived), at, at];
  if (e.action === 'upsert') return { sql: BY_DRIVER[driver].upsert, params };
  return { sql: BY_DRIVER[driver].delete, params: [...params, at] };
}
