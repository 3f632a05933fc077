import { stringify } from 'csv-stringify/sync';
import type { TranscriptMessage } from '../database/stores/transcript.store';
import type { TranscriptFormat } from './transcript';

/** The CSV columns, in order (the header row). Lists inside a cell are JSON. */
export const CSV_COLUMNS = [
  'message_id',
  'discord_message_id',
  'created_at',
  'edited_at',
  'deleted_at',
  'author_id',
  'author_username',
  'author_display_name',
  'author_bot',
  'role',
  'content',
  'reply_to_id',
  'revisions',
  'attachments',
  'embeds',
  'reactions',
  'thread_id',
] as const;

const OPTIONS = { record_delimiter: 'windows', escape_formulas: true } as const;

const iso = (d: Date | null) => d?.toISOString() ?? '';

/** One message as a CSV record (csv-stringify quotes and escapes). */
export function csvRecord(m: TranscriptMessage): string[] {
  return [
    m.id,
    m.discordMessageId ?? '',
    iso(m.createdAt),
    iso(m.editedAt),
    iso(m.deletedAt),
    m.author?.discordUserId ?? '',
    m.author?.username ?? '',
    m.author?.displayName ?? '',
    m.author?.bot ? 'true' : 'false',
    m.role,
    m.content,
    m.replyToId ?? '',
    m.revisions.length ? JSON.stringify(m.revisions.map((r) => ({ content: r.content, editedAt: r.editedAt, replacedAt: r.replacedAt }))) : '',
    m.attachments.length ? JSON.stringify(m.attachments.map((a) => ({ filename: a.filename, size: a.size, contentType: a.contentType, state: a.state, storedPath: a.storedPath }))) : '',
    m.metadata?.embeds?.length ? JSON.stringify(m.metadata.embeds) : '',
    m.reactions.length ? JSON.stringify(m.reactions.map((r) => ({ emoji: r.emoji, name: r.emojiName, count: r.count }))) : '',
    m.thread?.discordChannelId ?? '',
  ];
}

/**
 * CSV (RFC 4180, CRLF, UTF-8 with a byte-order mark so spreadsheets read it as UTF-8): a header
 * row, then a record per message. Each part repeats the header. A cell that starts with `=`, `+`,
 * `-`, `@`, tab or CR gets a leading `'` (csv-stringify's escape_formulas), so a spreadsheet never
 * runs message text as a formula; strip it to get the text back.
 */
export const csvFormat: TranscriptFormat = {
  name: 'csv',
  extension: 'csv',
  contentType: 'text/csv; charset=utf-8',
  header() {
    return `\uFEFF${stringify([[...CSV_COLUMNS]], OPTIONS)}`;
  },
  message(m) {
    return stringify([csvRecord(m)], OPTIONS);
  },
  footer() {
    return '';
  },
};
