import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database';
import { migrationsFor } from '../../src/database/data-source';
import { postgresAdminUrl, withDatabase } from '../../src/database/postgres-admin';
import { DRIVERS, scratchDatabase } from '../helpers/databases';

const ROOT = path.resolve(__dirname, '..', '..');

/** `npm run migration:<verb>` as an operator runs it. */
function migrate(verb: string, env: Record<string, string>, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts', verb, ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const lines = (s: string) => s.trim().split('\n');

describe.each(DRIVERS)('npm run migration:run | show | revert on $driver', ({ driver, skip }) => {
  it.skipIf(skip)(
    'a summary line by default, the SQL with --verbose; up to date the second time',
    async () => {
      const scratch = await scratchDatabase(driver, 'migcli');
      try {
        const env = { DATABASE_URL: scratch.url };
        const names = migrationsFor(driver).map((m) => m.name!);
        const where = driver === 'sqlite' ? `sqlite:${(scratch.config as { path: string }).path}` : scratch.url;

        const show = await migrate('show', env);
        expect(show.code, show.stderr).toBe(0);
        expect(lines(show.stdout)).toEqual([`${where}: 0 applied, ${names.length} pending`, ...names.map((n) => `  [ ] ${n}`)]);

        const run = await migrate('run', env);
        expect(run.code, run.stderr).toBe(0);
        expect(lines(run.stdout)).toEqual([expect.stringMatching(new RegExp(`^${escape(where)}: applied ${names.length} migration\\(s\\) in \\d+\\.\\d s: ${names.join(', ')}$`))]);
        expect(run.stderr).toBe('');

        const again = await migrate('run', env);
        expect(lines(again.stdout)).toEqual([`${where}: up to date, nothing to apply (${names.length} migrations applied earlier)`]);

        const revert = await migrate('revert', env);
        expect(lines(revert.stdout)).toEqual([`${where}: reverted ${names.at(-1)}`]);

        const verbose = await migrate('run', env, ['--verbose']);
        expect(verbose.code).toBe(0);
        expect(verbose.stdout).toMatch(/^ {2}(INSERT INTO "?migrations"?|.*CREATE|.*DROP)/m);
        expect(lines(verbose.stdout).length).toBeGreaterThan(5);
        expect(lines(verbose.stdout).at(-1)).toMatch(new RegExp(`applied 1 migration\\(s\\) in .*: ${names.at(-1)}$`));
      } finally {
        await scratch.dispose();
      }
    },
    60_000,
  );

  it.skipIf(skip)(
    'a failing migration: one line naming it and the database message, nothing applied, exit 1',
    async () => {
      const scratch = await scratchDatabase(driver, 'migfail');
      try {
        // A table in the way of the first migration.
        const db = await Database.open(scratch.config);
        await db.dataSource.query('CREATE TABLE users (x integer)');
        await db.close();
        const run = await migrate('run', { DATABASE_URL: scratch.url });
        expect(run.code).toBe(1);
        const first = migrationsFor(driver)[0].name!;
        expect(lines(run.stderr)).toEqual([expect.stringMatching(new RegExp(`^migration:run: migration ${first} failed: .*users.* already exists.*; nothing was applied \\(the run is one transaction\\)$`))]);
        expect(run.stdout).toBe('');
        const check = await Database.open(scratch.config);
        try {
          expect(await check.pendingMigrations()).toHaveLength(migrationsFor(driver).length);
        } finally {
          await check.close();
        }
      } finally {
        await scratch.dispose();
      }
    },
    60_000,
  );
});

describe('migration verbs refuse bad setups with one line', () => {
  it('a bad variable: one line per problem with what was set, exit 78', async () => {
    const r = await migrate('run', { DATABASE_URL: 'mysql://root:hunter2@db/x', LOG_FORMAT: 'yaml' });
    expect(r.code).toBe(78);
    expect(lines(r.stderr)).toEqual([
      'migration:run: LOG_FORMAT must be json (one JSON object per line) or pretty (for a terminal) (got "yaml")',
      expect.stringMatching(/^migration:run: DATABASE_URL is neither a postgres:\/\/ URL nor a SQLite file; .* \(got "mysql:\/\/root:\*\*\*@db\/x"\)$/),
    ]);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('nothing listening: one line, exit 1 (a supervisor or a retry can fix it)', async () => {
    const r = await migrate('run', { DATABASE_URL: 'postgres://bot:s3cret@127.0.0.1:1/chronicle' });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual(['migration:run: cannot open the database postgres://bot:***@127.0.0.1:1/chronicle: nothing accepts connections at 127.0.0.1:1; is PostgreSQL running there?']);
    expect(r.stderr).not.toContain('s3cret');
  });

  it.skipIf(DRIVERS[1].skip)('a PostgreSQL database that does not exist: points to npm run db:setup, exit 78', async () => {
    const name = `chronicle_none_${randomBytes(4).toString('hex')}`;
    const url = withDatabase(postgresAdminUrl(), name);
    const r = await migrate('show', { DATABASE_URL: url });
    expect(r.code).toBe(78);
    expect(lines(r.stderr)).toEqual([`migration:show: cannot open the database ${url}: the database "${name}" does not exist; create it with npm run db:setup (it also applies the migrations)`]);
  });

  it('an unknown verb says which exist', async () => {
    const r = await migrate('up', {});
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(['migration:up: unknown verb "up"; use run, revert or show']);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
