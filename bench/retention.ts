/**
 * Item 9 of `npm run bench`: does recording keep its latency while retention purges?
 *
 * In this process, as in the bot: a RecordingStore over a fresh database holding `old` messages
 * 60 days old in one channel (written by the store itself), and a steady live load (a batch of 10
 * new messages every 10 ms, each batch's commit timed). First the load alone, then the load while
 * MessageRetention purges that channel (rule: 30 days) with the bot's batch size and pause.
 */
import { loadConfig } from '../src/config';
import { Database } from '../src/database/database';
import { createLogger } from '../src/logger';
import type { RecordedAuthor, RecordedCreate } from '../src/recording/events';
import { RecordingStore } from '../src/recording/recording.store';
import { MessageRetention } from '../src/recording/retention';
import { BenchDb, type Driver } from './db';
import { summarize, type Summary } from './stats';

export interface RetentionBench {
  old: number;
  seedMs: number;
  alone: Summary;
  during: Summary;
  purgeMs: number;
  purged: number;
}

const DAY = 86_400_000;
const G = '300000000000000001';
const OLD_CHANNEL = '300000000000000010';
const LIVE_CHANNELS = ['300000000000000011', '300000000000000012', '300000000000000013'];

export async function retentionBench(driver: Driver, old: number, log: (s: string) => void): Promise<RetentionBench> {
  const bdb = await BenchDb.create(driver, 'retention');
  const config = loadConfig({ DATABASE_URL: bdb.url, LOG_LEVEL: 'warn' });
  const db = await Database.open(config.database);
  try {
    await db.migrate();
    const store = new RecordingStore(db, { idleMs: 30 * 60_000 });
    const authors: RecordedAuthor[] = Array.from({ length: 100 }, (_, i) => ({ id: `31${String(i).padStart(16, '0')}`, username: `user${i}`, displayName: null }));
    let next = 1_000_000_000_000_000_000n;
    const text = 'lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore';
    const create = (channelId: string, at: Date, i: number): RecordedCreate => ({
      kind: 'create',
      discordMessageId: (next++).toString(),
      channelId,
      guildId: G,
      author: authors[i % authors.length],
      role: 'user',
      sessionOwner: null,
      content: text,
      createdAt: at,
      editedAt: null,
      replyToId: null,
      metadata: null,
    });

    // The old messages: 60 days ago, a millisecond apart.
    const seedStart = performance.now();
    const t0 = Date.now() - 60 * DAY;
    for (let i = 0; i < old; i += 1000) {
      const batch: RecordedCreate[] = [];
      for (let j = i; j < Math.min(old, i + 1000); j++) batch.push(create(OLD_CHANNEL, new Date(t0 + j), j));
      await store.writeBatch(batch);
    }
    const seedMs = performance.now() - seedStart;
    log(`retention ${driver}: ${old} old messages written in ${(seedMs / 1000).toFixed(1)} s`);
    await db.retention.setRule({ channelId: OLD_CHANNEL, guildId: G, days: 30 });

    let i = 0;
    // A batch of 10 every 10 ms (1,000 msg/s), each commit timed; runs until `done` says stop.
    const load = async (done: () => boolean): Promise<number[]> => {
      const lat: number[] = [];
      let slot = performance.now();
      while (!done()) {
        const batch = Array.from({ length: 10 }, () => create(LIVE_CHANNELS[i % LIVE_CHANNELS.length], new Date(), i++));
        const t = performance.now();
        await store.writeBatch(batch);
        lat.push(performance.now() - t);
        slot += 10;
        const wait = slot - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        else slot = performance.now();
      }
      return lat;
    };
    const aloneEnd = performance.now() + 5_000;
    const alone = await load(() => performance.now() >= aloneEnd);

    const retention = new MessageRetention(db.retention, createLogger({ level: 'warn' }).logger, { days: null, sessionIdleMs: 30 * 60_000 });
    let finished = false;
    const purgeStart = performance.now();
    const purging = retention.purge().finally(() => (finished = true));
    const during = await load(() => finished);
    const report = await purging;
    const purgeMs = performance.now() - purgeStart;
    return { old, seedMs, alone: summarize(alone), during: summarize(during), purgeMs, purged: report.messages };
  } finally {
    await db.close();
    await bdb.drop();
  }
}
