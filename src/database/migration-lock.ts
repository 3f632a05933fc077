import type { DataSource } from 'typeorm';

/** Any constant: the advisory lock key that serialises Chronicle's migration runs. */
const PG_MIGRATION_LOCK_KEY = 727_001_042;
const SQLITE_LOCK_WAIT_MS = 120_000;

/**
 * Runs `fn` while holding a cross-process migration lock.
 * PostgreSQL: `pg_advisory_lock` on its own connection. SQLite: `BEGIN IMMEDIATE` on a sidecar
 * file (`<db>.migrate-lock`), held for the whole run: the main file cannot be locked from a second
 * connection without blocking the migration itself. Each waiter re-reads the migrations table after
 * it gets the lock, so what another process applied meanwhile is not applied again.
 */
export async function withMigrationLock<T>(ds: DataSource, fn: () => Promise<T>): Promise<T> {
  if (ds.options.type === 'postgres') {
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [PG_MIGRATION_LOCK_KEY]);
      try {
        return await fn();
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [PG_MIGRATION_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }
  if (ds.options.type === 'sqlite' && ds.options.database !== ':memory:') {
    const release = await lockSqliteSidecar(`${ds.options.database}.migrate-lock`);
    try {
      return await fn();
    } finally {
      await release();
    }
  }
  return fn();
}

async function lockSqliteSidecar(file: string): Promise<() => Promise<void>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sqlite3 = require('sqlite3') as typeof import('sqlite3');
  const db = await new Promise<import('sqlite3').Database>((resolve, reject) => {
    const d = new sqlite3.Database(file, (err) => (err ? reject(err) : resolve(d)));
  });
  const exec = (sql: string) => new Promise<void>((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
  db.configure('busyTimeout', SQLITE_LOCK_WAIT_MS);
  try {
    await exec('BEGIN IMMEDIATE');
    // A write inside the transaction makes the lock visible to `sqlite3 <file>` users too.
    await exec('CREATE TABLE IF NOT EXISTS migrate_lock (held_by TEXT)');
  } catch (e) {
    db.close();
    throw new Error(`could not take the SQLite migration lock ${file}: ${(e as Error).message}`);
  }
  return () =>
    new Promise<void>((resolve) => {
      db.exec('ROLLBACK', () => db.close(() => resolve()));
    });
}
