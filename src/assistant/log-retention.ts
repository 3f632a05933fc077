import type { LogStore } from '../database/stores/log.store';
import type { Logger } from '../logger';

const DAY_MS = 86_400_000;

/** Deletes `logs` rows older than LOG_RETENTION_DAYS: once at start, then every 24 hours. */
export class LogRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly logs: LogStore,
    private readonly logger: Logger,
    private readonly opts: { days: number; everyMs?: number },
  ) {}

  /** Purges now and every 24 h; the first purge is awaited (a failure is logged, not thrown). */
  async start(): Promise<number> {
    const n = await this.purge();
    this.arm();
    return n;
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      void this.purge().finally(() => this.timer && this.arm());
    }, this.opts.everyMs ?? DAY_MS);
    this.timer.unref();
  }

  /** Deletes rows older than the retention period; returns how many. */
  async purge(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.opts.days * DAY_MS);
    this.running = this.logs.purgeLogs(before).then(
      (n) => {
        if (n) this.logger.info({ deleted: n, before: before.toISOString() }, `purged ${n} log row(s) older than ${this.opts.days} day(s)`);
        return n;
      },
      (e: Error) => {
        this.logger.warn({ err: e.message }, 'could not purge old log rows; will try again in 24 h');
        return 0;
      },
    );
    try {
      return await this.running;
    } finally {
      this.running = null;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
