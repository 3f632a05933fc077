/**
 * The bench's own connection to a bench database (never the bot's): a temp SQLite file or a
 * throwaway PostgreSQL database, for checking what was recorded and for editing `bot_status` the
 * way an operator would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'pg';
import type sqlite3 from 'sqlite3';
import { createTempDatabase, pgClient, postgresReachable } from '../src/database/postgres-admin';
import { procStatCpuMs } from './stats';

export type Driver = 'sqlite' | 'postgres';

export class BenchDb {
  private sqlite: sqlite3.Database | null = null;
  private pg: Client | null = null;

  private constructor(
    readonly driver: Driver,
    /** DATABASE_URL for the bot. */
    readonly url: string,
    /** A directory for this database's side files (the bot's spill file). */
    readonly dir: string,
    private readonly dispose: () => Promise<void>,
    readonly pgName?: string,
  ) {}

  static async postgresAvailable(): Promise<boolean> {
    return postgresReachable();
  }

  /** A database someone else made (a throwaway cluster's): not dropped, only closed. */
  static external(url: string, label: string): BenchDb {
    const dir = mkdtempSync(path.join(os.tmpdir(), `chronicle-bench-${label}-`));
    return new BenchDb('postgres', url, dir, async () => rmSync(dir, { recursive: true, force: true }), new URL(url).pathname.slice(1));
  }

  static async create(driver: Driver, label: string): Promise<BenchDb> {
    const dir = mkdtempSync(path.join(os.tmpdir(), `chronicle-bench-${label}-`));
    if (driver === 'sqlite') {
      return new BenchDb(driver, `sqlite:${path.join(dir, 'bench.sqlite')}`, dir, async () => rmSync(dir, { recursive: true, force: true }));
    }
    const pg = await createTempDatabase(`chronicle_bench_${label}`);
    return new BenchDb(
      driver,
      pg.url,
      dir,
      async () => {
        await pg.drop();
        rmSync(dir, { recursive: true, force: true });
      },
      pg.name,
    );
  }

  /** Runs SQL on the bench's connection; `?` placeholders on both drivers. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (this.driver === 'postgres') {
      if (!this.pg) {
        this.pg = pgClient({ connectionString: this.url, application_name: 'chronicle-bench' });
        await this.pg.connect();
      }
      let i = 0;
      return (
        await this.pg.query(
          sql.replace(/\?/g, () => `$${++i}`),
          params,
        )
      ).rows as T[];
    }
    if (!this.sqlite) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lib = require('sqlite3') as typeof sqlite3;
      const file = this.url.slice('sqlite:'.length);
      this.sqlite = await new Promise<sqlite3.Database>((resolve, reject) => {
        const d: sqlite3.Database = new lib.Database(file, (e) => (e ? reject(e) : resolve(d)));
      });
      this.sqlite.configure('busyTimeout', 10_000);
    }
    const db = this.sqlite;
    return new Promise((resolve, reject) => db.all(sql, params, (e, rows) => (e ? reject(e) : resolve(rows as T[]))));
  }

  bool(b: boolean): unknown {
    return this.driver === 'postgres' ? b : b ? 1 : 0;
  }

  /** A timestamp in the form the driver stores (what TypeORM writes). */
  date(d: Date): unknown {
    return this.driver === 'postgres' ? d : `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 23)}`;
  }

  /** CPU ms used so far by this database's PostgreSQL backends (the server's share of the work); null on SQLite. */
  async serverCpuMs(): Promise<number | null> {
    if (this.driver !== 'postgres' || !this.pgName) return null;
    const rows = await this.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()', [this.pgName]);
    let ms = 0;
    for (const { pid } of rows) ms += procStatCpuMs(`/proc/${pid}/stat`) ?? 0; // null: gone, or not on this machine
    return ms;
  }

  async close(): Promise<void> {
    const s = this.sqlite;
    this.sqlite = null;
    if (s) await new Promise((r) => s.close(() => r(undefined)));
    const pg = this.pg;
    this.pg = null;
    if (pg) await pg.end().catch(() => undefined);
  }

  async drop(): Promise<void> {
    await this.close();
    await this.dispose();
  }
}

export interface RecordedCheck {
  ok: boolean;
  rows: number;
  detail: string;
}

/**
 * What was recorded equals what was sent: `expected` messages with consecutive snowflake ids
 * `firstId`…`lastId` (so count = distinct = range size and min/max match means the sets are equal),
 * the content characters add up, and every author became one user.
 */
export async function checkRecorded(db: BenchDb, e: { count: number; firstId: string; lastId: string; contentChars: number; users: number }): Promise<RecordedCheck> {
  const [m] = await db.query<{ n: number | string; d: number | string; lo: string; hi: string; chars: number | string }>(
    'SELECT COUNT(*) AS n, COUNT(DISTINCT discord_message_id) AS d, MIN(discord_message_id) AS lo, MAX(discord_message_id) AS hi, SUM(LENGTH(content)) AS chars FROM messages',
  );
  const [u] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM users');
  const rows = Number(m.n);
  const problems: string[] = [];
  const span = BigInt(e.lastId) - BigInt(e.firstId) + 1n;
  if (span !== BigInt(e.count)) problems.push(`bench error: sent ids span ${span}, not ${e.count}`);
  if (rows !== e.count) problems.push(`${rows} rows for ${e.count} sent`);
  if (Number(m.d) !== rows) problems.push(`${rows - Number(m.d)} duplicate ids`);
  if (m.lo !== e.firstId || m.hi !== e.lastId) problems.push(`ids ${m.lo}…${m.hi}, sent ${e.firstId}…${e.lastId}`);
  if (Number(m.chars) !== e.contentChars) problems.push(`${m.chars} content characters, sent ${e.contentChars}`);
  if (Number(u.n) !== e.users) problems.push(`${u.n} users, ${e.users} authors`);
  return { ok: problems.length === 0, rows, detail: problems.length ? problems.join('; ') : `${rows.toLocaleString('en-US')} rows = ids sent, no duplicates or gaps, content and users match` };
}
