import { Routes, type APIMessage, type Client, type GuildBasedChannel } from 'discord.js';
import type { MessageStore } from '../database/stores/message.store';
import type { Logger } from '../logger';
import type { Recorder } from './recorder';
import { eachChannel, HISTORY_PAGE, historyChannels } from './history';

const PAGE = HISTORY_PAGE;

export interface BackfillResult {
  channels: number;
  /** Messages sent while the bot was away and not recorded or kept on disk: new to the database. */
  messages: number;
  /** Fetched again but already kept on disk by the earlier run (replayed from there, not counted). */
  known: number;
  /** Channels where BACKFILL_MAX_MESSAGES stopped it before it caught up. */
  gaps: { channelId: string; afterId: string; atLeast: number }[];
}

/**
 * At start, fills the gap left while the bot was down: for every guild text channel it has
 * recorded before, it fetches the messages sent since the last one committed (GET channel
 * messages `after`, 100 a page) and records the new ones, oldest first, before the live events
 * held meanwhile — up to `maxPerChannel` new messages per channel. What the earlier run kept on
 * disk (`onDisk`, replayed by the write queue meanwhile) and what arrived live during the backfill
 * are skipped and not counted: the limit goes to what is really missing, and the gap after the
 * spill is fetched. Where the limit stops it, it says so per channel (from which id, how many at
 * least). Channels never recorded are not imported wholesale (but an active thread of a recorded
 * channel is read from its start: it was started while the bot was away); DMs are not fetched.
 */
/**
 * The active threads of every guild (GET /guilds/{id}/threads/active), into discord.js's cache: the
 * threads started or unarchived while the bot was away are read like any channel. A guild whose
 * threads cannot be listed is logged and left with the threads GUILD_CREATE gave.
 */
async function fetchActiveThreads(client: Client, logger: Logger): Promise<void> {
  for (const guild of client.guilds.cache.values()) {
    await guild.channels.fetchActiveThreads().catch((e: Error) => logger.warn({ source: 'backfill', guildId: guild.id, err: e.message }, `backfill: could not list the active threads of ${guild.name}; using those the gateway gave`));
  }
}

export async function backfill(client: Client, messages: MessageStore, recorder: Recorder, logger: Logger, maxPerChannel: number, onDisk: ReadonlyMap<string, ReadonlySet<string>> = new Map()): Promise<BackfillResult> {
  await fetchActiveThreads(client, logger);
  const channels = historyChannels(client, recorder);
  const last = await messages.lastDiscordMessageIds(channels.map((c) => c.id));
  // A channel only on disk (nothing committed yet) starts just before the first message there.
  for (const [channelId, ids] of onDisk) if (!last.has(channelId) && ids.size) last.set(channelId, (minId(ids) - 1n).toString());
  // An active thread of a recorded channel with nothing recorded yet (started while the bot was away): from its start.
  for (const c of channels) if (c.isThread() && !last.has(c.id) && c.parentId && last.has(c.parentId)) last.set(c.id, '0');
  const todo = channels.filter((c) => last.has(c.id));
  const result: BackfillResult = { channels: 0, messages: 0, known: 0, gaps: [] };
  const work = async (channel: GuildBasedChannel) => {
    const known = onDisk.get(channel.id) ?? new Set<string>();
    let after = last.get(channel.id)!;
    let added = 0;
    let caughtUp = false;
    while (added < maxPerChannel) {
      const page = (await client.rest.get(Routes.channelMessages(channel.id), { query: new URLSearchParams({ after, limit: String(PAGE) }) })) as APIMessage[];
      page.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      const fresh: APIMessage[] = [];
      for (const m of page) {
        if (added + fresh.length >= maxPerChannel) break;
        after = m.id;
        if (known.has(m.id)) result.known++;
        else fresh.push(m);
      }
      added += recorder.pushHistory(fresh.map((m) => ({ ...m, guild_id: channel.guildId })));
      if (page.length < PAGE && after === page.at(-1)?.id) caughtUp = true;
      if (!page.length) caughtUp = true;
      if (caughtUp) break;
    }
    if (added) result.channels++;
    result.messages += added;
    if (!caughtUp) {
      // One more page says how much was left behind (at least).
      const rest = (await client.rest.get(Routes.channelMessages(channel.id), { query: new URLSearchParams({ after, limit: String(PAGE) }) })) as APIMessage[];
      const missing = rest.filter((m) => !known.has(m.id)).length;
      if (missing) {
        result.gaps.push({ channelId: channel.id, afterId: after, atLeast: missing });
        logger.warn(
          { source: 'backfill', channelId: channel.id, afterId: after, atLeast: missing, limit: maxPerChannel },
          `backfill: #${channel.name}: BACKFILL_MAX_MESSAGES (${maxPerChannel}) reached; ${rest.length < PAGE ? missing : `at least ${missing}`} message(s) after ${after} were not fetched (raise BACKFILL_MAX_MESSAGES to keep them)`,
        );
      }
    }
  };
  await eachChannel(todo, 'backfill', logger, work);
  if (result.messages || result.known)
    logger.info(
      { source: 'backfill', channels: result.channels, messages: result.messages, known: result.known, gaps: result.gaps.length },
      `backfilled ${result.messages} new message(s) sent while the bot was away, in ${result.channels} channel(s)${result.known ? ` (${result.known} more were already kept on disk and are replayed from there)` : ''}`,
    );
  return result;
}

function minId(ids: ReadonlySet<string>): bigint {
  let min: bigint | null = null;
  for (const id of ids) {
    const v = BigInt(id);
    if (min === null || v < min) min = v;
  }
  return min!;
}
