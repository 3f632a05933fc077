import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Database } from '../../src/database/database';
import { dropDatabase, postgresAdminUrl, withDatabase } from '../../src/database/postgres-admin';
import { DiscordEmulator, Intents } from '@chronicle/discord-emulator';
import { POSTGRES_MIGRATIONS } from '../../src/migrations/postgres';
import { DRIVERS, scratchDatabase, type ScratchDb } from '../helpers/databases';
import { startWorld, until, type World } from '../helpers/harness';

const ROOT = path.resolve(__dirname, '..', '..');
/** EX_CONFIG (sysexits.h): a stop that restarting cannot fix (see docs/running.md#exit-codes). */
const EXIT_CONFIG = 78;

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number>;
}

/** Runs a TypeScript entry point as its own process, the way `npm start` does. */
function run(entry: string, env: Record<string, string | undefined>, args: string[] = []): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
  });
  const r: Run = { child, stdout: '', stderr: '', exited: new Promise((res) => child.on('exit', (code) => res(code ?? -1))) };
  child.stdout!.on('data', (d) => (r.stdout += d));
  child.stderr!.on('data', (d) => (r.stderr += d));
  return r;
}

describe('npm start: refusals end the bot with one clear line', () => {
  let world: World;
  let scratch: ScratchDb;
  beforeAll(async () => {
    world = await startWorld();
    scratch = await scratchDatabase('sqlite', 'proc');
  });
  afterAll(async () => {
    await world?.emu.stop();
    await scratch?.dispose();
  });

  it('without DISCORD_TOKEN: exits 78 (configuration) naming the variable and pointing to the sandbox', async () => {
    const r = run('src/main.ts', { DATABASE_URL: scratch.url });
    expect(await r.exited).toBe(EXIT_CONFIG);
    expect(r.stderr.trim().split('\n')).toEqual(['chronicle: DISCORD_TOKEN is not set: put the bot token in DISCORD_TOKEN (or .env). To try Chronicle without Discord, run npm run sandbox']);
  });

  it('with a bad environment variable: one line per problem, exit 78', async () => {
    const r = run('src/main.ts', { DATABASE_URL: 'mysql://x', SESSION_IDLE_MINUTES: 'soon', DISCORD_TOKEN: 'x' });
    expect(await r.exited).toBe(EXIT_CONFIG);
    expect(r.stderr.trim().split('\n')).toEqual([
      'chronicle: SESSION_IDLE_MINUTES must be a number from 0.01 to 525600 (got "soon")',
      'chronicle: DATABASE_URL is neither a postgres:// URL nor a SQLite file; use postgres://USER@HOST:5432/DB, sqlite:PATH, or a path ending .sqlite or .db (unset means data/chronicle.sqlite) (got "mysql://x")',
    ]);
  });

  it('with a wrong token (4004): one line, no stack trace, no reconnect loop, token not echoed, exit 78', async () => {
    const r = run('src/main.ts', { DATABASE_URL: scratch.url, DISCORD_TOKEN: 'wrong-token-abcdef', DISCORD_API_URL: world.emu.apiUrl });
    expect(await r.exited).toBe(EXIT_CONFIG);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^chronicle: Discord refused the token \(gateway close 4004\): set DISCORD_TOKEN/)]);
    expect(r.stdout + r.stderr).not.toContain('wrong-token-abcdef');
  });

  it('without the message content intent (4014): one line saying which switch to turn on, exit 78', async () => {
    const emu = await DiscordEmulator.start({ allowedIntents: Intents.GUILDS | Intents.GUILD_MESSAGES | Intents.DIRECT_MESSAGES });
    try {
      const r = run('src/main.ts', { DATABASE_URL: scratch.url, DISCORD_TOKEN: emu.token, DISCORD_API_URL: emu.apiUrl });
      expect(await r.exited).toBe(EXIT_CONFIG);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^chronicle: Discord refused the intents \(gateway close 4014\): switch on "Message Content Intent"/)]);
    } finally {
      await emu.stop();
    }
  });

  it('the token revoked after start (gateway close 4004): stops and exits 78, not 1', async () => {
    const emu = await DiscordEmulator.start();
    const db = await scratchDatabase('sqlite', 'revoked');
    try {
      const r = run('src/main.ts', { DATABASE_URL: db.url, DISCORD_TOKEN: emu.token, DISCORD_API_URL: emu.apiUrl });
      await until(
        () => r.stdout,
        (s) => s.includes('Chronicle is ready'),
        30_000,
        'bot ready',
      );
      emu.disconnect({ resumable: false, closeCode: 4004 });
      expect(await r.exited).toBe(EXIT_CONFIG);
      expect(r.stdout).toMatch(/Discord refused the token \(gateway close 4004\)/);
    } finally {
      await emu.stop();
      await db.dispose();
    }
  }, 60_000);

  it('a transient failure (the database server refuses connections) exits 1, so a supervisor restarts it', async () => {
    const r = run('src/main.ts', { DATABASE_URL: 'postgres://chronicle@127.0.0.1:1/chronicle', DISCORD_TOKEN: world.emu.token, DISCORD_API_URL: world.emu.apiUrl });
    expect(await r.exited).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^chronicle: cannot open the database postgres:\/\/chronicle@127\.0\.0\.1:1\/chronicle: nothing accepts connections at 127\.0\.0\.1:1; is PostgreSQL running there\?$/),
    ]);
  });

  it('SIGTERM with messages in flight: stops, writes every message it received, exits 0; a second signal is not needed', async () => {
    const db = await scratchDatabase('sqlite', 'sigterm');
    try {
      // Commits held back for a minute: everything received is still in the queue at SIGTERM.
      const r = run('src/main.ts', { DATABASE_URL: db.url, DISCORD_TOKEN: world.emu.token, DISCORD_API_URL: world.emu.apiUrl, RECORDER_FLUSH_MS: '60000', RECORDER_BATCH_SIZE: '5000' });
      await until(
        () => r.stdout,
        (s) => s.includes('Chronicle is ready'),
        30_000,
        'bot ready',
      );
      const ids = Array.from({ length: 2000 }, (_, i) => world.emu.sendMessage({ channelId: i % 2 ? world.general : world.random, authorId: i % 3 ? world.ada : world.bob, content: `in flight ${i}` }).id);
      await new Promise((res) => setTimeout(res, 1500));
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
      const check = await Database.open(db.config);
      try {
        expect(await check.messages.countMessages()).toBe(2000);
        expect(await check.messages.getByDiscordId(ids[1999])).toMatchObject({ content: 'in flight 1999' });
      } finally {
        await check.close();
      }
      // Events written: the 2,000 messages and the channel rows from GUILD_CREATE; nothing lost.
      expect(Number(/"recorded":(\d+),"lost":0,/.exec(r.stdout)?.[1])).toBeGreaterThanOrEqual(2000);
    } finally {
      await db.dispose();
    }
  }, 90_000);

  it('npm run sandbox -- --once plays the scene, exits 0, and the rows it printed are in the database', async () => {
    const db = await scratchDatabase('sqlite', 'sandbox');
    try {
      const r = run('src/sandbox.ts', { DATABASE_URL: db.url }, ['--once']);
      expect(await r.exited).toBe(0);
      const printed = [...r.stdout.matchAll(/^recorded\s+(user|assistant|system)\s+.*\[message (\d+)\]$/gm)].map((m) => ({ role: m[1], id: m[2] }));
      expect(printed.length).toBeGreaterThanOrEqual(6);
      expect(r.stdout).toMatch(/presence → online, watching "the release"/);
      const check = await Database.open(db.config);
      try {
        for (const p of printed) expect(await check.messages.getByDiscordId(p.id), `message ${p.id}`).toMatchObject({ role: p.role });
      } finally {
        await check.close();
      }
      expect(r.stdout).not.toMatch(/emulator violations/);
    } finally {
      await db.dispose();
    }
  }, 90_000);
});

describe.each(DRIVERS.filter((d) => d.driver === 'postgres'))('npm start on PostgreSQL', ({ skip }) => {
  it.skipIf(skip)(
    'a database that does not exist: one line pointing to npm run db:setup, exit 78; db:setup then creates it',
    async () => {
      const name = `chronicle_missing_${randomBytes(4).toString('hex')}`;
      const url = withDatabase(postgresAdminUrl(), name);
      try {
        const r = run('src/main.ts', { DATABASE_URL: url, DISCORD_TOKEN: 'not-used', DISCORD_API_URL: 'http://127.0.0.1:1/api' });
        expect(await r.exited).toBe(EXIT_CONFIG);
        expect(r.stderr.trim().split('\n')).toEqual([`chronicle: cannot open the database ${url}: the database "${name}" does not exist; create it with npm run db:setup (it also applies the migrations)`]);
        const setup = run('scripts/db-setup.ts', { DATABASE_URL: url });
        expect(await setup.exited).toBe(0);
        expect(setup.stdout).toMatch(new RegExp(`ready; ${POSTGRES_MIGRATIONS.length} migration\\(s\\) applied`));
      } finally {
        await dropDatabase(name).catch(() => undefined);
      }
    },
    60_000,
  );

  it.skipIf(skip)(
    'refuses to start with pending migrations and names them, unless MIGRATIONS=auto',
    async () => {
      const world = await startWorld();
      const db = await scratchDatabase('postgres', 'pending');
      try {
        const r = run('src/main.ts', { DATABASE_URL: db.url, DISCORD_TOKEN: world.emu.token, DISCORD_API_URL: world.emu.apiUrl });
        expect(await r.exited).toBe(EXIT_CONFIG);
        const names = POSTGRES_MIGRATIONS.map((m) => m.name).join(', ');
        expect(r.stderr.trim().split('\n')).toEqual([`chronicle: the database has ${POSTGRES_MIGRATIONS.length} pending migration(s): ${names}. Run npm run migration:run (deploy step), or set MIGRATIONS=auto to apply them at start`]);
        expect(world.emu.identifyCount()).toBe(0);
        const auto = run('src/main.ts', { DATABASE_URL: db.url, DISCORD_TOKEN: world.emu.token, DISCORD_API_URL: world.emu.apiUrl, MIGRATIONS: 'auto' });
        await until(
          () => auto.stdout,
          (s) => s.includes('Chronicle is ready'),
          30_000,
          'bot ready',
        );
        auto.child.kill('SIGINT');
        expect(await auto.exited).toBe(0);
      } finally {
        await world.emu.stop();
        await db.dispose();
      }
    },
    90_000,
  );
});
