import { Events, MessageFlags, MessageReferenceType, MessageType, PermissionFlagsBits, type Client } from 'discord.js';
import type { GatewayDispatchPayload, APIMessage, GatewayMessageUpdateDispatchData, GatewayMessageDeleteDispatchData, GatewayMessageDeleteBulkDispatchData } from 'discord.js';
import type { MessageRole } from '../entities/Message';
import type { Logger } from '../logger';
import { attachmentsOf, type AttachmentRecording } from './attachments/from-discord';
import { recordedAuthor, type RecordedAuthor, type RecordedCreate, type RecordedEvent } from './events';
import { channelEvent } from './channel-events';
import { metadataOf } from './message-metadata';
import { pollVoteEvent } from './poll-vote-events';
import { reactionEvent } from './reaction-events';
import type { WriteQueue } from './write-queue';

export interface RecorderOptions {
  recordChannels: string[];
  ignoreChannels: string[];
  recordContent: boolean;
  /** ATTACHMENTS and ATTACHMENT_MAX_MB; absent: no attachment rows. */
  attachments?: AttachmentRecording;
}

/** What recording needs in a channel: seeing it, and reading its history (backfill at start). Part of the invite link. */
export const RECORDER_PERMISSIONS = [PermissionFlagsBits.ViewChannel, PermissionFlagsBits.ReadMessageHistory] as const;

/** Message types a person sends; the rest (joins, pins, boosts…) are Discord system messages. */
const PERSON_TYPES = new Set<number>([MessageType.Default, MessageType.Reply, MessageType.ChatInputCommand, MessageType.ContextMenuCommand, MessageType.ThreadStarterMessage]);

/**
 * gateway event → recorder → store. Works from raw MESSAGE_CREATE / MESSAGE_UPDATE /
 * MESSAGE_DELETE / MESSAGE_DELETE_BULK (and MESSAGE_REACTION_*: reaction-events.ts; MESSAGE_POLL_VOTE_*:
 * poll-vote-events.ts; channel and
 * thread dispatches: channel-events.ts) dispatches, so edits and deletes of messages sent before
 * the bot started (never cached) are recorded like any other, and the message cache can stay off.
 * Turns each into a plain RecordedEvent (no discord.js objects past this point) for the queue.
 */
export class Recorder {
  private accepting = false;
  /** The ids of the messages created among `held` (backfill leaves those to their live copy). */
  private heldIds: Set<string> | null = null;
  private botUserId: string | null = null;
  private readonly record: Set<string>;
  private readonly ignore: Set<string>;
  private readonly onRaw = (packet: GatewayDispatchPayload) => this.handle(packet);

  constructor(
    private readonly client: Client,
    private readonly queue: WriteQueue,
    private readonly logger: Logger,
    private readonly opts: RecorderOptions,
  ) {
    this.record = new Set(opts.recordChannels);
    this.ignore = new Set(opts.ignoreChannels);
  }

  start(): void {
    this.accepting = true;
    this.client.on(Events.Raw, this.onRaw);
  }

  /** Stops taking events (shutdown): whatever arrives after this is not recorded. */
  stop(): void {
    this.accepting = false;
    this.client.off(Events.Raw, this.onRaw);
  }

  /** Records an event the bot produced itself where Discord does not echo it (ephemeral replies). */
  push(event: RecordedEvent): void {
    this.out(event);
  }

  /**
   * Holds live events back until release(), while history is read at start (backfill and
   * reconcile go first, so sessions see time order). The queue holds them, in its journal too.
   */
  hold(): void {
    this.heldIds ??= new Set();
    this.queue.hold();
  }

  release(): void {
    this.heldIds = null;
    this.queue.release();
  }

  /**
   * Records messages fetched from channel history, ahead of any held live events; returns how many
   * were new (a message that also arrived live while held is left to its live copy).
   */
  pushHistory(messages: (APIMessage & { guild_id?: string })[]): number {
    let n = 0;
    for (const d of messages) {
      if (this.heldIds?.has(d.id)) continue;
      const ev = this.toCreate(d);
      if (ev) {
        this.queue.push({ ...ev, fromHistory: true }, { ahead: true });
        n++;
      }
    }
    return n;
  }

  /**
   * Records what reconciling channel history at start found (`reconcile.ts`): the current text of
   * messages edited while the bot was away, and the stored messages Discord no longer has. Pushed
   * ahead of the live events held meanwhile, so a live edit or delete received during the start
   * is applied after them. The edits carry no full message: they change stored rows only, never
   * create one (a person erased meanwhile stays erased).
   */
  pushReconciled(edited: APIMessage[], deletedIds: string[]): void {
    for (const d of edited) {
      if (!d.edited_timestamp) continue;
      this.queue.push({ kind: 'edit', discordMessageId: d.id, content: this.opts.recordContent ? this.wellFormed(d.content, d.id) : '', editedAt: new Date(d.edited_timestamp), full: null }, { ahead: true });
    }
    // The time the bot learnt of the delete, as for a live MESSAGE_DELETE.
    if (deletedIds.length) this.queue.push({ kind: 'delete', discordMessageIds: deletedIds, deletedAt: new Date() }, { ahead: true });
  }

  private out(event: RecordedEvent): void {
    if (this.heldIds && event.kind === 'create') this.heldIds.add(event.discordMessageId);
    this.queue.push(event);
  }

  private handle(packet: GatewayDispatchPayload): void {
    if (!this.accepting) return;
    try {
      switch (packet.t) {
        case 'MESSAGE_CREATE': {
          const ev = this.toCreate(packet.d);
          if (ev) this.out(ev);
          break;
        }
        case 'MESSAGE_UPDATE':
          this.onUpdate(packet.d);
          break;
        case 'MESSAGE_DELETE':
          this.onDelete(packet.d);
          break;
        case 'MESSAGE_DELETE_BULK':
          this.onDeleteBulk(packet.d);
          break;
        case 'MESSAGE_REACTION_ADD':
        case 'MESSAGE_REACTION_REMOVE':
        case 'MESSAGE_REACTION_REMOVE_ALL':
        case 'MESSAGE_REACTION_REMOVE_EMOJI':
          if (this.inScope(packet.d.channel_id)) this.out(reactionEvent(packet.t, packet.d));
          break;
        case 'MESSAGE_POLL_VOTE_ADD':
        case 'MESSAGE_POLL_VOTE_REMOVE':
          if (this.inScope(packet.d.channel_id)) this.out(pollVoteEvent(packet.t, packet.d));
          break;
        case 'GUILD_CREATE':
        case 'CHANNEL_CREATE':
        case 'CHANNEL_UPDATE':
        case 'CHANNEL_DELETE':
        case 'THREAD_CREATE':
        case 'THREAD_UPDATE':
        case 'THREAD_DELETE':
        case 'THREAD_LIST_SYNC': {
          const ev = channelEvent(packet.t, packet.d, (id, parentId) => this.inScopeOf(id, parentId));
          if (ev) this.out(ev);
          break;
        }
        case 'READY':
          this.botUserId = packet.d.user.id;
          break;
        default:
      }
    } catch (e) {
      const id = (packet.d as { id?: string; message_id?: string })?.id ?? (packet.d as { message_id?: string })?.message_id;
      this.logger.error({ source: 'recorder', err: (e as Error).message, event: packet.t, messageId: id }, `recorder: could not read ${packet.t}${id ? ` for message ${id}` : ''}; not recorded`);
    }
  }

  /** Whether the channel (or a thread's parent) is in scope: RECORD_CHANNELS / IGNORE_CHANNELS. */
  inScope(channelId: string): boolean {
    if (!this.record.size && !this.ignore.size) return true;
    return this.inScopeOf(channelId, (this.client.channels.cache.get(channelId) as { parentId?: string | null } | undefined)?.parentId ?? null);
  }

  /** The same, for a channel whose parent is known (a channel or thread dispatch: not cached yet). */
  inScopeOf(channelId: string, parentId: string | null): boolean {
    if (!this.record.size && !this.ignore.size) return true;
    if (this.ignore.has(channelId) || (parentId && this.ignore.has(parentId))) return false;
    if (this.record.size) return this.record.has(channelId) || (!!parentId && this.record.has(parentId));
    return true;
  }

  /** Text with a lone surrogate cannot be stored as UTF-8: it is kept with U+FFFD in its place, and said so. */
  private wellFormed(content: string, messageId: string): string {
    if (content.isWellFormed()) return content;
    this.logger.warn({ source: 'recorder', messageId }, `recorder: message ${messageId} has a lone surrogate (invalid UTF-16); stored with U+FFFD in its place`);
    return content.toWellFormed();
  }

  toCreate(d: APIMessage & { guild_id?: string; member?: { nick?: string | null } }): RecordedCreate | null {
    if (!this.inScope(d.channel_id)) return null;
    // A deferred interaction's "thinking…" placeholder: its real content comes with the update.
    if ((d.flags ?? 0) & MessageFlags.Loading) return null;
    const me = this.botUserId ?? this.client.user?.id ?? null;
    const author = recordedAuthor(d.author, d.member?.nick);
    let role: MessageRole = 'user';
    let sessionOwner: RecordedAuthor | null = null;
    if (!PERSON_TYPES.has(d.type)) role = 'system';
    else if (me && d.author.id === me) {
      role = 'assistant';
      const iu = d.interaction_metadata?.user ?? d.interaction?.user;
      if (iu) sessionOwner = recordedAuthor(iu);
    }
    const ref = d.message_reference;
    const ev: RecordedCreate = {
      kind: 'create',
      discordMessageId: d.id,
      channelId: d.channel_id,
      guildId: d.guild_id ?? null,
      author,
      role,
      sessionOwner,
      content: this.opts.recordContent ? this.wellFormed(d.content, d.id) : '',
      createdAt: new Date(d.timestamp),
      editedAt: d.edited_timestamp ? new Date(d.edited_timestamp) : null,
      // A forward's reference is its origin, not a message it answers.
      replyToId: ref?.message_id && ref.type !== MessageReferenceType.Forward && (ref.channel_id ?? d.channel_id) === d.channel_id ? ref.message_id : null,
      metadata: this.metadata(d),
    };
    // Only when there are some: most messages have none, and every event is journalled. A
    // forward's files are its snapshot's (the forward itself has none).
    try {
      const snapshot = ref?.type === MessageReferenceType.Forward ? d.message_snapshots?.[0]?.message : undefined;
      const list = snapshot?.attachments?.length ? [...(d.attachments ?? []), ...snapshot.attachments] : d.attachments;
      const files = attachmentsOf(list, this.opts.attachments, this.opts.recordContent);
      if (files) ev.attachments = files;
    } catch (e) {
      this.logger.warn({ source: 'recorder', messageId: d.id, err: (e as Error).message }, `recorder: message ${d.id}: could not read its attachments; stored without their files`);
    }
    return ev;
  }

  /** The message's metadata (message-metadata.ts); a part that could not be read is logged with the message id. */
  private metadata(d: APIMessage): RecordedCreate['metadata'] {
    const { metadata, problems } = metadataOf(d, this.opts.recordContent);
    for (const p of problems) {
      this.logger.warn({ source: 'recorder', messageId: d.id, part: p.part, err: p.error }, `recorder: message ${d.id}: could not read its ${p.part} (${p.error}); stored with the rest`);
    }
    return metadata;
  }

  private onUpdate(d: GatewayMessageUpdateDispatchData): void {
    if (!this.inScope(d.channel_id)) return;
    if (typeof d.content !== 'string') return;
    if (!d.edited_timestamp) {
      // Not an edit: Discord's own update (link previews, embeds) — or the bot's deferred
      // interaction reply getting its content, which is when that message really appears.
      const me = this.botUserId ?? this.client.user?.id;
      if (me && d.author?.id === me && d.interaction_metadata && d.timestamp) {
        const ev = this.toCreate(d as APIMessage);
        if (ev) this.out(ev);
      } else if (d.poll && d.author && d.timestamp) {
        // A poll's results (Discord sends them when it ends): the metadata changes, no revision is kept.
        const metadata = this.metadata(d as APIMessage);
        if (metadata) this.out({ kind: 'metadata', discordMessageId: d.id, metadata });
      }
      return;
    }
    const full = d.author && d.timestamp ? this.toCreate(d as APIMessage) : null;
    this.out({ kind: 'edit', discordMessageId: d.id, content: this.opts.recordContent ? this.wellFormed(d.content, d.id) : '', editedAt: new Date(d.edited_timestamp), full });
  }

  private onDelete(d: GatewayMessageDeleteDispatchData): void {
    if (!this.inScope(d.channel_id)) return;
    this.out({ kind: 'delete', discordMessageIds: [d.id], deletedAt: new Date() });
  }

  private onDeleteBulk(d: GatewayMessageDeleteBulkDispatchData): void {
    if (!this.inScope(d.channel_id)) return;
    this.out({ kind: 'delete', discordMessageIds: [...d.ids], deletedAt: new Date() });
  }
}
