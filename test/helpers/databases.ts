import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import type { DatabaseConfig } from '../../src/config';
import { Database } from '../../src/database/database';
import { createTempDatabase } from '../../src/database/postgres-admin';

export type Driver = DatabaseConfig['driver'];

/** The drivers this run covers: SQLite always; PostgreSQL when the global setup found it. */
export const DRIVERS: { driver: Driver; skip: boolean }[] = [
  { driver: 'sqlite', skip: false },
  { driver: 'postgres', skip: !inject('postgres') },
];

export interface ScratchDb {
  config: DatabaseConfig;
  url: string;
  dispose(): Promise<void>;
}

/** A fresh, empty database: a SQLite file in a temp dir, or a new PostgreSQL database. */
export async function scratchDatabase(driver: Driver, label = 'test'): Promise<ScratchDb> {
  if (driver === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), `chronicle-${label}-`));
    const file = path.join(dir, 'db.sqlite');
    return { config: { driver, path: file }, url: `sqlite:${file}`, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const db = await createTempDatabase(`chronicle_${label}`);
  return { config: { driver, url: db.url }, url: db.url, dispose: db.drop };
}

/** A migrated Database on a fresh scratch database; `close()` also disposes of it. */
export async function openTestDatabase(driver: Driver, label = 'test'): Promise<Database & { dispose(): Promise<void>; url: string }> {
  const scratch = await scratchDatabase(driver, label);
  const db = await Database.open(scratch.config);
  await db.migrate();
  return Object.assign(db, {
    url: scratch.url,
    async dispose() {
      await db.close();
      await scratch.dispose();
    },
  });
}
