import { Routes, type APIMessage, type Client, type GuildBasedChannel } from 'discord.js';
import type { MessageStore } from '../database/stores/message.store';
import type { Logger } from '../logger';
import type { Recorder } from './recorder';

const PAGE = 100;
const CONCURRENCY = 4;

/**
 * At start, fills the gap left while the bot was down: for every guild text channel it has
 * recorded before, it fetches the messages sent since the last recorded one (GET channel messages
 * `after`, 100 a page, up to `maxPerChannel`) and records them, oldest first, before the live events
 * held meanwhile. Channels never recorded are not imported wholesale; DMs are not fetched.
 * Messages already stored are skipped by the store (idempotent).
 */
export async function backfill(client: Client, messages: MessageStore, recorder: Recorder, logger: Logger, maxPerChannel: number): Promise<{ channels: number; messages: number }> {
  const channels = [...client.channels.cache.values()].filter((c): c is GuildBasedChannel => !c.isDMBased() && c.isTextBased() && recorder.inScope(c.id) && !!c.guild.members.me?.permissionsIn(c).has(['ViewChannel', 'ReadMessageHistory']));
  const last = await messages.lastDiscordMessageIds(channels.map((c) => c.id));
  const todo = channels.filter((c) => last.has(c.id));
  let total = 0;
  let filled = 0;
  const work = async (channel: GuildBasedChannel) => {
    let after = last.get(channel.id)!;
    let count = 0;
    while (count < maxPerChannel) {
      const query = new URLSearchParams({ after, limit: String(Math.min(PAGE, maxPerChannel - count)) });
      const page = (await client.rest.get(Routes.channelMessages(channel.id), { query })) as APIMessage[];
      if (!page.length) break;
      page.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      count += recorder.pushHistory(page.map((m) => ({ ...m, guild_id: channel.guildId })));
      after = page[page.length - 1].id;
      if (page.length < PAGE) break;
    }
    if (count) filled++;
    total += count;
  };
  for (let i = 0; i < todo.length; i += CONCURRENCY) {
    await Promise.all(todo.slice(i, i + CONCURRENCY).map((c) => work(c).catch((e: Error) => logger.warn({ source: 'backfill', channelId: c.id, err: e.message }, `backfill: could not read the history of #${c.name}; skipped`))));
  }
  if (total) logger.info({ source: 'backfill', channels: filled, messages: total }, `backfilled ${total} message(s) sent while the bot was away, in ${filled} channel(s)`);
  return { channels: filled, messages: total };
}
