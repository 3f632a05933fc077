import { existsSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database';
import { scratchDatabase } from '../helpers/databases';
import { until } from '../helpers/harness';

/** Writes `mb` megabytes into a scratch table in one transaction on the bot's own connection. */
async function writeMegabytes(db: Database, mb: number): Promise<void> {
  await db.dataSource.query('CREATE TABLE IF NOT EXISTS scratch (id INTEGER PRIMARY KEY, body BLOB)');
  await db.dataSource.transaction(async (em) => {
    for (let i = 0; i < mb * 4; i++) await em.query('INSERT INTO scratch (body) VALUES (randomblob(262144))');
  });
}

describe('WAL checkpoints on a connection of their own (SQLite)', () => {
  let dispose: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await dispose?.();
    dispose = undefined;
  });

  it("the bot's connection never checkpoints; the checkpointer copies every frame into the file within a few seconds; closing removes the WAL", async () => {
    const scratch = await scratchDatabase('sqlite', 'checkpointer');
    const db = await Database.open(scratch.config);
    dispose = async () => {
      await db.close();
      await scratch.dispose();
    };
    const file = (scratch.config as { path: string }).path;
    expect(await db.dataSource.query('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 0 }]);
    expect(db.walCheckpointer).not.toBeNull();

    // 8 MB in one commit: past SQLite's 1,000-page threshold eight times over, yet the commit
    // copies nothing back (the file stays small) — the checkpointer does, on its own.
    await writeMegabytes(db, 8);
    const sizeAfterCommit = statSync(file).size;
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(8 * 1024 * 1024);
    const done = await until(
      () => Promise.resolve(db.walCheckpointer!.last),
      (r) => !!r && r.log > 2000 && r.checkpointed === r.log,
      10_000,
      'a complete checkpoint',
    );
    expect(done!.log).toBeGreaterThan(2000);
    expect(statSync(file).size).toBeGreaterThan(sizeAfterCommit + 8 * 1024 * 1024);
    expect(db.walCheckpointer!.stats.errors).toBe(0);

    await db.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    // What was written is there for the next connection.
    const again = await Database.open(scratch.config);
    expect(await again.dataSource.query('SELECT COUNT(*) AS n FROM scratch')).toEqual([{ n: 32 }]);
    await again.close();
  });

  it('without the checkpointer SQLite checkpoints on commit, as before', async () => {
    const scratch = await scratchDatabase('sqlite', 'no-checkpointer');
    const db = await Database.open(scratch.config, { sqliteCheckpointer: false });
    dispose = async () => {
      await db.close();
      await scratch.dispose();
    };
    expect(await db.dataSource.query('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 1000 }]);
    expect(db.walCheckpointer).toBeNull();
  });
});
