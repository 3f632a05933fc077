import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database';
import { createDataSource, migrationsFor } from '../../src/database/data-source';
import { DRIVERS, scratchDatabase, type ScratchDb } from '../helpers/databases';

const ROOT = path.resolve(__dirname, '..', '..');

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', require.resolve('typeorm/cli.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

describe.each(DRIVERS)('migrations on $driver', ({ driver, skip }) => {
  let scratch: ScratchDb;
  beforeAll(async () => {
    if (!skip) scratch = await scratchDatabase(driver, 'migrations');
  });
  afterAll(async () => scratch?.dispose());

  it.skipIf(skip)('go up, all the way down, and up again', async () => {
    const total = migrationsFor(driver).length;
    const db = await Database.open(scratch.config);
    try {
      expect(await db.pendingMigrations()).toHaveLength(total);
      expect(await db.migrate()).toHaveLength(total);
      await db.botStatus.createBotStatus({ id: 'bot-1', isActive: true });
      for (let i = total; i > 0; i--) expect(await db.rollback()).toBeTruthy();
      expect(await db.rollback()).toBeNull();
      expect(await db.pendingMigrations()).toHaveLength(total);
      const tables: unknown[] = await db.dataSource.query(
        driver === 'sqlite'
          ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('users','messages','bot_status')"
          : "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('users','messages','bot_status')",
      );
      expect(tables).toHaveLength(0);
      expect(await db.migrate()).toHaveLength(total);
      expect(await db.botStatus.getActiveBotStatus()).toBeNull();
    } finally {
      await db.close();
    }
  });

  it.skipIf(skip)('three data sources racing to migrate one database apply each migration exactly once', async () => {
    const fresh = await scratchDatabase(driver, 'migrace');
    const sources = [0, 1, 2].map(() => createDataSource(fresh.config));
    try {
      await Promise.all(sources.map((s) => s.initialize()));
      const applied = await Promise.all(sources.map((s) => s.runMigrations()));
      expect(
        applied
          .flat()
          .map((m) => m.name)
          .sort(),
      ).toEqual(
        migrationsFor(driver)
          .map((m) => m.name)
          .sort(),
      );
      const rows: { name: string }[] = await sources[0].query('SELECT name FROM migrations');
      expect(rows).toHaveLength(migrationsFor(driver).length);
    } finally {
      await Promise.all(sources.map((s) => (s.isInitialized ? s.destroy() : undefined)));
      await fresh.dispose();
    }
  });

  it.skipIf(skip)(
    'three concurrent `typeorm migration:run` apply each migration exactly once',
    async () => {
      const fresh = await scratchDatabase(driver, 'migconc');
      try {
        const env = { DATABASE_URL: fresh.url };
        const runs = await Promise.all([0, 1, 2].map(() => runCli(['migration:run', '-d', 'ormconfig.ts'], env)));
        for (const r of runs) expect(r.code, r.out).toBe(0);
        const db = await Database.open(fresh.config);
        try {
          const rows: { name: string }[] = await db.dataSource.query('SELECT name FROM migrations');
          expect(rows.map((r) => r.name).sort()).toEqual(
            migrationsFor(driver)
              .map((m) => m.name)
              .sort(),
          );
          expect(await db.pendingMigrations()).toEqual([]);
        } finally {
          await db.close();
        }
        // The CLI's status verb sees them all applied.
        const show = await runCli(['migration:show', '-d', 'ormconfig.ts'], env);
        expect(show.code, show.out).toBe(0);
        expect(show.out).toMatch(/\[X\]/);
        expect(show.out).not.toMatch(/\[ \]/);
      } finally {
        await fresh.dispose();
      }
    },
    120_000,
  );
});
