/**
 * npm run db:backup [-- --out FILE] — a consistent copy of the configured database, safe while the
 * bot runs (it keeps recording meanwhile):
 *   SQLite: VACUUM INTO FILE (one read transaction on the WAL file; the copy is a plain SQLite file,
 *           checked with PRAGMA quick_check). Restore: stop the bot, put the copy in place of the file.
 *   PostgreSQL: pg_dump -Fc --file FILE (custom format, one snapshot). Restore: pg_restore into an
 *           empty database. The connection reaches pg_dump through PG* environment variables, never
 *           its command line, and the password is never printed.
 * Without --out: <DATA_DIR>/backups/chronicle-<UTC time>.sqlite (or .dump). An existing FILE is refused.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, describeDatabase, loadConfig, loadDotEnv, type Config } from '../src/config';
import { EXIT } from '../src/exit-codes';

const USAGE = 'usage: npm run db:backup [-- --out FILE]';

function parseArgs(argv: string[]): { out?: string } {
  const args: { out?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out' && argv[i + 1]) args.out = argv[++i];
    else if (a.startsWith('--out=') && a.length > 6) args.out = a.slice(6);
    else throw new UsageError(a === '--out' ? '--out needs a file name' : `unknown argument ${a}`);
  }
  return args;
}

class UsageError extends Error {}

function defaultOut(config: Config): string {
  const stamp = new Date()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  return path.join(config.dataDir, 'backups', `chronicle-${stamp}.${config.database.driver === 'sqlite' ? 'sqlite' : 'dump'}`);
}

async function backupSqlite(file: string, out: string): Promise<void> {
  if (file === ':memory:') throw new Error('DATABASE_URL is sqlite::memory:, which has nothing to back up');
  if (!existsSync(file)) throw new Error(`the SQLite file ${file} does not exist (check DATABASE_URL)`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sqlite3 = require('sqlite3') as typeof import('sqlite3');
  const open = (f: string, mode: number) =>
    new Promise<import('sqlite3').Database>((res, rej) => {
      const d = new sqlite3.Database(f, mode, (e) => (e ? rej(e) : res(d)));
    });
  const run = (db: import('sqlite3').Database, sql: string, params: unknown[] = []) => new Promise<unknown[]>((res, rej) => db.all(sql, params, (e, rows) => (e ? rej(e) : res(rows))));
  const close = (db: import('sqlite3').Database) => new Promise<void>((r) => db.close(() => r()));
  const db = await open(file, sqlite3.OPEN_READWRITE);
  try {
    // The bot's write transactions are short; wait for one rather than fail.
    db.configure('busyTimeout', 10_000);
    await run(db, 'VACUUM INTO ?', [out]);
  } finally {
    await close(db);
  }
  const copy = await open(out, sqlite3.OPEN_READONLY);
  try {
    const [check] = (await run(copy, 'PRAGMA quick_check')) as { quick_check: string }[];
    if (check?.quick_check !== 'ok') throw new Error(`the copy ${out} fails PRAGMA quick_check: ${check?.quick_check}`);
  } finally {
    await close(copy);
  }
}

/** libpq's environment for a postgres:// URL: pg_dump gets the password without it being on its command line. */
function pgEnv(url: string): Record<string, string> {
  const u = new URL(url);
  const env: Record<string, string> = {};
  const q = u.searchParams;
  if (q.get('host') || u.hostname) env.PGHOST = q.get('host') || decodeURIComponent(u.hostname);
  if (u.port) env.PGPORT = u.port;
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (db) env.PGDATABASE = db;
  if (q.get('sslmode')) env.PGSSLMODE = q.get('sslmode')!;
  return env;
}

async function backupPostgres(url: string, out: string): Promise<void> {
  const env = { ...process.env, ...pgEnv(url) };
  const password = env.PGPASSWORD;
  const redact = (s: string) => (password ? s.split(password).join('***') : s);
  await new Promise<void>((resolve, reject) => {
    // -w: never prompt for a password (a missing one is an error, not a hung deploy step).
    const child = spawn('pg_dump', ['--format=custom', '--no-password', '--file', out], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new Error('pg_dump is not installed: install the PostgreSQL client tools (Debian: postgresql-client, the same major version as the server or newer)') : e));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(redact(stderr.trim()) || `pg_dump exited ${code}`))));
  });
}

async function main(): Promise<void> {
  loadDotEnv();
  let args: { out?: string };
  let config: Config;
  try {
    args = parseArgs(process.argv.slice(2));
    config = loadConfig();
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`db:backup: ${e.message}; ${USAGE}`);
      process.exit(2);
    }
    if (e instanceof ConfigError) {
      for (const p of e.problems) console.error(`db:backup: ${p}`);
      process.exit(EXIT.CONFIG);
    }
    throw e;
  }
  const out = path.resolve(args.out ?? defaultOut(config));
  if (existsSync(out)) {
    console.error(`db:backup: ${out} already exists; choose another --out FILE (a backup never overwrites one)`);
    process.exit(1);
  }
  mkdirSync(path.dirname(out), { recursive: true });
  const started = Date.now();
  if (config.database.driver === 'sqlite') await backupSqlite(config.database.path, out);
  else await backupPostgres(config.database.url, out);
  const restore = config.database.driver === 'sqlite' ? 'a SQLite file: stop the bot and put it in place of the database file' : 'restore with pg_restore --no-owner -d NEW_DATABASE';
  console.log(`db:backup: ${describeDatabase(config.database)} → ${out} (${statSync(out).size} bytes, ${Date.now() - started} ms); ${restore}`);
}

main().catch((e: Error) => {
  console.error(`db:backup failed: ${e.message}`);
  process.exit(1);
});
