import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import type { EntityManager, Logger as TypeOrmLogger } from 'typeorm';
import { describeDatabase, type DatabaseConfig } from '../config';
import { ChronicleDataSource, createDataSource, type Driver } from './data-source';
import { translateError } from './errors';
import { Mutex } from './mutex';
import { BotStatusStore } from './stores/bot-status.store';
import { LogStore } from './stores/log.store';
import { MessageStore } from './stores/message.store';
import { PrivacyStore } from './stores/privacy.store';
import { ScheduleStore } from './stores/schedule.store';
import { SessionStore } from './stores/session.store';
import { SkillStore } from './stores/skill.store';
import { StatsStore } from './stores/stats.store';
import { TaskStore } from './stores/task.store';
import { UserStore } from './stores/user.store';

/** The few logging calls the database layer makes; a no-op by default. */
export interface DatabaseLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const SQLITE_BUSY_RETRIES = 50;

export const noopLogger: DatabaseLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** What every store is given: writes go through `write`, reads through `manager`. */
export interface StoreContext {
  readonly driver: Driver;
  readonly manager: EntityManager;
  readonly logger: DatabaseLogger;
  write<T>(what: string, fn: (em: EntityManager) => Promise<T>): Promise<T>;
  /** Stores report their committed changes to watched tables here. */
  readonly changes: EventEmitter<{ change: ['bot_status' | 'schedules'] }>;
}

/**
 * The data-access API: made from config, with an optional logger.
 * - `migrate()` applies pending migrations (under the cross-process lock), `rollback()` reverts
 *   the last one, `close()` closes the pool.
 * - Every multi-table write runs in one transaction (`write`). On SQLite the driver shares one
 *   connection, so write transactions are serialised in the process by a mutex (concurrent
 *   `transaction()` calls would otherwise fail); the file is in WAL mode with a busy timeout, so
 *   other processes wait rather than fail.
 */
export class Database implements StoreContext {
  readonly botStatus: BotStatusStore;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly messages: MessageStore;
  readonly tasks: TaskStore;
  readonly skills: SkillStore;
  readonly schedules: ScheduleStore;
  readonly logs: LogStore;
  /** Read-only aggregates for `/stats`. */
  readonly stats: StatsStore;
  /** `/mydata`: summary, export and erasure of one person's rows. */
  readonly privacy: PrivacyStore;
  readonly changes = new EventEmitter<{ change: ['bot_status' | 'schedules'] }>();
  private readonly writeLock = new Mutex();

  private constructor(
    readonly config: DatabaseConfig,
    readonly dataSource: ChronicleDataSource,
    readonly logger: DatabaseLogger,
  ) {
    this.botStatus = new BotStatusStore(this);
    this.users = new UserStore(this);
    this.sessions = new SessionStore(this);
    this.messages = new MessageStore(this);
    this.tasks = new TaskStore(this);
    this.skills = new SkillStore(this);
    this.schedules = new ScheduleStore(this);
    this.logs = new LogStore(this);
    this.stats = new StatsStore(this);
    this.privacy = new PrivacyStore(this);
  }

  /** Opens (connects) the database. Migrations are not applied: call `migrate()`. */
  static async open(config: DatabaseConfig, options: { logger?: DatabaseLogger; typeormLogger?: TypeOrmLogger } = {}): Promise<Database> {
    const ds = createDataSource(config, options.typeormLogger);
    try {
      await ds.initialize();
    } catch (e) {
      throw translateConnectError(e, config);
    }
    return new Database(config, ds, options.logger ?? noopLogger);
  }

  get driver(): Driver {
    return this.config.driver;
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  describe(): string {
    return describeDatabase(this.config);
  }

  /** Applies pending migrations; returns the names applied. */
  async migrate(): Promise<string[]> {
    const applied = await this.dataSource.runMigrations();
    if (applied.length) this.logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
    return applied.map((m) => m.name);
  }

  /** Reverts the most recent migration; returns its name, or null when none was applied. */
  async rollback(): Promise<string | null> {
    const executed = await this.executedMigrations();
    if (!executed.length) return null;
    await this.dataSource.undoLastMigration();
    return executed[executed.length - 1];
  }

  async executedMigrations(): Promise<string[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      if (!(await runner.hasTable('migrations'))) return [];
      const rows: { name: string }[] = await runner.query('SELECT name FROM migrations ORDER BY id');
      return rows.map((r) => r.name);
    } finally {
      await runner.release();
    }
  }

  /** Names of migrations this build ships that the database has not applied. */
  async pendingMigrations(): Promise<string[]> {
    const executed = new Set(await this.executedMigrations());
    return this.dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((n) => !executed.has(n));
  }

  /** Runs `fn` in one transaction (serialised in-process on SQLite). */
  async write<T>(what: string, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const run = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.dataSource.transaction(fn);
        } catch (e) {
          // SQLite starts transactions DEFERRED: when another process commits between this
          // transaction's first read and its first write, SQLite answers SQLITE_BUSY at once (the
          // busy timeout does not apply to a stale snapshot). The whole transaction is re-run.
          if (this.driver === 'sqlite' && attempt < SQLITE_BUSY_RETRIES && /SQLITE_BUSY/.test(String((e as Error)?.message))) {
            await new Promise((r) => setTimeout(r, Math.min(5 * attempt, 100)));
            continue;
          }
          throw translateError(e, what);
        }
      }
    };
    return this.driver === 'sqlite' ? this.writeLock.run(run) : run();
  }

  /** Round-trip time of a trivial query, in milliseconds. */
  async ping(): Promise<number> {
    const t = performance.now();
    await this.dataSource.query('SELECT 1');
    return performance.now() - t;
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.writeLock.run(() => this.dataSource.destroy());
  }
}

function translateConnectError(e: unknown, config: DatabaseConfig): Error {
  const msg = String((e as Error)?.message ?? e).split('\n')[0];
  return new Error(`cannot open the database ${describeDatabase(config)}: ${msg}`, { cause: e });
}
