import { Client, Events, GatewayIntentBits, Options, Partials, type ClientOptions, type WebSocketOptions } from 'discord.js';

/**
 * Guilds, guild messages, DMs, their reactions and poll votes (not privileged), and message content
 * (privileged: switch it on in the developer portal).
 */
export const BOT_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.GuildMessageReactions,
  GatewayIntentBits.GuildMessagePolls,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.DirectMessageReactions,
  GatewayIntentBits.DirectMessagePolls,
  GatewayIntentBits.MessageContent,
];

/**
 * The client options the bot runs with (the benchmark's ceiling client uses the same ones).
 * Caches are bounded so memory does not grow with traffic: no message cache (the recorder works
 * from raw gateway events, so edits and deletes of any message are seen), and users and members
 * are swept every few minutes (the bot's own user and member are kept).
 */
export interface ClientShardOptions {
  apiUrl?: string;
  membersIntent?: boolean;
  /** The shards this client runs and the bot's total (default: one shard, 0 of 1). */
  shards?: { ids: number[]; count: number };
  /** Decides when each shard may IDENTIFY (default: discord.js's own, per process). */
  buildIdentifyThrottler?: WebSocketOptions['buildIdentifyThrottler'];
}

export function clientOptions(opts: ClientShardOptions = {}): ClientOptions {
  return {
    // Always explicit: with the defaults, discord.js would read SHARDS / SHARD_COUNT from the
    // environment (its ShardingManager's variables; SHARD_COUNT is also Chronicle's, as "auto").
    shards: opts.shards?.ids ?? [0],
    shardCount: opts.shards?.count ?? 1,
    ...(opts.buildIdentifyThrottler && { ws: { buildIdentifyThrottler: opts.buildIdentifyThrottler } }),
    // MEMBERS_INTENT adds Server Members (privileged): member joins and leaves keep each guild's
    // member count current, for the presence's {members}.
    intents: opts.membersIntent ? [...BOT_INTENTS, GatewayIntentBits.GuildMembers] : BOT_INTENTS,
    // DMs arrive on channels discord.js has not cached.
    partials: [Partials.Channel],
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      ReactionManager: 0,
      ReactionUserManager: 0,
      GuildMessageManager: 0,
      DMMessageManager: 0,
      PresenceManager: 0,
      VoiceStateManager: 0,
      ThreadMemberManager: 0,
      GuildMemberManager: { maxSize: 1000, keepOverLimit: (m) => m.id === m.client.user.id },
      UserManager: { maxSize: 1000, keepOverLimit: (u) => u.id === u.client.user.id },
    }),
    sweepers: {
      ...Options.DefaultSweeperSettings,
      users: { interval: 600, filter: () => (u) => u.id !== u.client.user.id },
      guildMembers: { interval: 600, filter: () => (m) => m.id !== m.client.user.id },
    },
    rest: opts.apiUrl ? { api: opts.apiUrl } : {},
    failIfNotExists: false,
    allowedMentions: { parse: [], repliedUser: false },
  };
}

export function createClient(opts: ClientShardOptions = {}): Client {
  const client = withoutShardEnv(() => new Client(clientOptions(opts)));
  skipUnheardMessageEvents(client);
  return client;
}

/**
 * discord.js's Client constructor reads SHARDS and SHARD_COUNT from the environment when the
 * options hold their defaults (`shardCount: 1` is one): Chronicle's SHARD_COUNT=auto would become
 * NaN there. The options are explicit, and the variables are hidden while the client is made.
 */
function withoutShardEnv<T>(make: () => T): T {
  const saved = { SHARDS: process.env.SHARDS, SHARD_COUNT: process.env.SHARD_COUNT };
  delete process.env.SHARDS;
  delete process.env.SHARD_COUNT;
  try {
    return make();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  }
}

/** Message (and reaction) dispatches and the client event discord.js turns each into. */
const MESSAGE_EVENTS: Record<string, Events> = {
  MESSAGE_CREATE: Events.MessageCreate,
  MESSAGE_UPDATE: Events.MessageUpdate,
  MESSAGE_DELETE: Events.MessageDelete,
  MESSAGE_DELETE_BULK: Events.MessageBulkDelete,
  MESSAGE_REACTION_ADD: Events.MessageReactionAdd,
  MESSAGE_REACTION_REMOVE: Events.MessageReactionRemove,
  MESSAGE_REACTION_REMOVE_ALL: Events.MessageReactionRemoveAll,
  MESSAGE_REACTION_REMOVE_EMOJI: Events.MessageReactionRemoveEmoji,
  MESSAGE_POLL_VOTE_ADD: Events.MessagePollVoteAdd,
  MESSAGE_POLL_VOTE_REMOVE: Events.MessagePollVoteRemove,
};

/**
 * For every message dispatch, discord.js builds a Message (mentions, attachments, embeds…) and
 * caches its author and member, even with the message cache off. The recorder reads the raw
 * dispatch instead and nothing in the bot listens to the message events, so while an event has no
 * listener its dispatch is not handed to discord.js's handler (the `raw` event, which the recorder uses, is emitted before this point; everything else
 * — interactions, guilds, channels, READY — goes through untouched). A listener added later gets
 * its events as usual. What this saves the bot's main thread is measured in docs/benchmark.md
 * (`npm run bench`).
 */
function skipUnheardMessageEvents(client: Client): void {
  const ws = client.ws as unknown as { handlePacket(packet?: { t?: string }, shard?: unknown): boolean };
  const handlePacket = ws.handlePacket.bind(ws);
  ws.handlePacket = (packet, shard) => {
    const event = packet?.t ? MESSAGE_EVENTS[packet.t] : undefined;
    // Called without a packet, discord.js still takes the next queued one (before ready).
    return handlePacket(event && client.listenerCount(event) === 0 ? undefined : packet, shard);
  };
}
