import { MessageReferenceType, MessageType, type APIAttachment, type APIEmbed, type APIMessage, type APIPoll, type APIStickerItem } from 'discord.js';
import type { MessageMetadata, MetadataAttachment, MetadataEmbed, MetadataForward, MetadataPoll, MetadataSticker } from '../entities/Message';

/** A part of a message's metadata the recorder could not read, and why. */
export interface MetadataProblem {
  part: string;
  error: string;
}

/**
 * What a Discord message carries beside its text, as kept in `messages.metadata` (discord.js
 * types in, plain objects out). Each part is read on its own: a malformed one (a poll without
 * answers, a snapshot that is not an object…) is left out and named in `unreadable` and in
 * `problems` (the recorder logs them with the message id), and the rest is kept. `recordContent`
 * false (RECORD_CONTENT=false) leaves out the text a person wrote: a forward's snapshot text and a
 * poll's question and answers.
 */
export function metadataOf(d: APIMessage, recordContent: boolean): { metadata: MessageMetadata | null; problems: MetadataProblem[] } {
  const meta: MessageMetadata = {};
  const problems: MetadataProblem[] = [];
  const part = (name: string, read: () => void) => {
    try {
      read();
    } catch (e) {
      problems.push({ part: name, error: (e as Error).message });
    }
  };
  if (d.type !== MessageType.Default) meta.type = d.type;
  part('attachments', () => {
    if (d.attachments?.length) meta.attachments = d.attachments.map(attachmentOf);
  });
  part('embeds', () => {
    if (d.embeds?.length) meta.embeds = d.embeds.map(embedOf);
  });
  part('stickers', () => {
    if (d.sticker_items?.length) meta.stickers = d.sticker_items.map(stickerOf);
  });
  part('interaction', () => {
    const im = d.interaction_metadata;
    if (im) meta.interaction = { name: (im as { name?: string }).name, userId: im.user.id };
  });
  part('webhook', () => {
    // An interaction's response carries the application's id as webhook_id: that is the bot speaking, not a webhook.
    if (d.webhook_id && !d.interaction_metadata && !d.interaction) meta.webhookId = str(d.webhook_id, 'webhook_id');
  });
  part('forward', () => {
    if (d.message_reference?.type === MessageReferenceType.Forward) meta.forward = forwardOf(d, recordContent);
  });
  part('poll', () => {
    if (d.poll) meta.poll = pollOf(d.poll, recordContent);
  });
  if (problems.length) meta.unreadable = problems.map((p) => p.part);
  return { metadata: Object.keys(meta).length ? meta : null, problems };
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what} is not a string`);
  return v;
}

function int(v: unknown, what: string): number {
  if (!Number.isSafeInteger(v)) throw new Error(`${what} is not an integer`);
  return v as number;
}

function list<T>(v: T[] | undefined | null, what: string): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Error(`${what} is not a list`);
  return v;
}

function attachmentOf(a: APIAttachment): MetadataAttachment {
  return { id: str(a.id, 'attachment id'), filename: a.filename, size: a.size, contentType: a.content_type ?? null, url: a.url };
}

function embedOf(e: APIEmbed): MetadataEmbed {
  return { type: e.type, title: e.title, url: e.url };
}

function stickerOf(s: APIStickerItem): MetadataSticker {
  return { id: str(s.id, 'sticker id'), name: str(s.name, 'sticker name'), formatType: int(s.format_type, 'sticker format_type') };
}

/** A forward's origin (its message_reference) and its snapshot, which must be there. */
function forwardOf(d: APIMessage, recordContent: boolean): MetadataForward {
  const ref = d.message_reference!;
  const snapshot = list(d.message_snapshots, 'message_snapshots')[0]?.message;
  if (!snapshot || typeof snapshot !== 'object') throw new Error('a forward without a message snapshot');
  const f: MetadataForward = {
    guildId: ref.guild_id ?? null,
    channelId: ref.channel_id ?? null,
    messageId: ref.message_id ?? null,
    content: recordContent ? str(snapshot.content ?? '', 'snapshot content').toWellFormed() : '',
  };
  if (snapshot.type !== undefined && snapshot.type !== MessageType.Default) f.type = int(snapshot.type, 'snapshot type');
  if (snapshot.timestamp) f.sentAt = str(snapshot.timestamp, 'snapshot timestamp');
  const attachments = list(snapshot.attachments, 'snapshot attachments');
  if (attachments.length) f.attachments = attachments.map(attachmentOf);
  const embeds = list(snapshot.embeds, 'snapshot embeds');
  if (embeds.length) f.embeds = embeds.map(embedOf);
  const stickers = list(snapshot.sticker_items, 'snapshot sticker_items');
  if (stickers.length) f.stickers = stickers.map(stickerOf);
  return f;
}

function pollOf(p: APIPoll, recordContent: boolean): MetadataPoll {
  if (typeof p !== 'object') throw new Error('poll is not an object');
  const answers = list(p.answers, 'poll answers');
  if (!answers.length) throw new Error('a poll without answers');
  const text = (t: unknown, what: string) => (recordContent && t !== undefined && t !== null ? str(t, what).toWellFormed() : null);
  const poll: MetadataPoll = {
    question: text(p.question?.text, 'poll question') ?? '',
    answers: answers.map((a) => {
      const e = a.poll_media?.emoji;
      return { id: int(a.answer_id, 'poll answer_id'), text: text(a.poll_media?.text, 'poll answer text'), emoji: e ? (e.id ?? e.name ?? null) : null };
    }),
    expiry: p.expiry ? str(p.expiry, 'poll expiry') : null,
    allowMultiselect: p.allow_multiselect === true,
  };
  if (p.layout_type !== undefined && p.layout_type !== 1) poll.layoutType = int(p.layout_type, 'poll layout_type');
  if (p.results) {
    const counts = list(p.results.answer_counts, 'poll answer_counts').map((c) => ({ id: int(c.id, 'poll result id'), count: int(c.count, 'poll result count') }));
    poll.results = { counts, finalized: p.results.is_finalized === true };
  }
  return poll;
}
