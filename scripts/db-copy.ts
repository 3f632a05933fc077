/**
 * npm run db:copy -- --from SOURCE --to TARGET [--batch N]
 * Copies every table of SOURCE into TARGET (each a DATABASE_URL value: `sqlite:PATH`, a `.sqlite`
 * path or `postgres://…`): migrates the target, copies in foreign-key order in batches with a
 * progress line per table, resumes when rerun, refuses a target holding other data, and ends with
 * each table's row counts and checksums (src/database/copy.ts). Stop the bot first. Exit codes:
 * 0 copied and verified; 1 failed or a table differs; 2 usage; 78 refused (an operator must act).
 */
import 'reflect-metadata';
import { ConfigError, describeDatabase, loadDotEnv, parseDatabaseUrl, type DatabaseConfig } from '../src/config';
import { copyDatabase, CopyRefused } from '../src/database/copy';
import { ConnectError, Database } from '../src/database/database';
import { EXIT } from '../src/exit-codes';

const USAGE = 'usage: npm run db:copy -- --from sqlite:data/chronicle.sqlite --to postgres://USER:PASSWORD@HOST:5432/DB [--batch N]';

class UsageError extends Error {}

function parseArgs(argv: string[]): { from: DatabaseConfig; to: DatabaseConfig; batch?: number } {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(from|to|batch)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new UsageError(`unknown argument ${argv[i].replace(/:\/\/([^:/@]*):[^@]*@/, '://$1:***@')}`);
    const value = m[2] ?? argv[++i];
    if (!value) throw new UsageError(`--${m[1]} needs a value`);
    raw[m[1]] = value;
  }
  if (!raw.from || !raw.to) throw new UsageError('--from and --to are both required');
  const batch = raw.batch === undefined ? undefined : Number(raw.batch);
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > 2000)) throw new UsageError(`--batch takes 1–2000 rows (got ${raw.batch})`);
  const url = (flag: string) => {
    try {
      return parseDatabaseUrl(raw[flag]);
    } catch (e) {
      throw new UsageError(`--${flag}: ${e instanceof ConfigError ? e.problems.join('; ') : (e as Error).message}`);
    }
  };
  return { from: url('from'), to: url('to'), batch };
}

async function open(config: DatabaseConfig, which: string): Promise<Database> {
  try {
    return await Database.open(config);
  } catch (e) {
    // A missing PostgreSQL database says to run db:setup (ConnectError); either way an operator acts.
    if (e instanceof ConnectError && e.retryable) throw e;
    throw new CopyRefused(`the ${which} ${describeDatabase(config)}: ${(e as Error).message}`);
  }
}

async function main(): Promise<void> {
  loadDotEnv();
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`db:copy: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let from: Database | null = null;
  let to: Database | null = null;
  try {
    from = await open(args.from, 'source');
    to = await open(args.to, 'target');
    console.log(`db:copy: ${from.describe()} → ${to.describe()}`);
    let lastLine = 0;
    const reports = await copyDatabase(from, to, {
      batchSize: args.batch,
      onProgress: ({ table, copied, skipped, total, done }) => {
        const n = copied + skipped;
        const pct = total ? Math.floor((n / total) * 100) : 100;
        const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
        const line = `  ${table.padEnd(16)} [${bar}] ${n.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${pct}%)${skipped ? `, ${skipped.toLocaleString('en-US')} already there` : ''}`;
        if (tty) process.stderr.write(`\r${line}${done ? '\n' : ''}`);
        else if (done || Date.now() - lastLine > 2000) {
          lastLine = Date.now();
          process.stderr.write(`${line}\n`);
        }
      },
    });
    console.log('db:copy: verified (rows in source / target, checksum):');
    for (const r of reports) console.log(`  ${r.ok ? 'ok  ' : 'DIFF'} ${r.table.padEnd(16)} ${r.source} / ${r.target}  ${r.sourceChecksum}${r.ok ? '' : ` ≠ ${r.targetChecksum}`}`);
    const bad = reports.filter((r) => !r.ok);
    const rows = reports.reduce((n, r) => n + r.source, 0);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (bad.length) {
      console.error(`db:copy: ${bad.map((r) => r.table).join(', ')} differ between source and target (was the bot running on either?); rerun to finish the copy, or copy into an empty database`);
      process.exitCode = EXIT.FAILURE;
    } else console.log(`db:copy: ${rows} rows in ${reports.length} tables copied and verified in ${secs} s; point DATABASE_URL at ${to.describe()} and start the bot`);
  } catch (e) {
    if (e instanceof CopyRefused) {
      console.error(`db:copy: ${e.message}`);
      process.exitCode = EXIT.CONFIG;
    } else {
      console.error(`db:copy failed: ${String((e as Error).message).split('\n')[0]} (rerun to resume: rows already copied are kept)`);
      process.exitCode = EXIT.FAILURE;
    }
  } finally {
    await from?.close().catch(() => undefined);
    await to?.close().catch(() => undefined);
  }
}

void main();
