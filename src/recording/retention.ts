import type { RetentionRule } from '../entities/RetentionRule';
import { NO_PURGE, type PurgeCounts, type RetentionStore } from '../database/stores/retention.store';
import type { Logger } from '../logger';

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  /** RETENTION_DAYS: the days every channel without a rule keeps its messages (null: for ever). */
  days: number | null;
  /** The recorder's session idle time: a session still open by it is never deleted. */
  sessionIdleMs: number;
  /** Messages deleted per transaction (default 100). */
  batchSize?: number;
  /** Pause between batches, so recording's transactions go between them (default 25 ms). */
  pauseMs?: number;
  /** How often the day's purge is looked for (default hourly; the first look after `startDelayMs`). */
  tickMs?: number;
  /** The first look after start (default 60 s: start-up's backfill goes first). */
  startDelayMs?: number;
}

/** What a purge did: the counts, and how many channels it cut. */
export interface PurgeReport extends PurgeCounts {
  channels: number;
}

/** The days a channel keeps its messages: its rule, else its parent's (a thread), else RETENTION_DAYS. */
export function daysFor(channelId: string, rules: Map<string, RetentionRule>, globalDays: number | null, parentOf?: Map<string, string>): number | null {
  const own = rules.get(channelId) ?? (parentOf?.get(channelId) ? rules.get(parentOf.get(channelId)!) : undefined);
  const days = own ? own.days : globalDays;
  return days && days > 0 ? days : null;
}

/**
 * Message retention: once a UTC day (claimed in `purge_runs`, so once across processes), deletes
 * the messages older than each channel's retention — with their revisions, reactions and
 * attachment rows, and the stored files no other attachment uses — in bounded batches with a
 * pause between them, so the recorder's own transactions are never held up for long.
 */
export class MessageRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PurgeReport> | null = null;
  private stopped = false;
  /** Deletes the stored files no other attachment uses (the attachment downloader's `release`). */
  releaseFiles?: (sha256s: string[]) => Promise<void>;
  /** Threads' parents, so a channel's rule covers its threads (the channels store, when there is one). */
  parents?: (channelIds: string[]) => Promise<Map<string, string>>;

  constructor(
    private readonly store: RetentionStore,
    private readonly logger: Logger,
    private readonly opts: RetentionOptions,
  ) {}

  get globalDays(): number | null {
    return this.opts.days;
  }

  start(): void {
    this.stopped = false;
    this.arm(this.opts.startDelayMs ?? 60_000);
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.daily().finally(() => this.arm(this.opts.tickMs ?? 3_600_000));
    }, ms);
    this.timer.unref();
  }

  /** Today's purge, when no process has done it yet: claims the day, purges, records what it did. */
  async daily(now = new Date()): Promise<PurgeReport | null> {
    try {
      const run = await this.store.claimDay(now.toISOString().slice(0, 10), now);
      if (!run) return null;
      const report = await this.purge(now);
      if (!this.stopped) await this.store.finishRun(run, report);
      return report;
    } catch (e) {
      this.logger.warn({ source: 'retention', err: (e as Error).message }, 'message retention: the purge failed; it is tried again within the hour');
      return null;
    }
  }

  /** Purges now (`/retention run` and the daily run): one purge at a time in this process. */
  async purge(now = new Date()): Promise<PurgeReport> {
    if (this.running) return this.running;
    this.running = this.purgeAll(now);
    try {
      return await this.running;
    } finally {
      this.running = null;
    }
  }

  private async purgeAll(now: Date): Promise<PurgeReport> {
    const started = Date.now();
    const rules = new Map((await this.store.listRules()).map((r) => [r.channelId, r]));
    const channels = [...new Set([...(await this.store.recordedChannels()), ...rules.keys()])];
    const parents = this.parents ? await this.parents(channels) : undefined;
    const total: PurgeReport = { ...NO_PURGE, channels: 0 };
    const batchSize = this.opts.batchSize ?? 100;
    // A session the recorder may still hold open (idle less than SESSION_IDLE_MINUTES) stays.
    const idleCut = now.getTime() - this.opts.sessionIdleMs - DAY_MS;
    for (const channelId of channels) {
      const days = daysFor(channelId, rules, this.opts.days, parents);
      if (!days || this.stopped) continue;
      const before = new Date(now.getTime() - days * DAY_MS);
      const sessionsBefore = new Date(Math.min(before.getTime(), idleCut));
      let cut = 0;
      for (;;) {
        const batch = await this.store.purgeBatch(channelId, before, batchSize, sessionsBefore);
        if (batch.files.length) await this.releaseFiles?.(batch.files);
        for (const k of Object.keys(NO_PURGE) as (keyof PurgeCounts)[]) total[k] += batch[k];
        cut += batch.messages;
        if ((batch.messages < batchSize && batch.sessions < batchSize) || this.stopped) break;
        await new Promise((r) => setTimeout(r, this.opts.pauseMs ?? 25));
      }
      if (cut) {
        total.channels++;
        this.logger.debug({ source: 'retention', channelId, messages: cut, days }, 'message retention: channel purged');
      }
    }
    if (total.messages || total.sessions)
      this.logger.info(
        { source: 'retention', ...total, ms: Date.now() - started },
        `message retention: deleted ${total.messages} message(s) in ${total.channels} channel(s), with ${total.revisions} revision(s), ${total.reactions} reaction(s), ${total.attachments} attachment(s)`,
      );
    return total;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
