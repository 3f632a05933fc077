import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, scratchDatabase } from './helpers/databases';
import { externalExec } from './helpers/external';
import { startWorld, until } from './helpers/harness';
import { ROOT, runNode } from './helpers/process';

const PASSWORD = 'build-s3cret-pw';

/** Runs a command in `cwd` to its end: exit code and output. */
function exec(cmd: string, args: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, out }));
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/**
 * The production path: `npm run build` (tsconfig.build.json) into a directory of its own, with the
 * package.json beside it, then the package.json scripts as an operator runs them — no tsx, no
 * ts-node, no TypeScript source.
 */
describe('the build (npm run build) runs on its own', () => {
  let app: string;
  let scripts: Record<string, string>;
  beforeAll(async () => {
    app = mkdtempSync(path.join(os.tmpdir(), 'chronicle-build-'));
    const built = await exec(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(app, 'dist')], ROOT);
    expect(built.code, built.out).toBe(0);
    cpSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'), 'dir');
    scripts = (JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  }, 120_000);
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it('npm start and the operator scripts run compiled code; the build holds no emulator code', () => {
    expect(scripts.start).toBe('node dist/src/main.js');
    expect(scripts['db:setup']).toBe('node dist/scripts/db-setup.js');
    expect(scripts['db:backup']).toBe('node dist/scripts/db-backup.js');
    expect(scripts.export).toBe('node dist/scripts/export.js');
    expect(scripts['deploy-commands']).toBe('node dist/scripts/deploy-commands.js');
    expect(scripts['migration:run:prod']).toBe('node dist/scripts/migrate.js run');
    const files = filesUnder(path.join(app, 'dist')).map((f) => path.relative(app, f));
    expect(files).toContain('dist/src/main.js');
    expect(files.filter((f) => /sandbox|emulator|^dist\/(test|packages|bench)\//.test(f))).toEqual([]);
    const mentions = files.filter((f) => f.endsWith('.js') && /discord-emulator/.test(readFileSync(path.join(app, f), 'utf8')));
    expect(mentions).toEqual([]);
  });

  describe.each(DRIVERS)('on $driver', ({ driver, skip }) => {
    it.skipIf(skip)(
      'migration:run:prod, db:setup, deploy-commands, node dist/src/main.js (records, stops on SIGTERM), db:backup',
      async () => {
        const world = await startWorld();
        const db = await scratchDatabase(driver, 'build');
        const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-data-build-'));
        const url = driver === 'postgres' ? Object.assign(new URL(db.url), { password: PASSWORD }).toString() : db.url;
        // MIGRATIONS=check on SQLite too: the bot starts only if the deploy step applied them.
        const env = { DATABASE_URL: url, DISCORD_TOKEN: world.emu.token, DISCORD_API_URL: world.emu.apiUrl, DISCORD_GUILD_ID: world.guildId, DATA_DIR: dataDir, MIGRATIONS: 'check' };
        const npm = (...args: string[]) => exec('npm', ['run', '--silent', ...args], app, env);
        try {
          const migrated = await npm('migration:run:prod');
          expect(migrated.code, migrated.out).toBe(0);
          expect(migrated.out).toMatch(/: applied \d+ migration\(s\) in [\d.]+ s: Init\d+/);
          const setup = await npm('db:setup');
          expect(setup.code, setup.out).toBe(0);
          expect(setup.out).toMatch(/ready; 0 migration\(s\) applied/);
          const deployed = await npm('deploy-commands');
          expect(deployed.code, deployed.out).toBe(0);
          expect(deployed.out).toMatch(/command\(s\) registered \(guild/);

          const bot = runNode(scripts.start.split(' ').slice(1), env, app);
          await bot.ready();
          const id = world.emu.sendMessage({ channelId: world.general, authorId: world.ada, content: 'hello from the build' }).id;
          await until(
            () => externalExec(db, 'SELECT COUNT(*) AS n FROM messages WHERE discord_message_id = ?', [id]),
            (rows) => Number((rows[0] as { n: unknown }).n) === 1,
            10_000,
            'the message recorded',
          );
          const backup = await npm('db:backup', '--', '--out', path.join(dataDir, 'copy'));
          expect(backup.code, backup.out).toBe(0);
          const stopped = await bot.stop();
          expect(stopped.code, bot.stderr).toBe(0);
          // Events written: the message and the channel rows from GUILD_CREATE; nothing lost.
          expect(Number(/"recorded":(\d+),"lost":0,/.exec(bot.stdout)?.[1])).toBeGreaterThanOrEqual(1);
          for (const out of [migrated.out, setup.out, deployed.out, backup.out, bot.stdout, bot.stderr]) expect(out).not.toContain(PASSWORD);
        } finally {
          await world.emu.stop();
          await db.dispose();
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
      90_000,
    );
  });
});
