/**
 * npm run migration:run | migration:revert | migration:show [-- --verbose]
 * The migration verbs for DATABASE_URL, under the cross-process migration lock: one summary line by
 * default, every SQL statement with --verbose; a problem is one line (configuration: one per
 * variable) and exits 78 when only an operator can fix it (sysexits EX_CONFIG), else 1.
 * The plain TypeORM CLI works too (`typeorm migration:run -d ormconfig.ts`) and prints every statement.
 */
import 'reflect-metadata';
import type { Logger as TypeOrmLogger } from 'typeorm';
import { ConfigError, describeDatabase, loadConfig, loadDotEnv } from '../src/config';
import { ConnectError, Database } from '../src/database/database';
import { EXIT } from '../src/exit-codes';

const VERBS = ['run', 'revert', 'show'] as const;
type Verb = (typeof VERBS)[number];

const verb = process.argv[2] as Verb;
const verbose = process.argv.includes('--verbose') || process.argv.includes('-v');
const name = `migration:${verb}`;
const say = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string, code: number = EXIT.FAILURE): never => {
  process.stderr.write(`${name}: ${line}\n`);
  process.exit(code);
};

/** Prints SQL only when asked; remembers which migration failed. */
class CliLogger implements TypeOrmLogger {
  failed: string | null = null;
  logQuery(query: string, parameters?: unknown[]) {
    if (verbose) say(`  ${query}${parameters?.length ? `  -- ${JSON.stringify(parameters)}` : ''}`);
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild(message: string) {
    if (verbose) say(message);
  }
  logMigration(message: string) {
    const m = /^Migration "(.+)" failed/.exec(message);
    if (m) this.failed = m[1];
    if (verbose) say(message);
  }
  log(_level: 'log' | 'info' | 'warn', message: unknown) {
    if (verbose) say(String(message));
  }
}

async function main(): Promise<void> {
  if (!VERBS.includes(verb)) fail(`unknown verb "${process.argv[2] ?? ''}"; use run, revert or show`, 2);
  loadDotEnv();
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) process.stderr.write(`${name}: ${p}\n`);
    process.exit(EXIT.CONFIG);
  }
  const logger = new CliLogger();
  const started = Date.now();
  let db: Database;
  try {
    db = await Database.open(config.database, { typeormLogger: logger });
  } catch (e) {
    return fail((e as Error).message, e instanceof ConnectError && !e.retryable ? EXIT.CONFIG : EXIT.FAILURE);
  }
  const where = describeDatabase(config.database);
  try {
    if (verb === 'show') {
      const applied = new Set(await db.executedMigrations());
      const all = db.dataSource.migrations.map((m) => m.name ?? m.constructor.name);
      say(`${where}: ${applied.size} applied, ${all.filter((n) => !applied.has(n)).length} pending`);
      for (const n of all) say(`  [${applied.has(n) ? 'X' : ' '}] ${n}`);
    } else if (verb === 'run') {
      const pending = await db.pendingMigrations();
      const applied = await db.dataSource.runMigrations({ transaction: 'all' });
      const took = ((Date.now() - started) / 1000).toFixed(1);
      if (!applied.length) say(`${where}: up to date, nothing to apply (${db.dataSource.migrations.length} migrations applied earlier${pending.length ? '; another deploy applied the pending ones meanwhile' : ''})`);
      else say(`${where}: applied ${applied.length} migration(s) in ${took} s: ${applied.map((m) => m.name).join(', ')}`);
    } else {
      const before = await db.executedMigrations();
      if (!before.length) say(`${where}: nothing to revert (no migration applied)`);
      else {
        await db.dataSource.undoLastMigration({ transaction: 'all' });
        const after = new Set(await db.executedMigrations());
        say(`${where}: reverted ${before.filter((n) => !after.has(n)).join(', ') || 'nothing'}`);
      }
    }
  } catch (e) {
    const msg = String((e as Error).message).split('\n')[0];
    await db.close().catch(() => undefined);
    return fail(logger.failed ? `migration ${logger.failed} failed: ${msg}; nothing was applied (the run is one transaction)` : msg);
  }
  await db.close();
}

main().catch((e: Error) => fail(String(e.message).split('\n')[0]));
