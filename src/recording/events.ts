import type { MessageMetadata, MessageRole } from '../entities/Message';
import { fitName, type Person } from '../entities/User';

/**
 * What flows through the recording pipeline: plain objects (no discord.js types, no SQL), in the
 * order the bot received them. Message events come from the gateway (and from backfill and the
 * bot's own ephemeral replies); requests come from commands that change recorded data, so a
 * session change or an erasure is ordered with the messages around it. Every event is plain JSON
 * (dates aside): it can wait in the spill file and be replayed by the next start.
 */

/** A Discord author as the recorder sees it. */
export interface RecordedAuthor {
  id: string;
  username: string;
  displayName: string | null;
}

/**
 * The one rule for the name Chronicle keeps for a person: their server nickname, else their
 * global display name, else none (the username is kept beside it); both fitted to the column
 * (`fitName`: the same on both drivers, never a lost message).
 */
export function displayName(nick: string | null | undefined, globalName: string | null | undefined): string | null {
  const name = nick || globalName || null;
  return name === null ? null : fitName(name);
}

/** A Discord author as recorded: the one place names are decided. */
export function recordedAuthor(user: { id: string; username: string; global_name?: string | null }, nick?: string | null): RecordedAuthor {
  return { id: user.id, username: fitName(user.username), displayName: displayName(nick, user.global_name) };
}

export interface RecordedCreate {
  kind: 'create';
  discordMessageId: string;
  channelId: string;
  guildId: string | null;
  author: RecordedAuthor;
  role: MessageRole;
  /** Whose session the message belongs to, when not the author's (the bot's replies). */
  sessionOwner?: RecordedAuthor | null;
  content: string;
  createdAt: Date;
  editedAt?: Date | null;
  replyToId?: string | null;
  metadata?: MessageMetadata | null;
  /** Fetched from channel history (backfill): its author's names are secondhand (no nickname). */
  fromHistory?: boolean;
  /** Files attached (ATTACHMENTS=metadata or files): written to `attachments` with the message. */
  attachments?: RecordedAttachment[] | null;
}

/** An attachment as recorded (attachments/from-discord.ts), with what is to become of its file. */
export interface RecordedAttachment {
  id: string;
  filename: string;
  contentType: string | null;
  size: number;
  width: number | null;
  height: number | null;
  url: string;
  proxyUrl: string | null;
  /** `pending` (to download), `metadata` (not by configuration) or `too_large` (over ATTACHMENT_MAX_MB). */
  state: 'pending' | 'metadata' | 'too_large';
}

export interface RecordedEdit {
  kind: 'edit';
  discordMessageId: string;
  content: string;
  editedAt: Date;
  /** The full message when Discord sent it: lets an edit of a never-recorded message create it. */
  full?: RecordedCreate | null;
}

/**
 * Discord's own change to what a message carries beside its text, with no edit (a poll's results
 * when it ends): the stored metadata is replaced, no revision is kept.
 */
export interface RecordedMetadata {
  kind: 'metadata';
  discordMessageId: string;
  metadata: MessageMetadata;
}

/** A vote on a poll added or taken back (MESSAGE_POLL_VOTE_ADD / _REMOVE). */
export interface RecordedPollVote {
  kind: 'poll_vote';
  action: 'add' | 'remove';
  discordMessageId: string;
  /** Who voted. */
  userId: string;
  answerId: number;
  /** When the bot saw it (`add`). */
  createdAt?: Date;
}

/** A reaction added or removed (`reactions.ts`): one person's, all of one emoji's, or all of a message's. */
export interface RecordedReaction {
  kind: 'reaction';
  action: 'add' | 'remove' | 'remove_all' | 'remove_emoji';
  discordMessageId: string;
  /** Absent for `remove_all`. */
  emoji?: RecordedEmoji;
  /** Who reacted (`add`, `remove`). */
  userId?: string;
  /** A super reaction (`add`, `remove`). */
  burst?: boolean;
  /** When the bot saw it (`add`). */
  createdAt?: Date;
}

/** An emoji as recorded: `key` is a custom emoji's id, else a unicode emoji's text. */
export interface RecordedEmoji {
  key: string;
  id: string | null;
  name: string | null;
  animated: boolean;
}

export interface RecordedDelete {
  kind: 'delete';
  discordMessageIds: string[];
  deletedAt: Date;
}

/**
 * Channels and threads as Discord described them (`channel-events.ts`): `upsert` keeps each row
 * current (and undeletes it: Discord says it exists), `delete` sets `deleted_at` and keeps the row.
 */
export interface RecordedChannels {
  kind: 'channel';
  action: 'upsert' | 'delete';
  channels: RecordedChannel[];
  /** When the bot learnt it. */
  seenAt: Date;
}

export interface RecordedChannel {
  id: string;
  guildId: string | null;
  name: string | null;
  /** Discord's channel type (an integer). */
  type: number;
  parentId: string | null;
  topic: string | null;
  archived: boolean;
}

export type RecordedEvent = RecordedCreate | RecordedEdit | RecordedMetadata | RecordedDelete | RecordedReaction | RecordedPollVote | RecordedChannels;

/** Erase a person (`/mydata forget`, `/privacy forget`): applied after everything received before it. */
export interface ForgetRequest {
  kind: 'forget';
  /** Matches the request to the command waiting for its result (absent once replayed from disk). */
  ticket: string;
  person: Person;
  /** Their messages dropped from the queue before being written: erased too, and counted so. */
  dropped?: number;
}

/**
 * A command's change to a person's session in a channel: `ensure` (the open one, made when
 * missing: `/run`), `fresh` (end the open one and start another: `/session new`), `end`.
 */
export interface SessionRequest {
  kind: 'session';
  ticket: string;
  action: 'ensure' | 'fresh' | 'end';
  person: RecordedAuthor;
  channelId: string;
  guildId: string | null;
}

export type RecordingRequest = ForgetRequest | SessionRequest;

/**
 * An event in the write queue. `seq` is its number in arrival order, given by the queue (and kept
 * across restarts): the journal and the spill file both carry it, so what is in both is replayed
 * once and what is committed not at all.
 */
export type QueuedEvent = (RecordedEvent | RecordingRequest) & { seq?: number };

export function isRequest(e: QueuedEvent): e is RecordingRequest {
  return e.kind === 'forget' || e.kind === 'session';
}

/** The Discord message ids an event is about (for logs). */
export function messageIds(e: QueuedEvent): string[] {
  if (e.kind === 'delete') return e.discordMessageIds;
  if (e.kind === 'create' || e.kind === 'edit' || e.kind === 'metadata' || e.kind === 'reaction' || e.kind === 'poll_vote') return [e.discordMessageId];
  return [];
}

/** Whether a message event is by or for the Discord user (what erasing them drops while staged). */
export function concerns(e: QueuedEvent, discordUserId: string): boolean {
  if (e.kind === 'create') return e.author.id === discordUserId || e.sessionOwner?.id === discordUserId;
  if (e.kind === 'edit') return !!e.full && (e.full.author.id === discordUserId || e.full.sessionOwner?.id === discordUserId);
  if (e.kind === 'reaction' || e.kind === 'poll_vote') return e.userId === discordUserId;
  return false;
}

const DATE_KEYS = new Set(['createdAt', 'editedAt', 'deletedAt', 'seenAt']);

/** JSON → event, with its dates back as Dates. */
export function reviveEvent(raw: QueuedEvent): QueuedEvent {
  const revive = (o: Record<string, unknown>) => {
    for (const k of Object.keys(o)) {
      const v = o[k];
      // An ISO string, or epoch milliseconds (the journal writes those: cheaper).
      if (DATE_KEYS.has(k) && (typeof v === 'string' || typeof v === 'number')) o[k] = new Date(v);
      else if (v && typeof v === 'object' && !Array.isArray(v) && k === 'full') revive(v as Record<string, unknown>);
    }
    return o;
  };
  return revive(raw as unknown as Record<string, unknown>) as unknown as QueuedEvent;
}
