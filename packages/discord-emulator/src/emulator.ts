/** The handle tests, the sandbox and the benchmarks use. */
import { randomBytes } from 'node:crypto';
import { Intents } from './payloads';
import { Core } from './core';
import { flood, type FloodOptions, type FloodResult } from './flood';
import type { EmojiInput } from './reactions';
import { pollObject, type PollInput } from './polls';
import type { EmuWebhook } from './rest/webhooks';
import { HttpServer } from './server';
import { discordTimestamp, snowflake } from './snowflake';
import { contentTypeOf, pngSize } from './rest/messagebody';
import { attachmentObject, type OverwriteInput } from './state';
import { shardOf } from './gateway';
import type { CommandOptionInput, EmuChannel, EmuGuild, EmuMessage, EmuUser, EmulatorOptions, IdentifyRecord, InteractionContext, InteractionResult, PresenceRecord, RequestRecord, StoredAttachment, Violation, WorldEvent } from './types';
import { activeThreads, createThread, deleteChannel, threadListSync, updateChannel, type ThreadInput } from './threads';
import { loadSpec } from './validation';

export class DiscordEmulator {
  private constructor(
    private readonly core: Core,
    private readonly http: HttpServer,
    readonly port: number,
  ) {}

  static async start(opts: EmulatorOptions = {}): Promise<DiscordEmulator> {
    const spec = await loadSpec();
    const core = new Core(spec, opts);
    const http = new HttpServer(core);
    const port = await http.listen(opts.port ?? 0);
    core.port = port;
    core.log(`emulator listening on http://127.0.0.1:${port} (gateway ws://127.0.0.1:${port}/gateway)`);
    return new DiscordEmulator(core, http, port);
  }

  /** 'http://127.0.0.1:PORT/api' — discord.js `rest: { api }`. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }
  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }
  get token(): string {
    return this.core.token;
  }
  get applicationId(): string {
    return this.core.applicationId;
  }
  get botUser(): EmuUser {
    return this.core.state.botUser;
  }

  // ---- world ----

  createGuild(o: { name: string; id?: string; ownerId?: string }): EmuGuild {
    const g = this.core.state.createGuild(o);
    this.core.emit({ type: 'guild_create', guild: g });
    // Discord sends GUILD_CREATE when the bot joins a guild while connected.
    this.core.gateway.dispatch('GUILD_CREATE', null, {
      need: 1,
      guildId: g.id,
      transform: (session) => this.core.gateway.guildCreate(g, session),
    });
    return g;
  }

  /** `permissionOverwrites` (text, voice and forum channels): sent in the channel's payloads (CHANNEL_CREATE, GUILD_CREATE), e.g. a private channel. */
  createChannel(o: { guildId: string; name: string; id?: string; type?: 'text' | 'voice' | 'thread' | 'forum'; parentId?: string; ownerId?: string; permissionOverwrites?: OverwriteInput[] }): EmuChannel {
    const c = this.core.state.createChannel(o);
    this.core.actions.channelCreated(c);
    return c;
  }

  /** A thread (from a message, or without) or a forum post (with its first message), as a person or the bot starts it (threads.ts). */
  createThread(o: ThreadInput): { thread: EmuChannel; message: EmuMessage | null } {
    return createThread(this.core, o);
  }

  /** Renames a channel, changes its topic, or (threads) archives or unarchives it: CHANNEL_UPDATE / THREAD_UPDATE. */
  updateChannel(id: string, o: { name?: string; topic?: string | null; archived?: boolean }): EmuChannel {
    return updateChannel(this.core, id, o);
  }

  /** Deletes a channel (its threads go with it): CHANNEL_DELETE / THREAD_DELETE. */
  deleteChannel(id: string): EmuChannel {
    return deleteChannel(this.core, id);
  }

  activeThreads(guildId: string): EmuChannel[] {
    return activeThreads(this.core, guildId);
  }

  /** Dispatches THREAD_LIST_SYNC with the guild's active threads (of `channelIds`, when given). */
  threadListSync(guildId: string, channelIds?: string[]): void {
    threadListSync(this.core, guildId, channelIds);
  }

  /** A DM channel between the bot and the user (no CHANNEL_CREATE, as on Discord). */
  createDmChannel(userId: string): EmuChannel {
    return this.core.state.createDmChannel(userId);
  }

  createUser(o: { username: string; globalName?: string | null; id?: string; bot?: boolean }): EmuUser {
    return this.core.state.createUser(o);
  }

  addMember(guildId: string, userId: string, o: { nick?: string; permissions?: bigint; admin?: boolean } = {}): void {
    this.core.state.addMember(guildId, userId, o);
    this.core.actions.memberAdded(guildId, userId);
  }

  /** A user sends a message; dispatches MESSAGE_CREATE and returns the dispatched payload. */
  sendMessage(o: {
    channelId: string;
    authorId: string;
    content: string;
    /**
     * Files sent with the message: with `data`, the bytes are kept and served at the attachment's
     * signed CDN link (size, content type and PNG dimensions follow from them); without, only the
     * attachment object is made (its `url` answers 404).
     */
    attachments?: { id?: string; filename: string; data?: Buffer | string; size?: number; contentType?: string; width?: number; height?: number; url?: string }[];
    embeds?: object[];
    replyTo?: string;
    type?: number;
    id?: string;
    timestamp?: Date;
    /** Stickers sent with it (`sticker_items`; format 1 PNG, 2 APNG, 3 Lottie, 4 GIF). */
    stickers?: { id?: string; name: string; formatType?: number }[];
    /** A poll (polls.ts): answer ids from 1. */
    poll?: PollInput;
  }): EmuMessage {
    const { state } = this.core;
    state.channel(o.channelId);
    const files = (o.attachments ?? []).map((a) => {
      const data = a.data === undefined ? null : Buffer.from(a.data);
      const contentType = data ? contentTypeOf(a.filename, a.contentType ?? '') : a.contentType;
      const dims = data && contentType?.startsWith('image/') ? pngSize(data) : null;
      const attachment = attachmentObject(this.core.baseUrl, o.channelId, { ...a, size: a.size ?? data?.length ?? 0, contentType, width: a.width ?? dims?.width, height: a.height ?? dims?.height }, this.core.cdn);
      return { attachment, data };
    });
    const m = state.buildMessage({
      id: o.id,
      channelId: o.channelId,
      author: state.user(o.authorId),
      content: o.content,
      type: o.type,
      timestamp: o.timestamp,
      embeds: o.embeds?.map((e) => ({ type: 'rich', ...e })),
      attachments: files.map((f) => f.attachment),
      replyTo: o.replyTo,
    });
    if (o.stickers?.length) m.sticker_items = o.stickers.map((s) => ({ id: s.id ?? snowflake(), name: s.name, format_type: s.formatType ?? 1 }));
    if (o.poll) m.poll = pollObject(o.poll);
    for (const f of files)
      if (f.data) state.storeAttachment({ messageId: m.id, channelId: o.channelId, attachmentId: f.attachment.id, filename: f.attachment.filename, contentType: f.attachment.content_type ?? 'application/octet-stream', data: f.data });
    return this.core.actions.postMessage(m);
  }

  /**
   * A user forwards a message to a channel: a message of type 0 with empty content, a
   * message_reference of type 1 (FORWARD) to the origin, `message_snapshots` with the origin's
   * content, attachments, embeds and stickers as they are now, and the HAS_SNAPSHOT flag.
   */
  forwardMessage(o: { from: { channelId: string; messageId: string }; channelId: string; authorId: string; id?: string }): EmuMessage {
    const { state } = this.core;
    const origin = this.storedMessage(o.from.channelId, o.from.messageId);
    const m = state.buildMessage({ id: o.id, channelId: o.channelId, author: state.user(o.authorId), content: '', flags: 1 << 14 });
    const guildId = state.channels.get(o.from.channelId)?.guild_id;
    m.message_reference = { type: 1, channel_id: o.from.channelId, message_id: origin.id, ...(guildId ? { guild_id: guildId } : {}) };
    const snapshot: Record<string, unknown> = {
      type: origin.type,
      content: origin.content,
      embeds: origin.embeds,
      attachments: origin.attachments,
      timestamp: origin.timestamp,
      edited_timestamp: origin.edited_timestamp,
      flags: origin.flags,
      mentions: origin.mentions,
      mention_roles: origin.mention_roles,
      components: origin.components,
    };
    if (origin.sticker_items) snapshot.sticker_items = origin.sticker_items;
    m.message_snapshots = [{ message: snapshot }];
    return this.core.actions.postMessage(m);
  }

  /** A webhook in a channel; POST /api/v10/webhooks/{id}/{token} (no Authorization) posts as it (rest/webhooks.ts). */
  createWebhook(o: { channelId: string; name: string }): EmuWebhook {
    this.core.state.channel(o.channelId);
    const hook: EmuWebhook = { id: snowflake(), token: randomBytes(24).toString('base64url'), channelId: o.channelId, name: o.name };
    this.core.state.webhooks.set(hook.id, hook);
    return hook;
  }

  /** Dispatches a message exactly as given (MESSAGE_CREATE, or MESSAGE_UPDATE with `update`), unchecked and not stored: for payloads Discord should never send. */
  dispatchRaw(t: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE', d: Record<string, unknown>): void {
    const channelId = d.channel_id as string;
    this.core.gateway.dispatch(t, d, { need: this.core.state.channels.get(channelId)?.guild_id ? Intents.GUILD_MESSAGES : Intents.DIRECT_MESSAGES });
  }

  editMessage(channelId: string, messageId: string, content: string): EmuMessage {
    const m = this.core.state.findMessage(channelId, messageId);
    if (!m) throw new Error(`emulator: unknown message ${messageId} in ${channelId}`);
    m.content = content;
    m.edited_timestamp = discordTimestamp();
    return this.core.actions.messageUpdated(m);
  }

  deleteMessage(channelId: string, messageId: string): void {
    if (!this.core.actions.deleteMessage(channelId, messageId)) {
      // Unknown (e.g. never stored) messages are still announced, like Discord does for uncached ones.
      const guildId = this.core.state.channels.get(channelId)?.guild_id;
      this.core.gateway.dispatch('MESSAGE_DELETE', { id: messageId, channel_id: channelId, ...(guildId ? { guild_id: guildId } : {}) });
    }
  }

  bulkDeleteMessages(channelId: string, ids: string[]): void {
    this.core.actions.bulkDelete(channelId, ids);
  }

  // ---- reactions (a person's; the bot's own go through REST) ----

  /** A user reacts: MESSAGE_REACTION_ADD (returns its payload; null when they had already reacted so). `emoji`: '👍', 'name:id' or a partial emoji. */
  addReaction(o: { channelId: string; messageId: string; userId: string; emoji: EmojiInput; burst?: boolean }): Record<string, unknown> | null {
    this.core.state.user(o.userId);
    return this.core.reactions.add(this.storedMessage(o.channelId, o.messageId), o.userId, o.emoji, o.burst);
  }

  /** A user takes their reaction back: MESSAGE_REACTION_REMOVE (null when there was none). */
  removeReaction(o: { channelId: string; messageId: string; userId: string; emoji: EmojiInput; burst?: boolean }): Record<string, unknown> | null {
    return this.core.reactions.remove(this.storedMessage(o.channelId, o.messageId), o.userId, o.emoji, o.burst);
  }

  /** A moderator clears every reaction: MESSAGE_REACTION_REMOVE_ALL (null when there were none). */
  removeAllReactions(channelId: string, messageId: string): Record<string, unknown> | null {
    return this.core.reactions.removeAll(this.storedMessage(channelId, messageId));
  }

  /** A moderator clears one emoji: MESSAGE_REACTION_REMOVE_EMOJI (null when nobody reacted with it). */
  removeEmojiReactions(channelId: string, messageId: string, emoji: EmojiInput): Record<string, unknown> | null {
    return this.core.reactions.removeEmoji(this.storedMessage(channelId, messageId), emoji);
  }

  /** Who reacted to a message with an emoji (`burst`: super reactions), in order. */
  reactionUsers(messageId: string, emoji: EmojiInput, burst = false): string[] {
    return this.core.reactions.users(messageId, emoji, burst);
  }

  private storedMessage(channelId: string, messageId: string): EmuMessage {
    const m = this.core.state.store(channelId).byId.get(messageId);
    if (!m) throw new Error(`emulator: unknown message ${messageId} in ${channelId}`);
    return m;
  }

  // ---- polls (a person's votes; polls.ts) ----

  /** A user votes for an answer (ids from 1): MESSAGE_POLL_VOTE_ADD (null when they had already). */
  votePoll(o: { channelId: string; messageId: string; userId: string; answerId: number }): Record<string, unknown> | null {
    this.core.state.user(o.userId);
    return this.core.polls.add(this.storedMessage(o.channelId, o.messageId), o.userId, o.answerId);
  }

  /** A user takes their vote back: MESSAGE_POLL_VOTE_REMOVE (null when there was none). */
  unvotePoll(o: { channelId: string; messageId: string; userId: string; answerId: number }): Record<string, unknown> | null {
    return this.core.polls.remove(this.storedMessage(o.channelId, o.messageId), o.userId, o.answerId);
  }

  /** Ends a poll: MESSAGE_UPDATE with its final results, then the POLL_RESULT message (type 46). */
  endPoll(channelId: string, messageId: string): { update: EmuMessage; result: EmuMessage } {
    return this.core.polls.end(this.storedMessage(channelId, messageId));
  }

  /** Who voted for an answer, in order. */
  pollVoters(messageId: string, answerId: number): string[] {
    return this.core.polls.voters(messageId, answerId);
  }

  // ---- interactions ----

  async runCommand(name: string, options: Record<string, string | number | boolean> | CommandOptionInput[], ctx: InteractionContext): Promise<InteractionResult> {
    return this.core.interactions.runCommand(name, options, ctx);
  }

  async autocomplete(name: string, focused: { name: string; value: string }, ctx: InteractionContext & { options?: Record<string, string | number | boolean> }): Promise<{ name: string; value: string | number }[]> {
    const r = await this.core.interactions.autocomplete(name, focused, ctx);
    if (r.type !== 8) throw new Error(`emulator: autocomplete answered with callback type ${r.type} instead of 8`);
    return r.choices ?? [];
  }

  /** Clicks a button (or picks select values) on a message: resolves like runCommand (7 update, 4 reply, 5/6 deferral + edit). */
  async clickButton(o: { messageId?: string; interaction?: InteractionResult; customId: string; userId: string; channelId: string; values?: string[]; timeoutMs?: number }): Promise<InteractionResult> {
    const id = o.messageId ?? o.interaction?.messageId;
    if (!id) throw new Error('emulator: clickButton needs messageId or an interaction result with a messageId');
    const message = this.core.state.findMessage(o.channelId, id);
    if (!message) throw new Error(`emulator: unknown message ${id} in channel ${o.channelId}`);
    return this.core.interactions.component({ message, customId: o.customId, userId: o.userId, channelId: o.channelId, values: o.values, timeoutMs: o.timeoutMs });
  }

  /** Waits until an interaction has at least `count` follow-ups. */
  waitForFollowups(result: InteractionResult, count = 1, timeoutMs = 5000): Promise<InteractionResult[]> {
    return this.core.interactions.waitForFollowups(result, count, timeoutMs);
  }

  // ---- presence ----

  presence(): PresenceRecord | null {
    const p = this.core.gateway.presences;
    return p.length ? p[p.length - 1] : null;
  }
  presences(): PresenceRecord[] {
    return [...this.core.gateway.presences];
  }
  waitForPresence(pred: (p: PresenceRecord) => boolean, timeoutMs = 5000): Promise<PresenceRecord> {
    return this.core.gateway.waitForPresence(pred, timeoutMs);
  }

  // ---- gateway control ----

  /** Events produced while disconnected are buffered in the session's replay log and replayed on RESUME. */
  disconnect(o: { resumable: boolean; closeCode?: number }): void {
    this.core.gateway.disconnect(o);
  }
  /** op 7 RECONNECT. */
  requestReconnect(): void {
    this.core.gateway.requestReconnect();
  }
  /** op 9 INVALID_SESSION on the live socket. */
  invalidateSession(resumable = false): void {
    this.core.gateway.invalidateSessions(resumable);
  }
  identifyCount(): number {
    return this.core.gateway.identifies;
  }
  /** Every IDENTIFY received (shard, time, outcome), in order: for checking identify pacing. */
  identifies(): IdentifyRecord[] {
    return [...this.core.gateway.identifyLog];
  }
  /** The shard a guild's events go to with `count` shards: `(guild_id >> 22) % count`. */
  shardOf(guildId: string, count: number): number {
    return shardOf(guildId, count);
  }
  /** Shard ids ([id, count]) with a connected, ready session now. */
  connectedShards(): [number, number][] {
    return this.core.gateway.connectedShards();
  }
  resumeCount(): number {
    return this.core.gateway.resumes;
  }
  connected(): boolean {
    return this.core.gateway.connected();
  }
  waitForReady(timeoutMs = 10000): Promise<void> {
    return this.core.gateway.waitForReady(timeoutMs);
  }

  /** Bulk MESSAGE_CREATE frames for benchmarks; they are not stored (see flood.ts). */
  flood(o: FloodOptions & { shard?: number }): Promise<FloodResult> {
    const session = this.core.gateway.activeSession(o.shard);
    if (!session) return Promise.reject(new Error('emulator: flood needs a connected bot session'));
    return flood(this.core.state, session, o);
  }

  // ---- inspection ----

  requests(): RequestRecord[] {
    return [...this.core.requests];
  }
  /**
   * Calls `fn` with each REST request once its answer is decided and before it is sent, so a test
   * can change the world exactly between what a request saw and what the client does next (an
   * edit dispatched on the gateway after a history page was read, say). Returns the unsubscribe.
   */
  onRequest(fn: (r: RequestRecord) => void): () => void {
    this.core.requestListeners.add(fn);
    return () => this.core.requestListeners.delete(fn);
  }
  /**
   * Holds REST requests that `match` (method, path under /api/v10) unanswered until `release()`
   * (a slow Discord: a test can keep the bot reading history at start). `waiting()` counts them.
   */
  holdRequests(match: (method: string, path: string) => boolean): { waiting: () => number; release: () => void } {
    let release!: () => void;
    const gate = { match, waiting: 0, open: new Promise<void>((r) => (release = r)) };
    this.core.gates.add(gate);
    return {
      waiting: () => gate.waiting,
      release: () => {
        this.core.gates.delete(gate);
        release();
      },
    };
  }
  /**
   * Calls `fn` with every change of the world as it happens: messages created, edited and deleted
   * (by people, the bot or interaction responses; ephemeral ones too, which the bot never gets),
   * channels, guilds and members added, presences the bot sends. Returns the unsubscribe.
   */
  onWorldEvent(fn: (e: WorldEvent) => void): () => void {
    this.core.worldListeners.add(fn);
    return () => this.core.worldListeners.delete(fn);
  }
  /** Everything there is, for a view of the whole world: guilds, channels (threads and DMs too), users. */
  world(): { guilds: EmuGuild[]; channels: EmuChannel[]; users: EmuUser[] } {
    const { state } = this.core;
    return { guilds: [...state.guilds.values()], channels: [...state.channels.values()], users: [...state.users.values()] };
  }
  /** Ephemeral interaction messages (kept aside, never in channel history). */
  ephemeralMessages(): EmuMessage[] {
    return [...this.core.state.ephemeral.values()];
  }
  /** The bytes of one uploaded attachment. */
  attachment(id: string): StoredAttachment | undefined {
    return this.core.state.attachmentData.get(id);
  }
  violations(): Violation[] {
    return [...this.core.violations];
  }
  clearViolations(): void {
    this.core.violations.length = 0;
  }
  channelMessages(channelId: string): EmuMessage[] {
    return [...(this.core.state.messages.get(channelId)?.list ?? [])];
  }
  /** Any stored message (incl. ephemeral interaction replies). */
  message(channelId: string, messageId: string): EmuMessage | undefined {
    return this.core.state.findMessage(channelId, messageId);
  }
  attachments(): StoredAttachment[] {
    return [...this.core.state.attachmentData.values()];
  }

  // ---- the attachment CDN ----

  /** Expires the links of these attachments (every stored one when omitted): they answer 404 from now on. */
  expireAttachments(ids?: string[]): void {
    this.core.cdn.expire(ids ?? [...this.core.state.attachmentData.keys()]);
  }
  /** The next `count` attachment downloads answer `status` (default 503: the CDN is down for a while). */
  failAttachmentDownloads(count: number, status = 503): void {
    this.core.cdn.fail(count, status);
  }
  /** Attachment downloads answered so far: path (no query) and status. */
  cdnRequests(): { path: string; status: number; at: number }[] {
    return [...this.core.cdn.served];
  }
  registeredCommands(guildId?: string): object[] {
    return guildId ? [...(this.core.state.guildCommands.get(guildId) ?? [])] : [...this.core.state.globalCommands];
  }
  guild(id: string): EmuGuild | undefined {
    return this.core.state.guilds.get(id);
  }
  channel(id: string): EmuChannel | undefined {
    return this.core.state.channels.get(id);
  }
  user(id: string): EmuUser | undefined {
    return this.core.state.users.get(id);
  }
  /** Changes rate limiting at runtime (e.g. small buckets for one test). */
  setRateLimit(rl: { perRoute: number; windowMs: number } | false): void {
    this.core.limiter.config = rl;
    this.core.limiter.reset();
  }
  newSnowflake(at?: Date | number): string {
    return snowflake(at);
  }

  async stop(): Promise<void> {
    this.core.interactions.close();
    this.core.gateway.close();
    await this.http.close();
  }
}
