/**
 * npm run migration:generate -- NAME
 * For each driver: a fresh database, all existing migrations applied, then the TypeORM CLI's
 * `migration:generate` writes src/migrations/<driver>/<timestamp>-NAME.ts (same timestamp for both
 * drivers) and the folder's index.ts is rewritten.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createDataSource } from '../src/database/data-source';
import { DRIVERS, ROOT, migrationName, migrationsDir, postgresAvailable, scratchDatabase, writeMigrationIndex } from './lib/migrations';

async function main() {
  const name = migrationName(process.argv.slice(2), 'migration:generate');
  const timestamp = Date.now();
  let failed = false;
  for (const driver of DRIVERS) {
    if (driver === 'postgres' && !(await postgresAvailable('migration:generate'))) {
      failed = true;
      continue;
    }
    const scratch = await scratchDatabase(driver);
    try {
      const ds = createDataSource(scratch.config);
      await ds.initialize();
      await ds.runMigrations();
      await ds.destroy();
      const target = path.relative(ROOT, path.join(migrationsDir(driver), name));
      const res = spawnSync(process.execPath, ['--import', 'tsx', require.resolve('typeorm/cli.js'), 'migration:generate', '-d', 'ormconfig.ts', '-p', '-t', String(timestamp), target], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: scratch.url },
        encoding: 'utf8',
      });
      const out = `${res.stdout}${res.stderr}`.trim();
      if (/No changes in database schema were found/.test(out)) {
        console.log(`${driver}: no changes; nothing generated.`);
      } else if (res.status !== 0) {
        console.error(`${driver}: typeorm migration:generate failed:\n${out}`);
        failed = true;
      } else {
        console.log(
          `${driver}: ${
            out
              .split('\n')
              .filter((l) => /generated successfully/.test(l))
              .join('') || out
          }`,
        );
      }
      writeMigrationIndex(driver);
    } finally {
      await scratch.dispose();
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`migration:generate failed: ${(e as Error).message}`);
  process.exit(1);
});
