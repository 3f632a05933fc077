import type { DataSource, QueryRunner } from 'typeorm';

/** Any constant: the first key of the advisory locks that pace IDENTIFYs (the second is the bucket). */
export const PG_IDENTIFY_LOCK_KEY = 727_001_045;

/** One lock per identify rate-limit bucket, shared by every process on the database. */
export interface BucketLocks {
  /** Takes the bucket's lock if no one holds it; false when another process does. */
  tryLock(bucket: number): Promise<boolean>;
  unlock(bucket: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * PostgreSQL: `pg_try_advisory_lock(key, bucket)` on one connection of its own, so a lock lives
 * exactly as long as that session (a process killed mid-hold lets go of it with its connection).
 * Session locks are re-entrant within a session, so a process must serialise its own shards of a
 * bucket itself (the throttler does).
 */
export function pgBucketLocks(ds: DataSource): BucketLocks {
  let runner: QueryRunner | null = null;
  const connection = async () => {
    if (runner && !runner.isReleased) return runner;
    runner = ds.createQueryRunner();
    await runner.connect();
    return runner;
  };
  return {
    async tryLock(bucket) {
      const r = await connection();
      const rows: { locked: boolean }[] = await r.query('SELECT pg_try_advisory_lock($1, $2) AS locked', [PG_IDENTIFY_LOCK_KEY, bucket]);
      return rows[0]?.locked === true;
    },
    async unlock(bucket) {
      if (!runner || runner.isReleased) return;
      await runner.query('SELECT pg_advisory_unlock($1, $2)', [PG_IDENTIFY_LOCK_KEY, bucket]);
    },
    async close() {
      const r = runner;
      runner = null;
      if (r && !r.isReleased) await r.release();
    },
  };
}
