import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Environment → typed, validated config. Validated once at start; every problem is reported on
 * its own line naming the variable and how to fix it. Secrets are never echoed back.
 */

export type DatabaseConfig = { driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const ATTACHMENT_MODES = ['off', 'metadata', 'files'] as const;
export type AttachmentMode = (typeof ATTACHMENT_MODES)[number];

const MIB = 1024 * 1024;

export const DEFAULT_SQLITE_PATH = path.join('data', 'chronicle.sqlite');

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses DATABASE_URL / DB_URL into a driver choice. Throws a one-line message on a bad value. */
export function parseDatabaseUrl(raw: string | undefined, cwd = process.cwd()): DatabaseConfig {
  const value = raw?.trim();
  if (!value) return { driver: 'sqlite', path: path.resolve(cwd, DEFAULT_SQLITE_PATH) };
  if (/^postgres(ql)?:\/\//i.test(value)) {
    try {
      const u = new URL(value);
      if (!u.hostname) throw new Error('no host');
    } catch {
      throw new Error('is not a valid postgres:// URL; expected postgres://USER:PASSWORD@HOST:5432/DATABASE');
    }
    return { driver: 'postgres', url: value };
  }
  if (/^sqlite:/i.test(value)) {
    const p = value.replace(/^sqlite:(\/\/)?/i, '');
    if (!p) throw new Error('names no file; expected sqlite:PATH, e.g. sqlite:data/chronicle.sqlite');
    return { driver: 'sqlite', path: p === ':memory:' ? p : path.resolve(cwd, p) };
  }
  if (/\.(sqlite3?|db)$/i.test(value)) return { driver: 'sqlite', path: path.resolve(cwd, value) };
  throw new Error('is neither a postgres:// URL nor a SQLite file; use postgres://USER@HOST:5432/DB, sqlite:PATH, or a path ending .sqlite or .db (unset means data/chronicle.sqlite)');
}

const bool = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false (got "${v}")` });
      return z.NEVER;
    });

const num = (name: string, min: number, max: number, whole: boolean, hint = '') =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || (whole && !Number.isInteger(n)) || n < min || n > max) {
        const what = whole ? 'a whole number' : 'a number';
        ctx.addIssue({ code: 'custom', message: `${name} must be ${what} from ${min} to ${max}${hint} (got "${v}")` });
        return z.NEVER;
      }
      return n;
    });
const int = (name: string, min: number, max: number, hint?: string) => num(name, min, max, true, hint);

/** Discord's largest shard counts are in the thousands; more is a typo. */
export const MAX_SHARDS = 65_536;

/** SHARD_COUNT: `auto` (Discord's recommendation from GET /gateway/bot) or a count. */
const shardCount = z
  .string()
  .optional()
  .transform((v, ctx): number | 'auto' | undefined => {
    if (v === undefined || !v.trim()) return undefined;
    const s = v.trim().toLowerCase();
    if (s === 'auto') return 'auto';
    if (/^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= MAX_SHARDS) return Number(s);
    ctx.addIssue({ code: 'custom', message: `SHARD_COUNT must be auto (the count Discord recommends) or a whole number from 1 to ${MAX_SHARDS} (got "${v}")` });
    return z.NEVER;
  });

/** `0-3`, `0,2`, `0-1,4`: the shard ids, sorted, without repeats; throws with what is wrong. */
export function parseShardIds(raw: string): number[] {
  const ids = new Set<number>();
  for (const part of raw.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new Error(part ? `"${part}" is neither a shard id nor a range` : 'has an empty item');
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new Error(`the range "${part}" is empty (write the lower id first, e.g. ${to}-${from})`);
    if (to >= MAX_SHARDS) throw new Error(`shard ${to} is beyond ${MAX_SHARDS - 1}`);
    for (let i = from; i <= to; i++) ids.add(i);
  }
  return [...ids].sort((a, b) => a - b);
}

const shardIds = z
  .string()
  .optional()
  .transform((v, ctx): number[] | undefined => {
    if (v === undefined || !v.trim()) return undefined;
    try {
      return parseShardIds(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `SHARD_IDS must be shard ids and ranges, e.g. 0-3 or 0,2 (unset: every shard); ${(e as Error).message} (got "${v}")` });
      return z.NEVER;
    }
  });

export interface ShardConfig {
  /** SHARD_COUNT: the shards the bot has in all (auto: GET /gateway/bot's recommendation). */
  count: number | 'auto';
  /** SHARD_IDS: the shards this process (or its children) runs; null: all of them. */
  ids: number[] | null;
  /** SHARDS_PER_PROCESS: `npm start` forks children of this many shards each; null: one process. */
  perProcess: number | null;
}

/** The shards a process runs, once the count is known. */
export interface ShardPlan {
  count: number;
  ids: number[];
}

/**
 * The shards this process runs, from the configuration and the count (SHARD_COUNT, or Discord's
 * recommendation for auto). Throws one line naming the variable and the fix: an id beyond the
 * count, or on SQLite any plan that needs more than one process (SQLite serves one process only).
 */
export function planShards(shards: ShardConfig, count: number, database: DatabaseConfig): ShardPlan {
  const ids = shards.ids ?? Array.from({ length: count }, (_, i) => i);
  const beyond = ids.filter((id) => id >= count);
  const source = shards.count === 'auto' ? `Discord recommends ${count} (SHARD_COUNT=auto)` : `SHARD_COUNT=${count}`;
  if (beyond.length) throw new Error(`SHARD_IDS names shard(s) ${beyond.join(', ')} but ${source}, so ids run from 0 to ${count - 1}: fix SHARD_IDS or set SHARD_COUNT to the total number of shards across all processes`);
  if (database.driver === 'sqlite') {
    const toPg = 'SQLite serves one process only: move to PostgreSQL (npm run db:copy -- --from sqlite:PATH --to postgres://…, then DATABASE_URL=postgres://…) or run every shard in this one process';
    if (ids.length < count) throw new Error(`SHARD_IDS=${formatShardIds(ids)} runs ${ids.length} of ${count} shards, so the others run in another process; ${toPg}`);
    if (shards.perProcess !== null && shards.perProcess < ids.length)
      throw new Error(`SHARDS_PER_PROCESS=${shards.perProcess} splits ${ids.length} shards over ${Math.ceil(ids.length / shards.perProcess)} processes; ${toPg} (or unset SHARDS_PER_PROCESS)`);
  }
  return { count, ids };
}

/** [0,1,2,3,5] → "0-3,5". */
export function formatShardIds(ids: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    out.push(j === i ? String(ids[i]) : `${ids[i]}-${ids[j]}`);
    i = j;
  }
  return out.join(',');
}

const SNOWFLAKE = /^\d{15,20}$/;
const idList = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v || !v.trim()) return [] as string[];
      const ids = v.split(/[\s,]+/).filter(Boolean);
      const bad = ids.filter((id) => !SNOWFLAKE.test(id));
      if (bad.length) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a comma-separated list of Discord ids (15–20 digits) (got "${v}"; not ids: ${bad.join(', ')})`,
        });
        return z.NEVER;
      }
      return ids;
    });

const snowflake = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v || !v.trim()) return undefined;
      if (!SNOWFLAKE.test(v.trim())) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a Discord id (15–20 digits), e.g. 123456789012345678 (got "${v}")` });
        return z.NEVER;
      }
      return v.trim();
    });

/** One of a few words, case-insensitive; the error lists them and what each does. */
const oneOf = <T extends string>(name: string, values: readonly T[], help: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || !v.trim()) return undefined;
      const s = v.trim().toLowerCase();
      if ((values as readonly string[]).includes(s)) return s as T;
      ctx.addIssue({ code: 'custom', message: `${name} must be ${help} (got "${v}")` });
      return z.NEVER;
    });

const logLevel = (name: string, fallback: LogLevel) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v || !v.trim()) return fallback;
      const s = v.trim().toLowerCase();
      if ((LOG_LEVELS as readonly string[]).includes(s)) return s as LogLevel;
      ctx.addIssue({ code: 'custom', message: `${name} must be one of ${LOG_LEVELS.join(', ')} (got "${v}")` });
      return z.NEVER;
    });

const EnvSchema = z.object({
  DATABASE_URL: z.string().optional(),
  DB_URL: z.string().optional(),
  LOG_LEVEL: logLevel('LOG_LEVEL', 'info'),
  LOG_DB_LEVEL: logLevel('LOG_DB_LEVEL', 'warn'),
  LOG_RETENTION_DAYS: int('LOG_RETENTION_DAYS', 1, 3650),
  RETENTION_DAYS: int('RETENTION_DAYS', 0, 3650, ' (days messages are kept; 0 or unset keeps them for ever)'),
  LOG_FORMAT: oneOf('LOG_FORMAT', ['json', 'pretty'] as const, 'json (one JSON object per line) or pretty (for a terminal)'),
  DISCORD_TOKEN: z.string().optional(),
  DISCORD_API_URL: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (v && !/^https?:\/\/[^\s]+$/.test(v)) ctx.addIssue({ code: 'custom', message: `DISCORD_API_URL must be an http(s) URL of a REST base, e.g. http://127.0.0.1:8080/api (got "${v}")` });
    }),
  DISCORD_APPLICATION_ID: snowflake('DISCORD_APPLICATION_ID'),
  DISCORD_GUILD_ID: snowflake('DISCORD_GUILD_ID'),
  BOT_OWNER_IDS: idList('BOT_OWNER_IDS'),
  MIGRATIONS: oneOf('MIGRATIONS', ['auto', 'check'] as const, 'auto (apply pending migrations at start) or check (refuse to start with pending ones)'),
  COMMANDS_AUTO_DEPLOY: oneOf('COMMANDS_AUTO_DEPLOY', ['guild', 'global', 'off'] as const, 'guild (register changed slash commands in DISCORD_GUILD_ID at start), global (register them globally) or off (only say when they are stale)'),
  SESSION_IDLE_MINUTES: num('SESSION_IDLE_MINUTES', 0.01, 60 * 24 * 365, false),
  RECORD_CHANNELS: idList('RECORD_CHANNELS'),
  IGNORE_CHANNELS: idList('IGNORE_CHANNELS'),
  RECORD_CONTENT: bool('RECORD_CONTENT'),
  PRESENCE_REFRESH_MINUTES: int('PRESENCE_REFRESH_MINUTES', 1, 24 * 60),
  MEMBERS_INTENT: bool('MEMBERS_INTENT'),
  SQLITE_POLL_MS: int('SQLITE_POLL_MS', 10, 60_000),
  RECORDER_BATCH_SIZE: int('RECORDER_BATCH_SIZE', 1, 5_000),
  RECORDER_FLUSH_MS: int('RECORDER_FLUSH_MS', 0, 600_000),
  RECORDER_MAX_QUEUE: int('RECORDER_MAX_QUEUE', 1_000, 10_000_000),
  RECORDER_MAX_QUEUE_MB: int('RECORDER_MAX_QUEUE_MB', 1, 16_384, ' (megabytes of events held in memory before the overflow goes to disk)'),
  JOURNAL: oneOf('JOURNAL', ['on', 'off'] as const, 'on (every event received is on disk within JOURNAL_SYNC_MS, so a crash loses none) or off (faster; a crash loses what was only in memory)'),
  JOURNAL_SYNC_MS: int('JOURNAL_SYNC_MS', 1, 10_000, ' (milliseconds between journal writes: at most this much of what was received is lost in a crash)'),
  BACKFILL_MAX_MESSAGES: int('BACKFILL_MAX_MESSAGES', 0, 100_000),
  RECONCILE_MESSAGES: int('RECONCILE_MESSAGES', 0, 10_000, ' (recent messages per channel checked at start for edits and deletes made while the bot was away; 0 turns it off)'),
  SHUTDOWN_TIMEOUT_MS: int('SHUTDOWN_TIMEOUT_MS', 1_000, 600_000, " (milliseconds a stop may take; keep it below the supervisor's stop timeout, Docker's is 10 s)"),
  METRICS_PORT: int('METRICS_PORT', 0, 65_535, ' (the port of /healthz, /readyz and /metrics; unset: no listener; 0: any free port, printed at start)'),
  METRICS_HOST: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (v !== undefined && !/^[\w.:-]+$/.test(v.trim())) ctx.addIssue({ code: 'custom', message: `METRICS_HOST must be an address to listen on, e.g. 127.0.0.1 or 0.0.0.0 (got "${v}")` });
    }),
  DATA_DIR: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (v !== undefined && !v.trim()) ctx.addIssue({ code: 'custom', message: `DATA_DIR must be a directory path (where the recorder keeps its journal and spill file); unset it for the default (got "${v}")` });
    }),
  SHARD_COUNT: shardCount,
  SHARD_IDS: shardIds,
  SHARDS_PER_PROCESS: int('SHARDS_PER_PROCESS', 1, MAX_SHARDS, ' (shards in each process npm start forks; unset: all shards in one process)'),
  ATTACHMENTS: oneOf('ATTACHMENTS', ATTACHMENT_MODES, 'files (record attachments and download their files), metadata (record attachments, download nothing) or off (no attachments table rows)'),
  ATTACHMENT_MAX_MB: num('ATTACHMENT_MAX_MB', 0.000001, 100_000, false, ' (MiB per file; a larger attachment is recorded without its file)'),
  ATTACHMENT_STORE_MAX_GB: num('ATTACHMENT_STORE_MAX_GB', 0.000000001, 1_000_000, false, ' (GiB for all stored files; beyond it the oldest files are deleted)'),
  ATTACHMENT_DIR: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (v !== undefined && !v.trim()) ctx.addIssue({ code: 'custom', message: `ATTACHMENT_DIR must be a directory path (where attachment files are stored); unset it for DATA_DIR/attachments (got "${v}")` });
    }),
});

export interface Config {
  database: DatabaseConfig;
  logLevel: LogLevel;
  logDbLevel: LogLevel;
  logRetentionDays: number;
  /** RETENTION_DAYS: messages older than this are purged daily (per-channel rules override it); null keeps them for ever. */
  retentionDays: number | null;
  logFormat: 'json' | 'pretty';
  discord: {
    token: string | undefined;
    apiUrl: string | undefined;
    applicationId: string | undefined;
    guildId: string | undefined;
  };
  ownerIds: string[];
  /** auto: apply pending migrations at start; check: refuse to start with pending migrations. */
  migrations: 'auto' | 'check';
  /** At start, when the registered slash commands differ from the code's: register them (guild or global) or only say so (off). */
  commandsAutoDeploy: 'guild' | 'global' | 'off';
  sessionIdleMinutes: number;
  recordChannels: string[];
  ignoreChannels: string[];
  recordContent: boolean;
  presenceRefreshMinutes: number;
  /** Ask for the privileged Server Members intent, so `{members}` follows joins and leaves. */
  membersIntent: boolean;
  sqlitePollMs: number;
  /** Write-behind queue: rows per transaction, longest wait before a write, events held in memory. */
  recorder: { batchSize: number; flushMs: number; maxQueue: number; maxQueueBytes: number };
  /** The recorder's journal: written (on) or not, and the longest an event waits before it is on disk. */
  journal: { on: boolean; syncMs: number };
  /** At start, messages fetched per channel to fill the gap since the last one recorded (0: off). */
  backfillMaxMessages: number;
  /** At start, the newest messages per channel compared with what is stored, for edits and deletes made meanwhile (0: off). */
  reconcileMessages: number;
  /** The health and metrics listener; null: off. */
  metrics: { port: number; host: string } | null;
  /** The longest a stop (SIGTERM) takes: what is not written by then is kept in the spill file. */
  shutdownTimeoutMs: number;
  /** The process's own files (the recorder's journal and spill file): DATA_DIR, else the SQLite file's directory, else ./data. */
  dataDir: string;
  /** SHARD_COUNT, SHARD_IDS and SHARDS_PER_PROCESS (checked against the count by planShards). */
  shards: ShardConfig;
  /** ATTACHMENTS, ATTACHMENT_MAX_MB, ATTACHMENT_STORE_MAX_GB (in bytes) and the store's directory. */
  attachments: { mode: AttachmentMode; maxBytes: number; storeMaxBytes: number; dir: string };
}

/** Loads `.env` (when present) into process.env without overriding what is already set. */
export function loadDotEnv(file = path.resolve(process.cwd(), '.env')): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(issue.message);
  }
  let database: DatabaseConfig | undefined;
  const urlVar = env.DATABASE_URL?.trim() ? 'DATABASE_URL' : env.DB_URL?.trim() ? 'DB_URL' : undefined;
  try {
    database = parseDatabaseUrl(urlVar ? env[urlVar] : undefined, cwd);
  } catch (e) {
    problems.push(`${urlVar} ${(e as Error).message} (got "${maskPassword(env[urlVar!]!.trim())}")`);
  }
  if (parsed.success && parsed.data.COMMANDS_AUTO_DEPLOY === 'guild' && !parsed.data.DISCORD_GUILD_ID)
    problems.push('COMMANDS_AUTO_DEPLOY=guild needs DISCORD_GUILD_ID (the server to register the commands in); set it, or use COMMANDS_AUTO_DEPLOY=global');
  if (problems.length || !parsed.success || !database) throw new ConfigError(problems);
  const v = parsed.data;
  const shards: ShardConfig = { count: v.SHARD_COUNT ?? 'auto', ids: v.SHARD_IDS ?? null, perProcess: v.SHARDS_PER_PROCESS ?? null };
  // With a fixed count the plan is checked now; with auto, at start (once Discord has said).
  if (typeof shards.count === 'number') {
    try {
      planShards(shards, shards.count, database);
    } catch (e) {
      throw new ConfigError([(e as Error).message]);
    }
  }
  const dataDir = path.resolve(v.DATA_DIR?.trim() || (database.driver === 'sqlite' && database.path !== ':memory:' ? path.dirname(database.path) : 'data'));
  return {
    database,
    logLevel: v.LOG_LEVEL,
    logDbLevel: v.LOG_DB_LEVEL,
    logRetentionDays: v.LOG_RETENTION_DAYS ?? 30,
    retentionDays: v.RETENTION_DAYS || null,
    logFormat: v.LOG_FORMAT ?? 'json',
    discord: {
      token: v.DISCORD_TOKEN?.trim() || undefined,
      apiUrl: v.DISCORD_API_URL?.replace(/\/+$/, '') || undefined,
      applicationId: v.DISCORD_APPLICATION_ID,
      guildId: v.DISCORD_GUILD_ID,
    },
    ownerIds: v.BOT_OWNER_IDS,
    migrations: v.MIGRATIONS ?? (database.driver === 'sqlite' ? 'auto' : 'check'),
    commandsAutoDeploy: v.COMMANDS_AUTO_DEPLOY ?? 'off',
    sessionIdleMinutes: v.SESSION_IDLE_MINUTES ?? 30,
    recordChannels: v.RECORD_CHANNELS,
    ignoreChannels: v.IGNORE_CHANNELS,
    recordContent: v.RECORD_CONTENT ?? true,
    presenceRefreshMinutes: v.PRESENCE_REFRESH_MINUTES ?? 10,
    membersIntent: v.MEMBERS_INTENT ?? false,
    sqlitePollMs: v.SQLITE_POLL_MS ?? 250,
    backfillMaxMessages: v.BACKFILL_MAX_MESSAGES ?? 1000,
    recorder: { batchSize: v.RECORDER_BATCH_SIZE ?? 1000, flushMs: v.RECORDER_FLUSH_MS ?? 5, maxQueue: v.RECORDER_MAX_QUEUE ?? 200_000, maxQueueBytes: (v.RECORDER_MAX_QUEUE_MB ?? 64) * 1024 * 1024 },
    journal: { on: (v.JOURNAL ?? 'on') === 'on', syncMs: v.JOURNAL_SYNC_MS ?? 50 },
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS ?? 8_000,
    reconcileMessages: v.RECONCILE_MESSAGES ?? 300,
    metrics: v.METRICS_PORT === undefined ? null : { port: v.METRICS_PORT, host: v.METRICS_HOST?.trim() || '127.0.0.1' },
    dataDir,
    shards,
    attachments: {
      mode: v.ATTACHMENTS ?? 'files',
      maxBytes: Math.floor((v.ATTACHMENT_MAX_MB ?? 25) * MIB),
      storeMaxBytes: Math.floor((v.ATTACHMENT_STORE_MAX_GB ?? 10) * 1024 * MIB),
      dir: path.resolve(v.ATTACHMENT_DIR?.trim() || path.join(dataDir, 'attachments')),
    },
  };
}

/** A loggable description of the database that never includes a password. */
export function describeDatabase(db: DatabaseConfig): string {
  if (db.driver === 'sqlite') return `sqlite:${db.path}`;
  return redactUrl(db.url);
}

/** A value as typed, with the password of anything URL-like masked (for "(got …)" in errors). */
function maskPassword(value: string): string {
  return value.replace(/^([a-z][\w+.-]*:\/\/[^:/@\s]*):[^@\s]*@/i, '$1:***@');
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
