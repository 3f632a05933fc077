import type { TranscriptFormat } from './transcript';

/** The version of the JSON transcript layout (docs/export.schema.json); a change to it changes this. */
export const JSON_TRANSCRIPT_VERSION = 1;

/**
 * JSON: one object per part — `format`, `version`, `exportedAt`, `part`, `range`, `channel`,
 * `threads`, then `messages` (every field the transcript store gives, one message per line) and
 * `messageCount`. Dates are ISO 8601 strings (UTC). Described by docs/export.schema.json.
 */
export const jsonFormat: TranscriptFormat = {
  name: 'json',
  extension: 'json',
  contentType: 'application/json',
  header(info, part) {
    const head = {
      format: 'chronicle-transcript',
      version: JSON_TRANSCRIPT_VERSION,
      exportedAt: info.exportedAt.toISOString(),
      part: part.number,
      range: { after: info.after?.toISOString() ?? null, before: info.before?.toISOString() ?? null },
      channel: info.channel,
      threads: info.threads,
    };
    const text = JSON.stringify(head, null, 2);
    return `${text.slice(0, -2)},\n  "messages": [`;
  },
  message(m, _info, part) {
    return `${part.messages ? ',' : ''}\n    ${JSON.stringify(m)}`;
  },
  footer(_info, part) {
    return `${part.messages ? '\n  ' : ''}],\n  "messageCount": ${part.messages}\n}\n`;
  },
};
