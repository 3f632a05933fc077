import type { Client, GuildBasedChannel } from 'discord.js';
import type { Logger } from '../logger';
import type { Recorder } from './recorder';

/** Discord's page size for GET channel messages. */
export const HISTORY_PAGE = 100;
/** Channels read at once at start (backfill, reconcile): Discord's rate limits do the rest. */
const CONCURRENCY = 4;

/** The guild text channels (threads included) in scope whose history the bot may read; DMs never. */
export function historyChannels(client: Client, recorder: Recorder): GuildBasedChannel[] {
  return [...client.channels.cache.values()].filter((c): c is GuildBasedChannel => !c.isDMBased() && c.isTextBased() && recorder.inScope(c.id) && !!c.guild.members.me?.permissionsIn(c).has(['ViewChannel', 'ReadMessageHistory']));
}

/** Runs `work` for each channel, a few at a time; a channel whose history cannot be read is logged (`source`) and skipped. */
export async function eachChannel(channels: GuildBasedChannel[], source: string, logger: Logger, work: (c: GuildBasedChannel) => Promise<void>): Promise<void> {
  for (let i = 0; i < channels.length; i += CONCURRENCY) {
    await Promise.all(channels.slice(i, i + CONCURRENCY).map((c) => work(c).catch((e: Error) => logger.warn({ source, channelId: c.id, err: e.message }, `${source}: could not read the history of #${c.name}; skipped`))));
  }
}
