import type { APIAttachment } from 'discord.js';
import type { AttachmentMode } from '../../config';
import type { RecordedAttachment } from '../events';

export interface AttachmentRecording {
  mode: AttachmentMode;
  maxBytes: number;
}

/**
 * A message's attachments as recorded (the recorder's side: discord.js types in, plain objects
 * out). With ATTACHMENTS=off none; with `metadata`, or when the message's content is not recorded
 * (RECORD_CONTENT=false: files are content), rows whose file is not downloaded; over
 * ATTACHMENT_MAX_MB, rows marked `too_large`. A malformed entry (no id or URL) is skipped.
 */
export function attachmentsOf(list: APIAttachment[] | undefined, opts: AttachmentRecording | undefined, recordContent: boolean): RecordedAttachment[] | null {
  if (!list?.length || !opts || opts.mode === 'off') return null;
  const out: RecordedAttachment[] = [];
  for (const a of list) {
    if (typeof a?.id !== 'string' || typeof a.url !== 'string') continue;
    const size = Number.isSafeInteger(a.size) && a.size >= 0 ? a.size : 0;
    const download = opts.mode === 'files' && recordContent;
    out.push({
      id: a.id,
      filename: typeof a.filename === 'string' && a.filename ? a.filename : a.id,
      contentType: a.content_type ?? null,
      size,
      width: Number.isSafeInteger(a.width) ? a.width! : null,
      height: Number.isSafeInteger(a.height) ? a.height! : null,
      url: a.url,
      proxyUrl: typeof a.proxy_url === 'string' && a.proxy_url ? a.proxy_url : null,
      state: !download ? 'metadata' : size > opts.maxBytes ? 'too_large' : 'pending',
    });
  }
  return out.length ? out : null;
}
