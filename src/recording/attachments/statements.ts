import type { Driver } from '../../database/data-source';
import { bulkRows, type BulkColumn } from '../../database/sql-values';
import { uuidV7 } from '../../database/uuid-v7';
import type { RecordedCreate } from '../events';
import type { Statement } from '../statements';

const COLUMNS: BulkColumn[] = [
  { name: 'id', type: 'uuid' },
  { name: 'discord_message_id', type: 'text' },
  { name: 'discord_attachment_id', type: 'text' },
  { name: 'filename', type: 'text' },
  { name: 'content_type', type: 'text' },
  { name: 'size', type: 'integer' },
  { name: 'width', type: 'integer' },
  { name: 'height', type: 'integer' },
  { name: 'url', type: 'text' },
  { name: 'proxy_url', type: 'text' },
  { name: 'state', type: 'text' },
  { name: 'created_at', type: 'timestamptz' },
];
const LIST = COLUMNS.map((c) => `v."${c.name}"`).join(', ');
const NAMES = COLUMNS.map((c) => `"${c.name}"`).join(', ');

/** The attachment rows of a batch's messages: [id, discord message id, attachment id, …, state, created_at]. */
export function attachmentRows(creates: RecordedCreate[], now: Date): unknown[][] {
  const rows: unknown[][] = [];
  for (const c of creates) {
    if (!c.attachments) continue;
    for (const a of c.attachments) rows.push([uuidV7(), c.discordMessageId, a.id, a.filename, a.contentType, a.size, a.width, a.height, a.url, a.proxyUrl, a.state, now]);
  }
  return rows;
}

/**
 * Attachments, written in the batch's transaction after its messages: each row joins its message
 * by Discord id (so a message stored earlier, a replay, gets none twice: unique per message and
 * attachment id) and starts with no attempts; `updated_at` is its `created_at`.
 */
export function insertAttachments(driver: Driver, rows: unknown[][]): Statement {
  const { from, params } = bulkRows(driver, COLUMNS, rows);
  return {
    sql:
      `INSERT INTO "attachments" (${NAMES}, "message_id", "attempts", "updated_at") SELECT ${LIST}, m."id", 0, v."created_at" FROM ${from} ` +
      `JOIN "messages" m ON m."discord_message_id" = v."discord_message_id" WHERE true ON CONFLICT ("message_id", "discord_attachment_id") DO NOTHING`,
    params,
  };
}
