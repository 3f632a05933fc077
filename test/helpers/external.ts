import { pgClient } from '../../src/database/postgres-admin';
import { sqliteDate } from '../../src/database/sql-values';
import type { ScratchDb } from './databases';
import { until } from './harness';

/** Runs SQL from a separate connection (not the bot's), as an operator or another process would. */
export async function externalExec(scratch: ScratchDb, sql: string, params: unknown[] = []): Promise<unknown[]> {
  if (scratch.config.driver === 'postgres') {
    const c = pgClient({ connectionString: scratch.config.url });
    await c.connect();
    try {
      const pgSql = sql.replace(
        /\?/g,
        (() => {
          let i = 0;
          return () => `$${++i}`;
        })(),
      );
      return (await c.query(pgSql, params)).rows;
    } finally {
      await c.end();
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sqlite3 = require('sqlite3') as typeof import('sqlite3');
  const file = scratch.config.path;
  const db = await new Promise<import('sqlite3').Database>((res, rej) => {
    const d = new sqlite3.Database(file, (e) => (e ? rej(e) : res(d)));
  });
  db.configure('busyTimeout', 10_000);
  try {
    return await new Promise((res, rej) => db.all(sql, params, (e, rows) => (e ? rej(e) : res(rows))));
  } finally {
    await new Promise((r) => db.close(() => r(undefined)));
  }
}

/** An instant as each driver stores it: SQLite's UTC text (`YYYY-MM-DD HH:MM:SS.SSS`), PostgreSQL's timestamptz. */
export function sqlDate(scratch: ScratchDb, d: Date): unknown {
  return scratch.config.driver === 'postgres' ? d.toISOString() : sqliteDate(d);
}

/** SQLite stores booleans as 0/1; PostgreSQL as true/false. */
export function sqlBool(scratch: ScratchDb, b: boolean): unknown {
  return scratch.config.driver === 'postgres' ? b : b ? 1 : 0;
}

/**
 * Makes the database unavailable for writes from another connection until `release()`: on SQLite
 * a write transaction held open (the bot's writes wait out their busy timeout, then fail and are
 * retried; reads go on); on PostgreSQL an exclusive lock on `messages` (the bot's batches wait,
 * with no error; its reads of `messages` too, unless `readsToo: false`).
 */
export async function blockWrites(scratch: ScratchDb, opts: { readsToo?: boolean } = {}): Promise<{ release(): Promise<void> }> {
  if (scratch.config.driver === 'postgres') {
    const c = pgClient({ connectionString: scratch.config.url });
    await c.connect();
    await c.query('BEGIN');
    await c.query(`LOCK TABLE messages IN ${opts.readsToo === false ? 'EXCLUSIVE' : 'ACCESS EXCLUSIVE'} MODE`);
    return { release: () => c.query('ROLLBACK').then(() => c.end()) };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sqlite3 = require('sqlite3') as typeof import('sqlite3');
  const file = scratch.config.path;
  const db = await new Promise<import('sqlite3').Database>((res, rej) => {
    const d = new sqlite3.Database(file, (e) => (e ? rej(e) : res(d)));
  });
  const exec = (sql: string) => new Promise<void>((res, rej) => db.exec(sql, (e) => (e ? rej(e) : res())));
  await exec('BEGIN IMMEDIATE');
  return { release: () => exec('ROLLBACK').then(() => new Promise<void>((r) => db.close(() => r()))) };
}

/** Messages stored, counted from a connection of the test's own. */
export async function countMessages(scratch: ScratchDb): Promise<number> {
  const [row] = (await externalExec(scratch, 'SELECT COUNT(*) AS n FROM messages')) as { n: number | string }[];
  return Number(row.n);
}

/** Waits until exactly `n` messages are stored. */
export function waitForMessages(scratch: ScratchDb, n: number, what: string, timeoutMs = 10_000): Promise<number> {
  return until(
    () => countMessages(scratch),
    (c) => c === n,
    timeoutMs,
    what,
  );
}
