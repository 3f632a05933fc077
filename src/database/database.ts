import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import type { EntityManager, Logger as TypeOrmLogger } from 'typeorm';
import { describeDatabase, type DatabaseConfig } from '../config';
import { ChronicleDataSource, createDataSource, SQLITE_BUSY_TIMEOUT_MS, type Driver } from './data-source';
import { translateError } from './errors';
import { Mutex } from './mutex';
import { SqliteCheckpointer, WAL_SIZE_LIMIT } from './sqlite-checkpointer';
import { ArchiveStore } from './stores/archive.store';
import { BotStatusStore } from './stores/bot-status.store';
import { ChannelStore } from './stores/channel.store';
import { LogStore } from './stores/log.store';
import { MessageStore } from './stores/message.store';
import { PresenceValuesStore } from './stores/presence-values.store';
import { PrivacyStore } from './stores/privacy.store';
import { AttachmentStore } from './stores/attachment.store';
import { RetentionStore } from './stores/retention.store';
import { ScheduleStore } from './stores/schedule.store';
import { SearchStore } from './stores/search.store';
import { SessionStore } from './stores/session.store';
import { SkillStore } from './stores/skill.store';
import { StatsStore } from './stores/stats.store';
import { TaskStore } from './stores/task.store';
import { TranscriptStore } from './stores/transcript.store';
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

type SqliteStatement = import('sqlite3').Statement;

/** What every store is given: writes go through `write`, reads through `manager`. */
export interface StoreContext {
  readonly driver: Driver;
  readonly manager: EntityManager;
  readonly logger: DatabaseLogger;
  /** `plain`: fn runs plain SQL statements only (no repository calls); lets SQLite keep BEGIN/COMMIT prepared. */
  write<T>(what: string, fn: (em: EntityManager) => Promise<T>, opts?: { plain?: boolean }): Promise<T>;
  /**
   * Runs one write statement inside `write`'s transaction; returns how many rows it changed.
   * `keep`: a statement run again and again with the same text (SQLite keeps it prepared).
   */
  execute(em: EntityManager, sql: string, params: unknown[], opts?: { keep?: boolean }): Promise<number>;
  /**
   * Runs a read outside any transaction, on a connection of its own where there can be one (a
   * pool connection on PostgreSQL; a read-only connection on a SQLite file, which WAL lets read
   * while a write transaction runs on the main one). It sees committed rows only.
   */
  read<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<T[]>;
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
  /** Messages' earlier versions and reactions (written by the recorder). */
  readonly archive: ArchiveStore;
  readonly tasks: TaskStore;
  readonly skills: SkillStore;
  readonly schedules: ScheduleStore;
  readonly logs: LogStore;
  /** Read-only aggregates for `/stats`. */
  readonly stats: StatsStore;
  /** Read-only values of the presence's `{variables}` (`{messages_today}`, `{users_seen}`). */
  readonly presenceValues: PresenceValuesStore;
  /** `/mydata`: summary, export and erasure of one person's rows. */
  readonly privacy: PrivacyStore;
  /** `attachments` for the download queue (rows are written with their messages by the recording store). */
  readonly attachments: AttachmentStore;
  /** `retention_rules` and `purge_runs`: per-channel message retention and the daily purge. */
  readonly retention: RetentionStore;
  /** Channels and threads (written by the recorder). */
  readonly channels: ChannelStore;
  /** `/search`: full-text search over people's messages in the channels a person may read. */
  readonly search: SearchStore;
  /** Channel transcripts (`/export`, `npm run export`): a channel's messages page by page with what hangs off them. */
  readonly transcripts: TranscriptStore;
  readonly changes = new EventEmitter<{ change: ['bot_status' | 'schedules'] }>();
  private readonly writeLock = new Mutex();
  /** SQLite: the read-only connection `read` uses, opened on first use. */
  private reader: Promise<import('sqlite3').Database> | null = null;
  /** SQLite files: WAL checkpoints on a connection of their own, off the commit path (sqlite-checkpointer.ts). */
  private checkpointer: SqliteCheckpointer | null = null;
  /** SQLite: prepared statements kept for the connection's lifetime, by SQL text (see execute). */
  private readonly statements = new Map<string, Promise<SqliteStatement>>();

  private constructor(
    readonly config: DatabaseConfig,
    readonly dataSource: ChronicleDataSource,
    readonly logger: DatabaseLogger,
  ) {
    this.botStatus = new BotStatusStore(this);
    this.users = new UserStore(this);
    this.sessions = new SessionStore(this);
    this.messages = new MessageStore(this);
    this.archive = new ArchiveStore(this);
    this.tasks = new TaskStore(this);
    this.skills = new SkillStore(this);
    this.schedules = new ScheduleStore(this);
    this.logs = new LogStore(this);
    this.stats = new StatsStore(this);
    this.presenceValues = new PresenceValuesStore(this);
    this.privacy = new PrivacyStore(this);
    this.attachments = new AttachmentStore(this);
    this.retention = new RetentionStore(this);
    this.channels = new ChannelStore(this);
    this.search = new SearchStore(this);
    this.transcripts = new TranscriptStore(this);
  }

  /** Opens (connects) the database. Migrations are not applied: call `migrate()`. */
  static async open(config: DatabaseConfig, options: { logger?: DatabaseLogger; typeormLogger?: TypeOrmLogger; sqliteBusyTimeoutMs?: number; sqliteCheckpointer?: boolean } = {}): Promise<Database> {
    const ds = createDataSource(config, options.typeormLogger, options.sqliteBusyTimeoutMs);
    try {
      await ds.initialize();
    } catch (e) {
      throw translateConnectError(e, config);
    }
    const db = new Database(config, ds, options.logger ?? noopLogger);
    if (config.driver === 'sqlite' && config.path !== ':memory:' && options.sqliteCheckpointer !== false) await db.startCheckpointer();
    return db;
  }

  /**
   * Moves WAL checkpoints to a connection of their own: the bot's connection stops checkpointing
   * only once that one is open (if it cannot open, SQLite's own checkpoints stay).
   */
  private async startCheckpointer(): Promise<void> {
    let warned = false;
    try {
      this.checkpointer = await SqliteCheckpointer.open((this.config as { path: string }).path, {
        onError: (e) => {
          if (warned) return;
          warned = true;
          this.logger.warn({ source: 'database', err: e.message }, 'database: a WAL checkpoint failed; retrying every second');
        },
      });
    } catch (e) {
      this.logger.warn({ source: 'database', err: (e as Error).message }, 'database: could not open the checkpoint connection; SQLite checkpoints on commit instead');
      return;
    }
    await this.dataSource.query('PRAGMA wal_autocheckpoint = 0');
    await this.dataSource.query(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT}`);
  }

  /** The checkpointer (SQLite files), for tests and the benchmark. */
  get walCheckpointer(): SqliteCheckpointer | null {
    return this.checkpointer;
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
  async write<T>(what: string, fn: (em: EntityManager) => Promise<T>, opts: { plain?: boolean } = {}): Promise<T> {
    const run = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await (this.driver === 'sqlite' && opts.plain ? this.sqlitePlainTransaction(fn) : this.dataSource.transaction(fn));
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

  /**
   * Runs one write statement inside `write`'s transaction and returns how many rows it changed.
   * With `keep`, on SQLite, the statement is prepared once and kept (the recorder's bulk statements
   * have constant text, their rows bound as one JSON parameter): sqlite3 runs a statement it has to
   * prepare only after a few turns of the event loop — held up by whatever JavaScript runs
   * meanwhile — while a prepared one starts on its thread at once, in parallel with the event loop.
   */
  async execute(em: EntityManager, sql: string, params: unknown[], opts: { keep?: boolean } = {}): Promise<number> {
    if (this.driver !== 'sqlite' || !opts.keep) {
      const res = await em.queryRunner!.query(sql, params, true);
      return Number(res.affected ?? 0);
    }
    let statement = this.statements.get(sql);
    if (!statement) {
      const connection = (this.dataSource.driver as unknown as { databaseConnection: import('sqlite3').Database }).databaseConnection;
      statement = new Promise<SqliteStatement>((resolve, reject) => {
        const st = connection.prepare(sql, (err) => (err ? reject(err) : resolve(st)));
      });
      this.statements.set(sql, statement);
      statement.catch(() => this.statements.delete(sql));
    }
    const st = await statement;
    return new Promise<number>((resolve, reject) => {
      st.run(params, function (this: import('sqlite3').RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve(this.changes);
      });
    });
  }

  async read<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<T[]> {
    if (this.config.driver !== 'sqlite' || this.config.path === ':memory:') return this.dataSource.query(sql, params);
    const file = this.config.path;
    this.reader ??= new Promise((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sqlite3 = require('sqlite3') as typeof import('sqlite3');
      const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(db)));
      db.configure('busyTimeout', (this.dataSource.options as { busyTimeout?: number }).busyTimeout ?? SQLITE_BUSY_TIMEOUT_MS);
    });
    const db = await this.reader;
    try {
      return await new Promise<T[]>((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
    } catch (e) {
      throw translateError(e, 'read');
    }
  }

  /**
   * A SQLite transaction whose BEGIN IMMEDIATE / COMMIT are kept prepared (see execute), for
   * transactions of plain statements only (no repository calls, which would start their own):
   * TypeORM's BEGIN and COMMIT are prepared afresh each time, and each then waits a few turns of
   * a busy event loop before it runs. IMMEDIATE takes the write lock at once, so the transaction
   * never has to be re-run for a stale read snapshot.
   */
  private async sqlitePlainTransaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    const em = runner.manager;
    try {
      await this.execute(em, 'BEGIN IMMEDIATE', [], { keep: true });
      try {
        const result = await fn(em);
        await this.execute(em, 'COMMIT', [], { keep: true });
        return result;
      } catch (e) {
        await this.execute(em, 'ROLLBACK', [], { keep: true }).catch(() => undefined);
        throw e;
      }
    } finally {
      await runner.release();
    }
  }

  /** Round-trip time of a trivial query, in milliseconds. */
  async ping(): Promise<number> {
    const t = performance.now();
    await this.dataSource.query('SELECT 1');
    return performance.now() - t;
  }

  async close(): Promise<void> {
    if (!this.dataSource.isInitialized) return;
    await this.writeLock.run(async () => {
      // sqlite3 cannot close a connection with statements still prepared on it.
      const kept = await Promise.allSettled(this.statements.values());
      this.statements.clear();
      for (const k of kept) if (k.status === 'fulfilled') await new Promise<void>((r) => k.value.finalize(() => r()));
      const reader = await this.reader?.catch(() => null);
      this.reader = null;
      if (reader) await new Promise<void>((r) => reader.close(() => r()));
      // The bot's connection closes last: SQLite checkpoints the rest and removes the WAL then.
      await this.checkpointer?.close();
      this.checkpointer = null;
      await this.dataSource.destroy();
    });
  }
}

/** A database that could not be opened; `retryable` is false when only an operator can fix it. */
export class ConnectError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConnectError';
  }
}

/** One line that says what is wrong with the database and what to do, never the driver's dump or a password. */
function translateConnectError(e: unknown, config: DatabaseConfig): ConnectError {
  const err = e as { code?: string; message?: string; address?: string; port?: number };
  const msg = String(err?.message ?? e).split('\n')[0];
  const where = `cannot open the database ${describeDatabase(config)}`;
  if (config.driver === 'postgres') {
    const u = new URL(config.url);
    const name = decodeURIComponent(u.pathname.replace(/^\//, '')) || u.username || 'postgres';
    if (err?.code === '3D000') return new ConnectError(`${where}: the database "${name}" does not exist; create it with npm run db:setup (it also applies the migrations)`, false, { cause: e });
    if (err?.code === '28P01' || err?.code === '28000') return new ConnectError(`${where}: ${msg}; check the user and password in DATABASE_URL`, false, { cause: e });
    if (err?.code === 'ECONNREFUSED') return new ConnectError(`${where}: nothing accepts connections at ${u.hostname}:${u.port || 5432}; is PostgreSQL running there?`, true, { cause: e });
    if (err?.code === 'ENOTFOUND') return new ConnectError(`${where}: the host ${u.hostname} is unknown; check DATABASE_URL`, true, { cause: e });
  } else if (err?.code === 'SQLITE_CANTOPEN') {
    return new ConnectError(`${where}: the file cannot be opened or created; check that its folder exists and is writable (DATABASE_URL)`, false, { cause: e });
  }
  return new ConnectError(`${where}: ${msg}`, true, { cause: e });
}
