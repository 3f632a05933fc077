import { EventEmitter } from 'node:events';
import { Client } from 'pg';
import type { Database, DatabaseLogger } from './database';

export type WatchedTable = 'bot_status' | 'schedules';
const CHANNELS: Record<string, WatchedTable> = { chronicle_bot_status: 'bot_status', chronicle_schedules: 'schedules' };

/**
 * Tells the bot when `bot_status` or `schedules` may have changed, whoever changed them:
 * - PostgreSQL: the migration's triggers NOTIFY on commit; one dedicated connection LISTENs and
 *   reconnects with backoff if it drops (and reports a change after reconnecting, since
 *   notifications sent meanwhile are lost).
 * - SQLite: `PRAGMA data_version` changes when another connection commits; it is polled every
 *   `pollMs` (one cheap query) and every watched table is reported on a change.
 * - This process's own writes through the stores are reported directly (`db.changes`).
 * Listeners re-read the table; a spurious report costs one small query.
 */
const RECONNECT_FIRST_MS = 50;
const RECONNECT_MAX_MS = 500;

export class ChangeFeed extends EventEmitter<{ change: [WatchedTable]; error: [Error] }> {
  private timer: NodeJS.Timeout | null = null;
  private pg: Client | null = null;
  private stopped = false;
  private lastVersion: number | null = null;
  /** While the LISTEN connection is down: when it was lost, and the attempts since. */
  private lost: { at: number; attempts: number } | null = null;
  private readonly onLocal = (t: WatchedTable) => this.emit('change', t);

  constructor(
    private readonly db: Database,
    private readonly opts: { pollMs: number; logger?: DatabaseLogger },
  ) {
    super();
  }

  async start(): Promise<void> {
    this.db.changes.on('change', this.onLocal);
    if (this.db.driver === 'postgres') await this.listen();
    else await this.poll();
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    try {
      const rows: { data_version: number }[] = await this.db.dataSource.query('PRAGMA data_version');
      const v = Number(rows[0]?.data_version);
      if (this.lastVersion !== null && v !== this.lastVersion) {
        this.emit('change', 'bot_status');
        this.emit('change', 'schedules');
      }
      this.lastVersion = v;
    } catch (e) {
      if (!this.stopped) this.opts.logger?.warn({ err: (e as Error).message }, 'change feed: PRAGMA data_version failed');
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.poll(), this.opts.pollMs);
      this.timer.unref();
    }
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const options = this.db.dataSource.options as { url?: string };
    const client = new Client({ connectionString: options.url, application_name: 'chronicle-listen' });
    client.on('notification', (n) => {
      const table = CHANNELS[n.channel];
      if (table) this.emit('change', table);
    });
    client.on('error', (e) => this.reconnect(client, e));
    client.on('end', () => this.reconnect(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query('LISTEN chronicle_bot_status');
      await client.query('LISTEN chronicle_schedules');
      const lost = this.lost;
      this.pg = client;
      this.lost = null;
      if (lost) {
        this.opts.logger?.info({ downMs: Date.now() - lost.at, attempts: lost.attempts }, `change feed: listening again after ${((Date.now() - lost.at) / 1000).toFixed(1)} s`);
        // Whatever was edited meanwhile went unnotified: re-read.
        this.emit('change', 'bot_status');
        this.emit('change', 'schedules');
      }
    } catch (e) {
      this.reconnect(client, e as Error);
    }
  }

  private reconnect(client: Client, e: Error): void {
    if (this.stopped) return;
    if (this.pg !== null && this.pg !== client) return;
    if ((client as unknown as { _chronicleDead?: boolean })._chronicleDead) return;
    (client as unknown as { _chronicleDead?: boolean })._chronicleDead = true;
    this.pg = null;
    client.end().catch(() => undefined);
    // Short, capped backoff: an attempt against a server that is down is refused at once, and a
    // bot_status edit should apply within a second of the database answering again.
    const first = !this.lost;
    this.lost ??= { at: Date.now(), attempts: 0 };
    const delay = Math.min(RECONNECT_FIRST_MS * 2 ** this.lost.attempts++, RECONNECT_MAX_MS);
    if (first) this.opts.logger?.warn({ err: e.message }, `change feed: LISTEN connection lost; reconnecting every ${RECONNECT_MAX_MS} ms at most`);
    else this.opts.logger?.debug({ err: e.message, retryInMs: delay, attempts: this.lost.attempts }, 'change feed: still reconnecting');
    this.timer = setTimeout(() => void this.listen(), delay);
    this.timer.unref();
  }

  /** The PostgreSQL LISTEN connection's backend pid (tests kill it to prove reconnection). */
  async listenerPid(): Promise<number | null> {
    if (!this.pg) return null;
    const r = await this.pg.query('SELECT pg_backend_pid() AS pid');
    return Number(r.rows[0].pid);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.db.changes.off('change', this.onLocal);
    if (this.timer) clearTimeout(this.timer);
    const pg = this.pg;
    this.pg = null;
    if (pg) {
      (pg as unknown as { _chronicleDead?: boolean })._chronicleDead = true;
      await pg.end().catch(() => undefined);
    }
  }
}
