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
export class ChangeFeed extends EventEmitter<{ change: [WatchedTable]; error: [Error] }> {
  private timer: NodeJS.Timeout | null = null;
  private pg: Client | null = null;
  private stopped = false;
  private lastVersion: number | null = null;
  private reconnectDelay = 250;
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
      const wasReconnect = this.pg === null && this.reconnectDelay !== 250;
      this.pg = client;
      this.reconnectDelay = 250;
      if (wasReconnect) {
        this.opts.logger?.info({}, 'change feed: listening again');
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
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, 10_000);
    this.opts.logger?.warn({ err: e.message, retryInMs: delay }, 'change feed: LISTEN connection lost; reconnecting');
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
