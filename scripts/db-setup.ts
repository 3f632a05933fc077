/**
 * npm run db:setup — prepares the configured database: on PostgreSQL creates the database named in
 * DATABASE_URL if it does not exist; then applies every pending migration (under the migration lock).
 */
import 'reflect-metadata';
import { describeDatabase, loadConfig, loadDotEnv } from '../src/config';
import { createDatabase } from '../src/database/postgres-admin';
import { createDataSource } from '../src/database/data-source';

async function main() {
  loadDotEnv();
  const config = loadConfig();
  if (config.database.driver === 'postgres') {
    const u = new URL(config.database.url);
    const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
    const admin = new URL(config.database.url);
    admin.pathname = '/postgres';
    await createDatabase(name, admin.toString(), true);
  }
  const ds = createDataSource(config.database);
  await ds.initialize();
  const applied = await ds.runMigrations();
  await ds.destroy();
  console.log(`db:setup: ${describeDatabase(config.database)} ready; ${applied.length} migration(s) applied.`);
}

main().catch((e) => {
  console.error(`db:setup failed: ${(e as Error).message}`);
  process.exit(1);
});
