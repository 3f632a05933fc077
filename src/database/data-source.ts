import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DataSource, getMetadataArgsStorage, type DataSourceOptions, type Logger as TypeOrmLogger, type MigrationInterface } from 'typeorm';
import type { DatabaseConfig } from '../config';
import { ENTITIES } from '../entities';
import { isTimestampColumnOptions } from './column-types';
import { withMigrationLock } from './migration-lock';
import { POSTGRES_MIGRATIONS } from '../migrations/postgres';
import { SQLITE_MIGRATIONS } from '../migrations/sqlite';

export type Driver = DatabaseConfig['driver'];

/** Migration classes per driver (each folder's index.ts is rewritten by `npm run migration:generate`). */
export function migrationsFor(driver: Driver): (new () => MigrationInterface)[] {
  return driver === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS;
}

/**
 * How long a SQLite statement waits for another connection's write lock before SQLITE_BUSY. The
 * wait runs on a libuv thread that even process.exit waits for, so the bot passes a shorter one
 * (half of SHUTDOWN_TIMEOUT_MS, see startBot) to keep its stop bounded.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** Data source options per driver. Migrations always run in one transaction ('all'), never 'none'. */
export function dataSourceOptions(db: DatabaseConfig, logger?: TypeOrmLogger, sqliteBusyTimeoutMs = SQLITE_BUSY_TIMEOUT_MS): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: migrationsFor(db.driver),
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'all' as const,
    synchronize: false,
    migrationsRun: false,
    logging: logger ? (['error', 'warn', 'migration'] as const).slice() : false,
    logger,
  };
  if (db.driver === 'sqlite') {
    if (db.path !== ':memory:') mkdirSync(path.dirname(db.path), { recursive: true });
    // WAL is switched on in ChronicleDataSource.initialize, after the busy timeout is in force, so
    // that several processes opening a fresh file at once wait instead of failing with SQLITE_BUSY.
    return { ...common, type: 'sqlite', database: db.path, busyTimeout: sqliteBusyTimeoutMs };
  }
  return {
    ...common,
    type: 'postgres',
    url: db.url,
    applicationName: 'chronicle',
    extra: { max: 10, connectionTimeoutMillis: 10_000 },
  };
}

/**
 * The project's DataSource: TypeORM's, plus
 * - timestamp columns become `timestamp with time zone` on PostgreSQL (see column-types.ts);
 * - SQLite in WAL mode with synchronous=NORMAL and a busy timeout;
 * - `runMigrations` / `undoLastMigration` hold a cross-process lock (PostgreSQL advisory lock,
 *   SQLite `BEGIN IMMEDIATE` on a sidecar lock file), so concurrent deploys apply each migration
 *   exactly once — also through the plain TypeORM CLI (`typeorm migration:run -d ormconfig.ts`).
 */
export class ChronicleDataSource extends DataSource {
  override async initialize(): Promise<this> {
    await super.initialize();
    if (this.options.type === 'sqlite' && this.options.database !== ':memory:') {
      // Several connections switching a fresh file to WAL at once get SQLITE_BUSY at once (SQLite
      // avoids the deadlock instead of waiting), so this one statement is retried.
      for (let attempt = 1; ; attempt++) {
        try {
          await this.query('PRAGMA journal_mode = WAL');
          break;
        } catch (e) {
          if (attempt >= 500 || !/SQLITE_BUSY/.test(String((e as Error).message))) throw e;
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
        }
      }
      await this.query('PRAGMA synchronous = NORMAL');
    }
    return this;
  }

  protected override async buildMetadatas(): Promise<void> {
    await super.buildMetadatas();
    if (this.options.type !== 'postgres') return;
    const marked = getMetadataArgsStorage().columns.filter((c) => isTimestampColumnOptions(c.options));
    for (const meta of this.entityMetadatas) {
      for (const column of meta.columns) {
        if (marked.some((m) => m.propertyName === column.propertyName && typeof m.target === 'function' && meta.inheritanceTree.includes(m.target))) {
          column.type = 'timestamp with time zone';
        }
      }
    }
  }

  override runMigrations(options?: Parameters<DataSource['runMigrations']>[0]) {
    return withMigrationLock(this, () => super.runMigrations(options));
  }

  override undoLastMigration(options?: Parameters<DataSource['undoLastMigration']>[0]) {
    return withMigrationLock(this, () => super.undoLastMigration(options));
  }
}

export function createDataSource(db: DatabaseConfig, logger?: TypeOrmLogger, sqliteBusyTimeoutMs?: number): ChronicleDataSource {
  return new ChronicleDataSource(dataSourceOptions(db, logger, sqliteBusyTimeoutMs));
}
