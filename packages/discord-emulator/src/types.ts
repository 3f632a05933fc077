/** Public types of the emulator handle. Discord payloads keep Discord's documented snake_case field names. */

export interface EmulatorOptions {
  /** 0 or omitted: a random free port. */
  port?: number;
  token?: string;
  applicationId?: string;
  botUsername?: string;
  /** Intents bitfield the application is allowed to use (privileged intents outside it → close 4014). Default: all. */
  allowedIntents?: number;
  /** Per-route bucket (keyed like Discord: route + major parameter). `false` disables rate limiting. Default 50 per 1000 ms. */
  rateLimit?: { perRoute: number; windowMs: number } | false;
  logger?: (line: string) => void;
  /** Gateway heartbeat interval sent in HELLO. Default 41250 like Discord. */
  heartbeatIntervalMs?: number;
  /** Time the bot has to send the initial interaction callback. Default 3000 like Discord. */
  interactionResponseMs?: number;
  /** How many dispatches a session keeps for RESUME. Default 10000. */
  replayLogSize?: number;
  /** Permissions of the bot's managed role in every guild. Default: a typical invite set (no ADMINISTRATOR). */
  botPermissions?: bigint;
  /** How long attachment links are valid (their `ex`). Default 24 hours, like Discord's. */
  attachmentTtlMs?: number;
  /** Shards GET /gateway/bot recommends. Default 1. */
  shards?: number;
  /** Fewest shards an IDENTIFY may ask for: fewer → close 4011 (sharding required), like Discord for a bot in too many guilds. Default 1. */
  requiredShards?: number;
  /**
   * Most guilds one shard may hold, like Discord's 2,500: an IDENTIFY whose shards would each hold
   * more (the bot's guilds / its shard count) closes with 4011, and GET /gateway/bot recommends at
   * least enough shards. Default: no limit.
   */
  guildsPerShard?: number;
  /** session_start_limit's total and what is left of it at start (each IDENTIFY takes one). Default 1000 and 1000. */
  sessionStarts?: { total: number; remaining: number };
  /** session_start_limit.max_concurrency: IDENTIFYs allowed per 5 s per bucket (shard id % this). Default 1. */
  maxConcurrency?: number;
  /**
   * Refuse an IDENTIFY that comes sooner than 5 s after the last one in its bucket with op 9
   * INVALID_SESSION, as Discord does. Default off (tests that restart bots quickly identify again
   * at once); IDENTIFYs are recorded either way (`identifies()`). `'record'`: let it in, but record
   * a violation (kind `gateway`), for tests that assert the bot paces itself.
   */
  checkIdentifyConcurrency?: boolean | 'record';
}

/** One IDENTIFY the gateway received, and whether it was let in. */
export interface IdentifyRecord {
  shard: [number, number];
  at: number;
  /** refused: 4010 / 4011 close, or op 9 for an IDENTIFY too soon in its bucket (with the check on; off, it is let in as 'ready'). */
  outcome: 'ready' | 'invalid_shard' | 'sharding_required' | 'too_fast';
}

export interface EmuUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
  system?: boolean;
  public_flags: number;
  flags: number;
  banner: null;
  accent_color: null;
  avatar_decoration_data: null;
  collectibles: null;
  primary_guild: null;
}

export interface EmuRole {
  id: string;
  name: string;
  color: number;
  colors: { primary_color: number; secondary_color: number | null; tertiary_color: number | null };
  hoist: boolean;
  icon: string | null;
  unicode_emoji: string | null;
  position: number;
  permissions: string;
  managed: boolean;
  mentionable: boolean;
  flags: number;
  tags?: { bot_id?: string };
}

export interface EmuMember {
  userId: string;
  nick: string | null;
  roles: string[];
  joined_at: string;
}

export interface EmuGuild {
  id: string;
  name: string;
  owner_id: string;
  roles: EmuRole[];
  channelIds: string[];
  members: Map<string, EmuMember>;
  preferred_locale: string;
  created: number;
}

export type ChannelKind = 'text' | 'voice' | 'thread' | 'forum';

export interface EmuChannel {
  id: string;
  type: number;
  name: string | null;
  guild_id?: string;
  parent_id?: string | null;
  position?: number;
  topic?: string | null;
  nsfw?: boolean;
  last_message_id: string | null;
  rate_limit_per_user?: number;
  permission_overwrites?: unknown[];
  recipients?: EmuUser[];
  flags: number;
  [k: string]: unknown;
}

export interface EmuAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  description?: string;
  width?: number | null;
  height?: number | null;
  ephemeral?: boolean;
}

/** A Discord message object as REST returns it (gateway dispatches add guild_id and member). */
export interface EmuMessage {
  id: string;
  type: number;
  channel_id: string;
  guild_id?: string;
  author: EmuUser;
  member?: object;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: object[];
  mention_roles: string[];
  attachments: EmuAttachment[];
  embeds: object[];
  components: object[];
  pinned: boolean;
  flags: number;
  nonce?: string | number;
  webhook_id?: string;
  application_id?: string;
  message_reference?: { type: number; message_id: string; channel_id: string; guild_id?: string; fail_if_not_exists?: boolean };
  referenced_message?: EmuMessage | null;
  interaction_metadata?: object;
  poll?: object;
  sticker_items?: object[];
  /** A forward's copy of the message it forwards (message_reference type 1). */
  message_snapshots?: { message: object }[];
  [k: string]: unknown;
}

export interface CommandOptionInput {
  name: string;
  type?: number;
  value?: string | number | boolean;
  focused?: boolean;
  options?: CommandOptionInput[];
}

export interface InteractionContext {
  userId: string;
  channelId: string;
  subcommand?: string;
  subcommandGroup?: string;
  timeoutMs?: number;
  locale?: string;
}

export interface InteractionResult {
  /** Interaction id (Discord's). */
  interactionId: string;
  /** The callback type the bot answered with (4 reply, 5 deferred reply, 6 deferred update, 7 update, 8 autocomplete, 9 modal). */
  type: number;
  content: string | null;
  ephemeral: boolean;
  flags: number;
  embeds: object[];
  components: object[];
  attachments: { filename: string; contentType: string; data: Buffer }[];
  deferred: boolean;
  /** Follow-up messages; this array keeps growing after resolution (see DiscordEmulator.waitForFollowups). */
  followups: InteractionResult[];
  /** The message holding the answer (the reply, or the updated component message). */
  messageId: string | null;
  channelId: string;
  choices?: { name: string; value: string | number }[];
  modal?: object;
}

export interface PresenceRecord {
  status: string;
  activities: { name: string; type: number; state?: string | null; url?: string | null; [k: string]: unknown }[];
  since: number | null;
  afk: boolean;
  at: number;
  /** The shard whose connection sent it ([id, count]; [0, 1] unsharded). */
  shard: [number, number];
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  body: unknown;
  at: number;
}

export type ViolationKind = 'invalid_body' | 'invalid_json' | 'unknown_route' | 'unauthorized' | 'forbidden' | 'unknown_interaction' | 'already_acknowledged' | 'gateway';

export interface Violation {
  method: string;
  path: string;
  kind: ViolationKind;
  detail: unknown;
}

export interface StoredAttachment {
  messageId: string;
  channelId: string;
  attachmentId: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

/**
 * A change of the emulated world, for views that show it as it happens (the web view): every
 * message created, edited or deleted (by people, the bot or an interaction response, ephemeral
 * ones included), channels, guilds and members added, and each presence the bot sends.
 */
export type WorldEvent =
  | { type: 'message_create'; message: EmuMessage }
  | { type: 'message_update'; message: EmuMessage }
  | { type: 'message_delete'; channelId: string; ids: string[] }
  | { type: 'channel_create'; channel: EmuChannel }
  | { type: 'channel_update'; channel: EmuChannel }
  | { type: 'channel_delete'; channel: EmuChannel }
  | { type: 'guild_create'; guild: EmuGuild }
  | { type: 'member_add'; guildId: string; userId: string }
  | { type: 'presence'; presence: PresenceRecord };
