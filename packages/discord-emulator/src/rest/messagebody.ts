/** Turns a create/edit message request (JSON or multipart) into message fields, keeping uploaded files. */
import { discordTimestamp, snowflake } from '../snowflake';
import { attachmentObject } from '../state';
import type { EmuAttachment, EmuMessage } from '../types';
import { addError, invalidFormBody } from '../validation';
import { ApiError, Errors, type RestCtx, type UploadedFile } from './router';

export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Bots may send 2000 characters even though the spec (shared with Nitro users) says 4000. */
export const BOT_CONTENT_LIMIT = 2000;

export interface MessageBody {
  content?: string | null;
  embeds?: object[] | null;
  components?: object[] | null;
  attachments?: { id: string | number; filename?: string; description?: string }[] | null;
  flags?: number | null;
  tts?: boolean | null;
  nonce?: string | number | null;
  message_reference?: { message_id?: string; channel_id?: string; type?: number; fail_if_not_exists?: boolean } | null;
  poll?: object | null;
  sticker_ids?: string[] | null;
}

export interface PendingFile {
  attachment: EmuAttachment;
  file: UploadedFile;
}

const EXT_TYPES: Record<string, string> = {
  json: 'application/json; charset=utf-8',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  txt: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
};

export function contentTypeOf(filename: string, declared: string): string {
  if (declared && declared !== 'application/octet-stream') return declared;
  const ext = filename.split('.').pop()?.toLowerCase() ?? '';
  return EXT_TYPES[ext] ?? 'application/octet-stream';
}

export function pngSize(data: Buffer): { width: number; height: number } | null {
  if (data.length >= 24 && data.readUInt32BE(0) === 0x89504e47 && data.toString('ascii', 12, 16) === 'IHDR') {
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  }
  return null;
}

export function checkContentLength(body: MessageBody): void {
  if (typeof body.content === 'string' && body.content.length > BOT_CONTENT_LIMIT) {
    const tree = {};
    addError(tree, ['content'], { code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${BOT_CONTENT_LIMIT} or fewer in length.` });
    throw new ApiError(400, invalidFormBody(tree), 'invalid_body');
  }
}

/** Attachments of the resulting message: kept existing ones plus uploaded files (matched by `files[n]` ↔ attachments[].id = n). */
export function resolveAttachments(ctx: RestCtx, channelId: string, body: MessageBody, existing: EmuAttachment[] | null, ephemeral: boolean): { list: EmuAttachment[] | undefined; pending: PendingFile[] } {
  const files = ctx.files;
  for (const f of files) if (f.data.length > MAX_FILE_BYTES) throw Errors.tooLarge();
  const pending: PendingFile[] = [];
  const used = new Set<UploadedFile>();
  const list: EmuAttachment[] = [];
  const base = ctx.core.baseUrl;
  const make = (file: UploadedFile, meta?: { filename?: string; description?: string }) => {
    const filename = meta?.filename ?? file.filename;
    const contentType = contentTypeOf(filename, file.contentType);
    const a = attachmentObject(base, channelId, { id: snowflake(), filename, size: file.data.length, contentType, description: meta?.description, ephemeral }, ctx.core.cdn);
    const dims = contentType.startsWith('image/') ? pngSize(file.data) : null;
    if (dims) Object.assign(a, dims);
    pending.push({ attachment: a, file });
    used.add(file);
    return a;
  };
  if (Array.isArray(body.attachments)) {
    for (const meta of body.attachments) {
      const id = String(meta.id);
      const kept = existing?.find((a) => a.id === id);
      if (kept) {
        list.push(kept);
        continue;
      }
      const file = files.find((f) => f.index !== null && String(f.index) === id && !used.has(f));
      if (file) list.push(make(file, meta));
    }
  } else if (existing) list.push(...existing);
  for (const f of files) if (!used.has(f)) list.push(make(f));
  const changed = Array.isArray(body.attachments) || files.length > 0;
  return { list: changed || !existing ? list : undefined, pending };
}

let componentIds = 0;
/** Discord numbers every component (`id`) and types embeds as "rich". */
export function normaliseComponents(components: object[] | null | undefined): object[] {
  if (!components) return [];
  componentIds = 0;
  const walk = (c: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...c };
    if (out.id === undefined || out.id === null) out.id = ++componentIds;
    if (Array.isArray(out.components)) out.components = (out.components as Record<string, unknown>[]).map(walk);
    if (out.accessory && typeof out.accessory === 'object') out.accessory = walk(out.accessory as Record<string, unknown>);
    return out;
  };
  return (components as Record<string, unknown>[]).map(walk);
}

export function normaliseEmbeds(embeds: object[] | null | undefined): object[] {
  if (!embeds) return [];
  return embeds.map((e) => ({ type: 'rich', ...e, content_scan_version: 0 }));
}

export function isEmpty(body: MessageBody, attachments: EmuAttachment[] | undefined): boolean {
  return !body.content && !(body.embeds && body.embeds.length) && !(body.components && body.components.length) && !(attachments && attachments.length) && !body.poll && !(body.sticker_ids && body.sticker_ids.length);
}

/** Stores uploaded bytes so tests can read them back and bots can download them from the attachment URL. */
export function commitFiles(ctx: RestCtx, m: EmuMessage, pending: PendingFile[]): void {
  for (const p of pending) {
    ctx.core.state.storeAttachment({
      messageId: m.id,
      channelId: m.channel_id,
      attachmentId: p.attachment.id,
      filename: p.attachment.filename,
      contentType: p.attachment.content_type ?? 'application/octet-stream',
      data: p.file.data,
    });
  }
}

/** Applies an edit body to a message (PATCH message / webhook edit / callback type 7). */
export function applyEdit(ctx: RestCtx, m: EmuMessage, body: MessageBody): PendingFile[] {
  checkContentLength(body);
  if (body.content !== undefined) m.content = body.content ?? '';
  if (body.embeds !== undefined) m.embeds = normaliseEmbeds(body.embeds);
  if (body.components !== undefined) m.components = normaliseComponents(body.components);
  if (body.flags !== undefined && body.flags !== null) {
    // Only SUPPRESS_EMBEDS can be toggled on edit; EPHEMERAL/COMPONENTS_V2 stay as they were.
    m.flags = (m.flags & ~4) | (body.flags & 4);
  }
  const { list, pending } = resolveAttachments(ctx, m.channel_id, body, m.attachments, Boolean(m.flags & 64));
  if (list) m.attachments = list;
  m.edited_timestamp = discordTimestamp();
  return pending;
}
