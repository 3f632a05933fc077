import { Routes, SnowflakeUtil, type APIMessage, type Client, type GuildBasedChannel } from 'discord.js';
import type { MessageStore } from '../database/stores/message.store';
import type { Logger } from '../logger';
import { eachChannel, HISTORY_PAGE, historyChannels } from './history';
import type { Recorder } from './recorder';

const PAGE = HISTORY_PAGE;

export interface ReconcileResult {
  /** Channels whose recent history was compared with what is stored. */
  channels: number;
  edits: number;
  deletes: number;
}

/**
 * At start, catches up on what changed while the bot was down that backfill cannot see: edits and
 * deletes of messages already recorded (Discord does not replay them to a new gateway session).
 * For every guild text channel it has recorded before and may read, it fetches the newest
 * `maxPerChannel` messages (100 a page, newest first, `before` paging) and compares them with the
 * stored rows in the same id range: a newer `edited_timestamp` becomes an edit event, a stored
 * message Discord no longer returns a delete event, both through the recorder and the write queue
 * like live ones (so they are ordered with everything else). Nothing older than the window is
 * touched. Runs while the recorder holds live events, and the store never lets an older edit
 * replace a newer one, so a live edit received during the start wins over the history copy.
 */
export async function reconcile(client: Client, messages: MessageStore, recorder: Recorder, logger: Logger, maxPerChannel: number, onDisk: ReadonlyMap<string, ReadonlySet<string>> = new Map()): Promise<ReconcileResult> {
  const channels = historyChannels(client, recorder);
  const recorded = await messages.lastDiscordMessageIds(channels.map((c) => c.id));
  // Channels never recorded have nothing to reconcile (and are not imported wholesale).
  const todo = channels.filter((c) => recorded.has(c.id) || !!onDisk.get(c.id)?.size);
  const result: ReconcileResult = { channels: 0, edits: 0, deletes: 0 };

  const work = async (channel: GuildBasedChannel) => {
    // Every message sent before this moment that Discord still has is in its answer (the first
    // page is the newest), so a stored one from before it that is missing was deleted.
    const askedAt = Date.now();
    const fetched: APIMessage[] = [];
    let before: bigint | null = null;
    let exhausted = false;
    while (fetched.length < maxPerChannel) {
      const limit = Math.min(PAGE, maxPerChannel - fetched.length);
      const query = new URLSearchParams({ limit: String(limit) });
      if (before !== null) query.set('before', before.toString());
      const page = (await client.rest.get(Routes.channelMessages(channel.id), { query })) as APIMessage[];
      fetched.push(...page);
      if (page.length < limit) {
        exhausted = true;
        break;
      }
      before = page.reduce((min, m) => (BigInt(m.id) < min ? BigInt(m.id) : min), BigInt(page[0].id));
    }
    // An empty answer proves nothing (Discord answers [] without Read Message History).
    if (!fetched.length) return;
    const ids = fetched.map((m) => BigInt(m.id));
    const oldest = ids.reduce((a, b) => (b < a ? b : a));
    const newest = ids.reduce((a, b) => (b > a ? b : a));
    // The window: from the oldest message fetched (or the channel's start, when Discord ran out
    // of history before the limit did) up to the moment of the first request.
    const fromId = exhausted ? 0n : oldest;
    const askedId = ((BigInt(askedAt) - SnowflakeUtil.epoch) << 22n) - 1n;
    const toId = askedId > newest ? askedId : newest;
    const stored = await messages.listUndeletedInIdRange(channel.id, { fromId: fromId.toString(), toId: toId.toString(), createdSince: new Date(fromId === 0n ? 0 : SnowflakeUtil.timestampFrom(fromId)) });

    const current = new Map(fetched.map((m) => [m.id, m]));
    const edited: APIMessage[] = [];
    const deleted: string[] = [];
    const seen = new Set<string>();
    for (const s of stored) {
      seen.add(s.discordMessageId);
      const m = current.get(s.discordMessageId);
      if (m) {
        if (m.edited_timestamp && (!s.editedAt || new Date(m.edited_timestamp).getTime() > s.editedAt.getTime())) edited.push(m);
      } else if (!(s.role === 'assistant' && s.metadata?.interaction)) {
        // The bot's interaction replies are left alone: an ephemeral one is never in channel
        // history, and a stored row does not say whether it was ephemeral.
        deleted.push(s.discordMessageId);
      }
    }
    // Messages the earlier run kept on disk (replayed ahead of these events, not committed yet):
    // their edits since are applied after them. Their deletes are not inferred (they may be
    // ephemeral replies, which history never shows).
    for (const id of onDisk.get(channel.id) ?? []) {
      const m = seen.has(id) ? undefined : current.get(id);
      if (m?.edited_timestamp) edited.push(m);
    }
    recorder.pushReconciled(edited, deleted);
    result.channels++;
    result.edits += edited.length;
    result.deletes += deleted.length;
    if (edited.length || deleted.length)
      logger.debug({ source: 'reconcile', channelId: channel.id, edits: edited.length, deletes: deleted.length, fetched: fetched.length }, `reconcile: #${channel.name}: ${edited.length} edit(s), ${deleted.length} delete(s)`);
  };

  await eachChannel(todo, 'reconcile', logger, work);
  if (result.channels) logger.info({ source: 'reconcile', ...result }, `reconciled: ${result.edits} edit(s), ${result.deletes} delete(s) in ${result.channels} channel(s)`);
  return result;
}
