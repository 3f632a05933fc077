import type { Database } from '../database/database';
import type { TranscriptAttachment } from '../database/stores/transcript.store';
import { FORMATS } from './index';
import { writeTranscript, type PartTarget, type TranscriptFormatName, type WriteResult } from './transcript';

export interface ChannelExport {
  channelId: string;
  format: TranscriptFormatName;
  after?: Date | null;
  before?: Date | null;
  includeDeleted?: boolean;
  /** Where a reader finds an archived attachment (default: none, the file is only named). */
  attachmentHref?: (a: TranscriptAttachment) => string | null;
  /** Split into parts of at most this many bytes (Discord's upload limit). */
  maxBytes?: number;
  /** Called after each page with the messages written so far and how many there are at most. */
  onProgress?: (written: number, total: number) => void;
}

/** A channel's transcript in one format, written page by page to the files `target` names. */
export async function exportChannel(db: Database, o: ChannelExport, target: PartTarget): Promise<WriteResult & { total: number }> {
  const range = { after: o.after ?? null, before: o.before ?? null, includeDeleted: o.includeDeleted ?? false };
  const [channel, threads, total] = await Promise.all([db.transcripts.channel(o.channelId), db.transcripts.threads(o.channelId), db.transcripts.count(o.channelId, range)]);
  const info = { channel, threads, after: range.after, before: range.before, exportedAt: new Date(), attachmentHref: o.attachmentHref ?? (() => null) };
  const result = await writeTranscript(FORMATS[o.format], info, db.transcripts.pages(o.channelId, range), target, {
    maxBytes: o.maxBytes,
    onProgress: (n) => o.onProgress?.(n, total),
  });
  return { ...result, total };
}

/** `2026-12-04`, `2026-12-04T10:00`, `2026-12-04T10:00:00Z`… as a Date (a date or time without a zone is UTC); null when it is not one. */
export function parseWhen(text: string): Date | null {
  const t = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(t)) return null;
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(t) || t.length === 10 ? t : `${t}Z`;
  const d = new Date(withZone.replace(' ', 'T'));
  return Number.isNaN(d.getTime()) ? null : d;
}
