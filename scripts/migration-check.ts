/**
 * npm run migration:check — the "verify" step. For each driver: a fresh database, every migration
 * applied, then the same comparison `typeorm migration:generate --check` makes (the schema builder's
 * pending SQL). Exits non-zero if the entities and the migrations disagree on either driver.
 */
import 'reflect-metadata';
import { createDataSource } from '../src/database/data-source';
import { DRIVERS, postgresAvailable, scratchDatabase } from './lib/migrations';

async function check(driver: (typeof DRIVERS)[number]): Promise<boolean> {
  const scratch = await scratchDatabase(driver);
  const ds = createDataSource(scratch.config);
  try {
    await ds.initialize();
    const applied = await ds.runMigrations();
    const sql = await ds.driver.createSchemaBuilder().log();
    if (sql.upQueries.length === 0) {
      console.log(`migration:check ${driver}: ok (${applied.length} migrations, entities match)`);
      return true;
    }
    console.error(`migration:check ${driver}: DRIFT — the entities differ from the migrations. Missing SQL:`);
    for (const q of sql.upQueries) console.error(`  ${q.query}`);
    console.error('Run: npm run migration:generate -- DescribeYourChange, and commit both folders.');
    return false;
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await scratch.dispose();
  }
}

async function main() {
  let ok = true;
  for (const driver of DRIVERS) {
    if (driver === 'postgres' && !(await postgresAvailable('migration:check'))) continue;
    ok = (await check(driver)) && ok;
  }
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(`migration:check failed: ${(e as Error).message}`);
  process.exit(1);
});
