import type { Driver } from '../database/data-source';
import { boolValue, dateValue } from '../database/sql-values';
import type { RecordedReaction } from './events';
import type { Statement } from './statements';

/**
 * Reactions as the recording store writes them: one `reactions` row per (message, emoji, person,
 * super or not), for recorded messages only (a reaction to a message never recorded changes
 * nothing). Adding is an insert that skips a row already there, removing a delete, so a replay —
 * a suffix of what was received, in order — ends in the same rows.
 */
const BY_DRIVER = {
  sqlite: {
    add:
      'INSERT INTO "reactions" ("id", "message_id", "emoji", "emoji_id", "emoji_name", "animated", "discord_user_id", "burst", "created_at") ' +
      'SELECT ?, m."id", ?, ?, ?, ?, ?, ?, ? FROM "messages" m WHERE m."discord_message_id" = ? ' +
      'ON CONFLICT ("message_id", "emoji", "discord_user_id", "burst") DO NOTHING',
    remove: 'DELETE FROM "reactions" WHERE "message_id" IN (SELECT "id" FROM "messages" WHERE "discord_message_id" = ?) AND "emoji" = ? AND "discord_user_id" = ? AND "burst" = ?',
    removeAll: 'DELETE FROM "reactions" WHERE "message_id" IN (SELECT "id" FROM "messages" WHERE "discord_message_id" = ?)',
    removeEmoji: 'DELETE FROM "reactions" WHERE "message_id" IN (SELECT "id" FROM "messages" WHERE "discord_message_id" = ?) AND "emoji" = ?',
  },
  postgres: {
    add:
      'INSERT INTO "reactions" ("id", "message_id", "emoji", "emoji_id", "emoji_name", "animated", "discord_user_id", "burst", "created_at") ' +
      'SELECT $1::uuid, m."id", $2::varchar, $3::varchar, $4::varchar, $5::boolean, $6::varchar, $7::boolean, $8::timestamptz FROM "messages" m WHERE m."discord_message_id" = $9 ' +
      'ON CONFLICT ("message_id", "emoji", "discord_user_id", "burst") DO NOTHING',
    remove: 'DELETE FROM "reactions" WHERE "message_id" IN (SELECT "id" FROM "messages" WHERE "discord_message_id" = $1) AND "emoji" = $2 AND "discord_user_id" = $3 AND "burst" = $4',
    removeAll: 'DELETE FROM "reactions" WHERE "message_id" IN (SELECT "id" FROM "messages" WHERE "discord_message_id" = $1)',
    removeEmoji: 'DELETE FROM "reactions" WHERE "message_id" IN (SELECT "id" FROM "messages" WHERE "discord_message_id" = $1) AND "emoji" = $2',
  },
} satisfies Record<Driver, Record<string, string>>;

/** The statement a reaction event runs; `id` is the new row's (used by `add` only). */
export function reactionStatement(driver: Driver, e: RecordedReaction, id: string): Statement {
  const sql = BY_DRIVER[driver];
  const burst = boolValue(driver, e.burst ?? false);
  switch (e.action) {
    case 'add': {
      const em = e.emoji!;
      return { sql: sql.add, params: [id, em.key, em.id, em.name, boolValue(driver, em.animated), e.userId, burst, dateValue(driver, e.createdAt ?? new Date()), e.discordMessageId] };
    }
    case 'remove':
      return { sql: sql.remove, params: [e.discordMessageId, e.emoji!.key, e.userId, burst] };
    case 'remove_all':
      return { sql: sql.removeAll, params: [e.discordMessageId] };
    case 'remove_emoji':
      return { sql: sql.removeEmoji, params: [e.discordMessageId, e.emoji!.key] };
  }
}
