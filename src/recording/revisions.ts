import type { Driver } from '../database/data-source';
import type { Statement } from './statements';

/**
 * Edit history: before the recording store applies an edit to `messages`, the text it replaces is
 * copied to `message_revisions` — in the same transaction, under the same rule as the edit itself
 * (the stored row is older than the edit: `edited_at` null or earlier), and only when the text
 * really changes. An edit that arrives twice (a replay from the journal or the spill file, a
 * reconcile at start) finds the row already at its `edited_at` and adds nothing; the unique
 * (message, replaced_at) index makes sure of it. An older copy arriving after a newer edit
 * changes nothing, as for `messages`.
 */
const BY_DRIVER = {
  sqlite:
    'INSERT INTO "message_revisions" ("id", "message_id", "content", "content_escaped", "edited_at", "replaced_at") ' +
    'SELECT ?, m."id", m."content", m."content_escaped", m."edited_at", ? FROM "messages" m ' +
    'WHERE m."discord_message_id" = ? AND (m."edited_at" IS NULL OR m."edited_at" < ?) AND (m."content" <> ? OR m."content_escaped" <> ?) ' +
    'ON CONFLICT ("message_id", "replaced_at") DO NOTHING',
  postgres:
    'INSERT INTO "message_revisions" ("id", "message_id", "content", "content_escaped", "edited_at", "replaced_at") ' +
    'SELECT $1::uuid, m."id", m."content", m."content_escaped", m."edited_at", $2::timestamptz FROM "messages" m ' +
    'WHERE m."discord_message_id" = $3 AND (m."edited_at" IS NULL OR m."edited_at" < $2::timestamptz) AND (m."content" <> $4 OR m."content_escaped" <> $5) ' +
    'ON CONFLICT ("message_id", "replaced_at") DO NOTHING',
} satisfies Record<Driver, string>;

/**
 * The revision an edit makes, to run just before the edit's UPDATE. `content` and `escaped` are
 * the edit's new text as stored (encoded); `editedAt` in the driver's form.
 */
export function keepRevision(driver: Driver, id: string, discordMessageId: string, content: string, escaped: unknown, editedAt: unknown): Statement {
  return {
    sql: BY_DRIVER[driver],
    params: driver === 'sqlite' ? [id, editedAt, discordMessageId, editedAt, content, escaped] : [id, editedAt, discordMessageId, content, escaped],
  };
}
