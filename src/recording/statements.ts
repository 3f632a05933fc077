import type { Driver } from '../database/data-source';
import { bulkRows, placeholder, type BulkColumn } from '../database/sql-values';

/**
 * The recording store's SQL. Statements that differ between the drivers are one table keyed by
 * driver (placeholders `?` or `$n`, casts); the bulk ones bind their rows as one JSON text
 * (SQLite) or one array per column (PostgreSQL) through `bulkRows`, so their text is the same in
 * every batch. Lists of ids go through `chunks` and `inList`.
 */

/** Most rows per statement (and ids per `IN (…)` list). */
export const CHUNK_ROWS = 1000;

/** `items` in slices of at most `size`. */
export function* chunks<T>(items: T[], size = CHUNK_ROWS): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** `?, ?, …` or `$first, $first+1, …` for an `IN (…)` list of `n` values. */
export function inList(driver: Driver, n: number, first = 1): string {
  const out: string[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = driver === 'postgres' ? `$${first + k}` : '?';
  return out.join(', ');
}

const MESSAGE_COLUMNS: BulkColumn[] = [
  { name: 'id', type: 'uuid' },
  { name: 'session_id', type: 'uuid' },
  { name: 'role', type: 'text' },
  { name: 'content', type: 'text' },
  { name: 'content_escaped', type: 'boolean' },
  { name: 'discord_message_id', type: 'text' },
  { name: 'channel_id', type: 'text' },
  { name: 'guild_id', type: 'text' },
  { name: 'reply_to_id', type: 'text' },
  { name: 'metadata', type: 'json' },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'edited_at', type: 'timestamptz' },
];
const SESSION_COLUMNS: BulkColumn[] = [
  { name: 'id', type: 'uuid' },
  { name: 'user_id', type: 'uuid' },
  { name: 'channel_id', type: 'text' },
  { name: 'guild_id', type: 'text' },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'updated_at', type: 'timestamptz' },
];
const USER_COLUMNS: BulkColumn[] = [
  { name: 'id', type: 'uuid' },
  { name: 'channel', type: 'text' },
  { name: 'channel_user_id', type: 'text' },
  { name: 'username', type: 'text' },
  { name: 'display_name', type: 'text' },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'updated_at', type: 'timestamptz' },
];
const SESSION_KEY_COLUMNS: BulkColumn[] = [
  { name: 'user_id', type: 'uuid' },
  { name: 'channel_id', type: 'text' },
];
const list = (cols: BulkColumn[]) => cols.map((c) => `"${c.name}"`).join(', ');
const MESSAGE_LIST = list(MESSAGE_COLUMNS);
const SESSION_LIST = list(SESSION_COLUMNS);
const USER_LIST = list(USER_COLUMNS);

/** A session's newest message time (one step down `idx_messages_session_created`). */
const LAST_MESSAGE_AT = `(SELECT m."created_at" FROM "messages" m WHERE m."session_id" = s."id" ORDER BY m."created_at" DESC LIMIT 1)`;

/** The statements whose text differs by driver beyond what `bulkRows` and `inList` cover. */
const BY_DRIVER = {
  sqlite: {
    renameUser: 'UPDATE "users" SET "username" = ?, "display_name" = ?, "updated_at" = ? WHERE "id" = ?',
    editMessage: 'UPDATE "messages" SET "content" = ?, "content_escaped" = ?, "edited_at" = ? WHERE "discord_message_id" = ? AND ("edited_at" IS NULL OR "edited_at" <= ?)',
  },
  postgres: {
    renameUser: 'UPDATE "users" SET "username" = $1, "display_name" = $2, "updated_at" = $3 WHERE "id" = $4',
    editMessage: 'UPDATE "messages" SET "content" = $1, "content_escaped" = $2, "edited_at" = $3 WHERE "discord_message_id" = $4 AND ("edited_at" IS NULL OR "edited_at" <= $3)',
  },
} satisfies Record<Driver, Record<string, string>>;

export interface Statement {
  sql: string;
  params: unknown[];
}

export function statementsFor(driver: Driver) {
  const d = BY_DRIVER[driver];
  return {
    /** New users; a user made meanwhile by someone else is skipped (the count tells). */
    insertUsers: (rows: unknown[][]): Statement => {
      const { from, params } = bulkRows(driver, USER_COLUMNS, rows);
      return { sql: `INSERT INTO "users" (${USER_LIST}) SELECT ${USER_LIST} FROM ${from} WHERE true ON CONFLICT ("channel", "channel_user_id") DO NOTHING`, params };
    },
    renameUser: (id: string, username: string, displayName: string | null, at: unknown): Statement => ({ sql: d.renameUser, params: [username, displayName, at, id] }),
    /** New sessions and continued ones with their new last-message time. */
    upsertSessions: (rows: unknown[][]): Statement => {
      const { from, params } = bulkRows(driver, SESSION_COLUMNS, rows);
      return {
        sql: `INSERT INTO "sessions" (${SESSION_LIST}, "ended_at") SELECT ${SESSION_LIST}, NULL FROM ${from} WHERE true ON CONFLICT ("id") DO UPDATE SET "updated_at" = excluded."updated_at" WHERE "sessions"."updated_at" < excluded."updated_at"`,
        params,
      };
    },
    /** Continued sessions, inserted again only if the row has gone meanwhile. */
    keepSessions: (rows: unknown[][]): Statement => {
      const { from, params } = bulkRows(driver, SESSION_COLUMNS, rows);
      return { sql: `INSERT INTO "sessions" (${SESSION_LIST}, "ended_at") SELECT ${SESSION_LIST}, NULL FROM ${from} WHERE true ON CONFLICT ("id") DO NOTHING`, params };
    },
    /** Messages, idempotent on the Discord message id. */
    insertMessages: (rows: unknown[][]): Statement => {
      const { from, params } = bulkRows(driver, MESSAGE_COLUMNS, rows);
      return { sql: `INSERT INTO "messages" (${MESSAGE_LIST}, "deleted_at") SELECT ${MESSAGE_LIST}, NULL FROM ${from} WHERE true ON CONFLICT ("discord_message_id") DO NOTHING`, params };
    },
    /**
     * An edit, unless the row already holds a newer one: a copy from channel history (reconcile at
     * start) can reach the queue after a live edit of the same message, and must not undo it.
     */
    editMessage: (discordMessageId: string, content: string, escaped: unknown, editedAt: unknown): Statement => ({
      sql: d.editMessage,
      params: driver === 'sqlite' ? [content, escaped, editedAt, discordMessageId, editedAt] : [content, escaped, editedAt, discordMessageId],
    }),
    /** Discord's change to a message's metadata (a poll's results): replaces it, the text untouched. */
    updateMetadata: (discordMessageId: string, metadata: string): Statement => ({
      sql: `UPDATE "messages" SET "metadata" = ${placeholder(driver, 1)} WHERE "discord_message_id" = ${placeholder(driver, 2)}`,
      params: [metadata, discordMessageId],
    }),
    deleteMessages: (ids: string[], deletedAt: unknown): Statement => ({
      sql: `UPDATE "messages" SET "deleted_at" = ${placeholder(driver, 1)} WHERE "deleted_at" IS NULL AND "discord_message_id" IN (${inList(driver, ids.length, 2)})`,
      params: [deletedAt, ...ids],
    }),
    storedMessageIds: (ids: string[]): Statement => ({ sql: `SELECT "discord_message_id" AS id FROM "messages" WHERE "discord_message_id" IN (${inList(driver, ids.length)})`, params: ids }),
    usersByChannelId: (channel: string, ids: string[]): Statement => ({
      sql: `SELECT "id", "channel_user_id" AS cuid, "username", "display_name" FROM "users" WHERE "channel" = ${placeholder(driver, 1)} AND "channel_user_id" IN (${inList(driver, ids.length, 2)})`,
      params: [channel, ...ids],
    }),
    sessionOwners: (ids: string[]): Statement => ({
      sql: `SELECT m."discord_message_id" AS mid, s."user_id" AS uid FROM "messages" m JOIN "sessions" s ON s."id" = m."session_id" WHERE m."discord_message_id" IN (${inList(driver, ids.length)})`,
      params: ids,
    }),
    /** Open sessions of (user, channel) pairs with their newest message time (updated_at may lag it by SESSION_TOUCH_MS). */
    openSessions: (pairs: unknown[][]): Statement => {
      const { from, params } = bulkRows(driver, SESSION_KEY_COLUMNS, pairs);
      return {
        sql:
          `SELECT s."id", s."user_id", s."channel_id", s."updated_at", ${LAST_MESSAGE_AT} AS "last_message_at" FROM ${from} CROSS JOIN "sessions" s ` +
          `WHERE s."user_id" = v."user_id" AND s."channel_id" = v."channel_id" AND s."ended_at" IS NULL`,
        params,
      };
    },
  };
}

export type RecordingStatements = ReturnType<typeof statementsFor>;
