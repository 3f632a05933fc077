/**
 * The DataSource for the TypeORM CLI. The driver (and so the migrations folder,
 * src/migrations/sqlite or src/migrations/postgres) comes from DATABASE_URL, as for the bot:
 *
 *   npm run typeorm -- migration:run -d ormconfig.ts                (from a checkout: tsx loads it)
 *   npx typeorm migration:run -d dist/ormconfig.js                   (after npm run build)
 */
import 'reflect-metadata';
import { loadConfig, loadDotEnv } from './src/config';
import { createDataSource } from './src/database/data-source';

loadDotEnv();
const config = loadConfig();

export default createDataSource(config.database);
