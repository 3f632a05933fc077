import type { Logger } from '../logger';
import type { BucketLocks } from '../database/identify-lock';

/**
 * When each shard may IDENTIFY: Discord allows one per 5 s per rate-limit bucket (shard id %
 * max_concurrency), counted across every process of the bot. Shards of this process in one bucket
 * queue behind each other; across processes (and machines) the bucket's lock in the shared database
 * decides: a shard takes it (polled every `pollMs`), identifies, and the lock is held `holdMs`
 * (5.5 s: Discord's window and a margin) before the next one, here or elsewhere, may go.
 * Without shared locks (SQLite: one process), only the local queue paces.
 *
 * Implements @discordjs/ws's IIdentifyThrottler (`ws.buildIdentifyThrottler`).
 */
export interface IdentifyThrottlerOptions {
  maxConcurrency: number;
  locks: BucketLocks | null;
  logger: Logger;
  pollMs?: number;
  holdMs?: number;
}

export class IdentifyThrottler {
  private readonly queues = new Map<number, Promise<void>>();
  private readonly holds = new Set<NodeJS.Timeout>();
  private readonly pollMs: number;
  private readonly holdMs: number;
  private closed = false;

  constructor(private readonly opts: IdentifyThrottlerOptions) {
    this.pollMs = opts.pollMs ?? 250;
    this.holdMs = opts.holdMs ?? 5_500;
  }

  bucketOf(shardId: number): number {
    return shardId % Math.max(1, this.opts.maxConcurrency);
  }

  async waitForIdentify(shardId: number, signal: AbortSignal): Promise<void> {
    const bucket = this.bucketOf(shardId);
    const before = this.queues.get(bucket) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    // The next shard of this bucket in this process waits for this one's hold to end.
    this.queues.set(
      bucket,
      before.then(() => mine),
    );
    try {
      await abortable(before, signal);
      let shared = false;
      while (this.opts.locks && !this.closed) {
        try {
          if (await this.opts.locks.tryLock(bucket)) {
            shared = true;
            break;
          }
        } catch (e) {
          // The database cannot say: pace locally (Discord answers a too-early IDENTIFY with an
          // INVALID_SESSION that discord.js retries, so this cannot wedge a shard).
          this.opts.logger.warn({ source: 'gateway', shard: shardId, bucket, err: (e as Error).message }, 'identify lock unavailable; pacing this process only');
          break;
        }
        await abortable(sleep(this.pollMs), signal);
      }
      this.opts.logger.debug({ source: 'gateway', shard: shardId, bucket }, 'identify allowed');
      const t = setTimeout(() => {
        this.holds.delete(t);
        const release = shared && this.opts.locks ? this.opts.locks.unlock(bucket) : Promise.resolve();
        void release.catch(() => undefined).finally(done);
      }, this.holdMs);
      this.holds.add(t);
    } catch (e) {
      // Aborted (the shard was destroyed): the queue moves on once the one before is done.
      void before.then(done);
      throw e;
    }
  }

  /** Ends the holds (their locks go with the connection) and stops polling. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.holds) clearTimeout(t);
    this.holds.clear();
    await this.opts.locks?.close().catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
