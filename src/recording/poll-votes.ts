import type { Driver } from '../database/data-source';
import { dateValue } from '../database/sql-values';
import type { RecordedPollVote } from './events';
import type { Statement } from './statements';

/**
 * Poll votes as the recording store writes them: one `poll_votes` row per (message, answer,
 * person), for recorded messages only (a vote on a poll never recorded changes nothing). Adding is
 * an insert that skips a row already there, removing a delete, so a replay — a suffix of what was
 * received, in order — ends in the same rows (as for reactions, reactions.ts).
 */
const BY_DRIVER = {
  sqlite: {
    add:
      'INSERT INTO "poll_votes" ("id", "message_id", "answer_id", "discord_user_id", "created_at") ' +
      'SELECT ?, m."id", ?, ?, ? FROM "messages" m WHERE m."discord_message_id" = ? ' +
      'ON CONFLICT ("message_id", "answer_id", "discord_user_id") DO NOTHING',
    remove: 'DELETE FROM "poll_votes" WHERE "message_id" IN (SELECT "id" FROM "messages" WHERE "discord_message_id" = ?) AND "answer_id" = ? AND "discord_user_id" = ?',
  },
  postgres: {
    add:
      'INSERT INTO "poll_votes" ("id", "message_id", "answer_id", "discord_user_id", "created_at") ' +
      'SELECT $1::uuid, m."id", $2::integer, $3::varchar, $4::timestamptz FROM "messages" m WHERE m."discord_message_id" = $5 ' +
      'ON CONFLICT ("message_id", "answer_id", "discord_user_id") DO NOTHING',
    remove: 'DELETE FROM "poll_votes" WHERE "message_id" IN (SELECT "id" FROM "messages" WHERE "discord_message_id" = $1) AND "answer_id" = $2 AND "discord_user_id" = $3',
  },
} satisfies Record<Driver, Record<string, string>>;

/** The statement a poll vote event runs; `id` is the new row's (used by `add` only). */
export function pollVoteStatement(driver: Driver, e: RecordedPollVote, id: string): Statement {
  const sql = BY_DRIVER[driver];
  if (e.action === 'add') return { sql: sql.add, params: [id, e.answerId, e.userId, dateValue(driver, e.createdAt ?? new Date()), e.discordMessageId] };
  return { sql: sql.remove, params: [e.discordMessageId, e.answerId, e.userId] };
}
