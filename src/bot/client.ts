import { Client, GatewayIntentBits, Options, Partials, type ClientOptions } from 'discord.js';

/** Guilds, guild messages, DMs, and message content (privileged: switch it on in the developer portal). */
export const BOT_INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent];

/**
 * The client options the bot runs with (the benchmark's ceiling client uses the same ones).
 * Caches are bounded so memory does not grow with traffic: no message cache (the recorder works
 * from raw gateway events, so edits and deletes of any message are seen), and users and members
 * are swept every few minutes (the bot's own user and member are kept).
 */
export function clientOptions(opts: { apiUrl?: string } = {}): ClientOptions {
  return {
    intents: BOT_INTENTS,
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

export function createClient(opts: { apiUrl?: string } = {}): Client {
  return new Client(clientOptions(opts));
}
