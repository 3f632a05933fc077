import { statSync } from 'node:fs';
import { Events, Status, type Client } from 'discord.js';
import type { Database } from '../database/database';
import type { Logger } from '../logger';
import { Metrics } from '../metrics/metrics';
import { HealthServer, type Readiness } from '../metrics/server';
import type { WriteQueue } from '../recording/write-queue';

/** How long /readyz waits for the database to answer before it says it does not. */
const DB_CHECK_MS = 2_000;

export interface HealthParts {
  client: Client;
  db: Database;
  queue: WriteQueue;
  spillFile: string;
  logger: Logger;
  /** Presence updates sent so far (the presence sync's count). */
  presenceUpdates?: () => number;
}

/**
 * The bot's side of the metrics: what discord.js and the recorder report, fed to `Metrics` as
 * numbers (gateway events per shard, pings, recording latency; the router reports commands), and the readiness rule
 * of /readyz: every shard of this process ready, the database answering, the queue not spilling.
 * Returns the listener's stop, or null when METRICS_PORT is unset.
 */
export async function startHealth(parts: HealthParts, config: { port: number; host: string } | null): Promise<{ metrics: Metrics; url: string; stop(): Promise<void> } | null> {
  if (!config) return null;
  const { client, db, queue, spillFile, logger } = parts;
  const metrics = new Metrics({
    queue: () => ({ depth: queue.depth, spilled: queue.onDisk, inserted: queue.stats.inserted, written: queue.stats.written, failures: queue.stats.failures, lost: queue.stats.lost, holding: queue.holding }),
    spillBytes: () => {
      try {
        return statSync(spillFile).size;
      } catch {
        return 0;
      }
    },
    pings: () => new Map(client.ws.shards.map((s) => [s.id, s.ping])),
    presenceUpdates: parts.presenceUpdates,
  });
  const onRaw = (packet: { t?: string | null }, shard: number) => {
    if (packet.t) metrics.gatewayEvent(shard, packet.t);
  };
  client.on(Events.Raw, onRaw);
  const offCommit = queue.onCommit((items) => {
    const now = performance.now();
    metrics.recorded(items.map((i) => now - i.at));
  });

  const readiness = async (): Promise<Readiness> => {
    const reasons: string[] = [];
    const shards = [...client.ws.shards.values()];
    if (!shards.length) reasons.push('not connected to the gateway');
    for (const s of shards) if (s.status !== Status.Ready) reasons.push(`shard ${s.id} is ${Status[s.status]?.toLowerCase() ?? s.status}`);
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      db.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), DB_CHECK_MS))),
    ]);
    clearTimeout(timer);
    if (!answered) reasons.push(`the database does not answer (${db.describe()})`);
    if (queue.onDisk > 0) reasons.push(`the recorder is spilling to disk (${queue.onDisk} events waiting for the database)`);
    if (queue.holding > 0) reasons.push(`reading history at start (${queue.holding} live events held)`);
    return { ok: !reasons.length, reasons };
  };
  const server = new HealthServer(metrics, readiness);
  const addr = await server.listen(config.port, config.host);
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  logger.info({ url }, `health and metrics at ${url} (/healthz, /readyz, /metrics)`);
  return {
    metrics,
    url,
    async stop() {
      client.off(Events.Raw, onRaw);
      offCommit();
      await server.close();
    },
  };
}
