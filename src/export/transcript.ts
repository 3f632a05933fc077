import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { TranscriptAttachment, TranscriptChannel, TranscriptMessage, TranscriptThread } from '../database/stores/transcript.store';

export const TRANSCRIPT_FORMATS = ['html', 'json', 'txt', 'csv'] as const;
export type TranscriptFormatName = (typeof TRANSCRIPT_FORMATS)[number];

/** What every part of a transcript starts with: the channel, its threads, the range asked for. */
export interface TranscriptInfo {
  channel: TranscriptChannel;
  threads: TranscriptThread[];
  after: Date | null;
  before: Date | null;
  exportedAt: Date;
  /** Where an archived attachment's file is for a reader of the file (a link), or null when it has none. */
  attachmentHref(a: TranscriptAttachment): string | null;
}

/** The part being written: numbered from 1 (a transcript that fits in one file is part 1). */
export interface PartInfo {
  number: number;
  /** Messages already written in this part. */
  messages: number;
}

/**
 * A transcript format: a header, one chunk per message, a footer. Every part of a split
 * transcript is a whole file of its format (header and footer included), so each opens on its own.
 */
export interface TranscriptFormat {
  name: TranscriptFormatName;
  extension: string;
  contentType: string;
  header(info: TranscriptInfo, part: PartInfo): string;
  /** One message; `part.messages` is how many this part already has (JSON puts commas between them). */
  message(m: TranscriptMessage, info: TranscriptInfo, part: PartInfo): string;
  footer(info: TranscriptInfo, part: PartInfo): string;
}

/** A file a transcript part was written to. */
export interface WrittenPart {
  path: string;
  bytes: number;
  messages: number;
}

export interface WriteResult {
  parts: WrittenPart[];
  messages: number;
}

/** Where parts go: a new file for each part number. */
export type PartTarget = (number: number) => string;

/**
 * Writes a transcript page by page to files, with backpressure (memory stays flat: one page of
 * messages and one write buffer at a time). With `maxBytes`, a part that would grow past it is
 * closed (footer written) and the next message starts a new part; a single message larger than
 * that on its own still gets its part.
 */
export async function writeTranscript(
  format: TranscriptFormat,
  info: TranscriptInfo,
  pages: AsyncIterable<TranscriptMessage[]>,
  target: PartTarget,
  opts: { maxBytes?: number; onProgress?: (messages: number) => void } = {},
): Promise<WriteResult> {
  const parts: WrittenPart[] = [];
  let total = 0;
  let current: { out: WriteStream; bytes: number; info: PartInfo; path: string } | null = null;
  const write = async (s: string) => {
    const c = current!;
    c.bytes += Buffer.byteLength(s);
    if (!c.out.write(s)) await once(c.out, 'drain');
  };
  const open = async () => {
    const part: PartInfo = { number: parts.length + 1, messages: 0 };
    const file = target(part.number);
    current = { out: createWriteStream(file), bytes: 0, info: part, path: file };
    await write(format.header(info, part));
  };
  const close = async () => {
    const c = current!;
    await write(format.footer(info, c.info));
    c.out.end();
    await once(c.out, 'close');
    parts.push({ path: c.path, bytes: c.bytes, messages: c.info.messages });
    current = null;
  };
  try {
    await open();
    for await (const page of pages) {
      for (const m of page) {
        let chunk = format.message(m, info, current!.info);
        if (opts.maxBytes && current!.info.messages > 0) {
          const footer = Buffer.byteLength(format.footer(info, current!.info));
          if (current!.bytes + Buffer.byteLength(chunk) + footer > opts.maxBytes) {
            await close();
            await open();
            chunk = format.message(m, info, current!.info);
          }
        }
        await write(chunk);
        current!.info.messages++;
        total++;
      }
      opts.onProgress?.(total);
    }
    await close();
  } catch (e) {
    const c = current as { out: WriteStream } | null;
    c?.out.destroy();
    throw e;
  }
  return { parts, messages: total };
}

/** A display name: the nick or global name, else the username, else a placeholder. */
export function authorName(a: TranscriptMessage['author']): string {
  if (!a) return 'unknown';
  return a.displayName || a.username || a.discordUserId || 'unknown';
}

/** A link to the message (or channel) on Discord. */
export function discordLink(guildId: string | null, channelId: string, messageId?: string | null): string {
  return `https://discord.com/channels/${guildId ?? '@me'}/${channelId}${messageId ? `/${messageId}` : ''}`;
}

/** A part's file name: `base.ext` when the transcript is one part, `base-part2-of-3.ext` when split. */
export function partFileName(base: string, ext: string, number: number, total: number): string {
  return total === 1 ? `${base}.${ext}` : `${base}-part${number}-of-${total}.${ext}`;
}
