import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database';
import { DRIVERS, scratchDatabase, type ScratchDb } from '../helpers/databases';
import { externalExec } from '../helpers/external';
import { startWorld, until } from '../helpers/harness';
import { runBot } from '../helpers/process';

const SHUTDOWN_TIMEOUT_MS = 3000;
/** Start-up of the signal handler's work and the exit itself, on a loaded machine. */
const MARGIN_MS = 2500;

/**
 * Makes the database unavailable for writes from another connection until `release()`: on SQLite
 * a write transaction held open (the bot's writes wait out their busy timeout, then fail and are
 * retried); on PostgreSQL an exclusive lock on `messages` (the bot's batches wait, with no error).
 */
async function blockWrites(scratch: ScratchDb): Promise<{ release(): Promise<void> }> {
  if (scratch.config.driver === 'postgres') {
    const c = new Client({ connectionString: scratch.config.url });
    await c.connect();
    await c.query('BEGIN');
    await c.query('LOCK TABLE messages IN ACCESS EXCLUSIVE MODE');
    return { release: () => c.query('ROLLBACK').then(() => c.end()) };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sqlite3 = require('sqlite3') as typeof import('sqlite3');
  const file = scratch.config.path;
  const db = await new Promise<import('sqlite3').Database>((res, rej) => {
    const d = new sqlite3.Database(file, (e) => (e ? rej(e) : res(d)));
  });
  const exec = (sql: string) => new Promise<void>((res, rej) => db.exec(sql, (e) => (e ? rej(e) : res())));
  await exec('BEGIN IMMEDIATE');
  return { release: () => exec('ROLLBACK').then(() => new Promise<void>((r) => db.close(() => r()))) };
}

async function countMessages(scratch: ScratchDb): Promise<number> {
  const [row] = (await externalExec(scratch, 'SELECT COUNT(*) AS n FROM messages')) as { n: number | string }[];
  return Number(row.n);
}

describe.each(DRIVERS)('SIGTERM while the database is unavailable ($driver)', ({ driver, skip }) => {
  it.skipIf(skip)(
    `exits within SHUTDOWN_TIMEOUT_MS; what was not written is in the spill file, and the next start records it`,
    async () => {
      const world = await startWorld();
      const db = await scratchDatabase(driver, 'shutdown');
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-data-shutdown-'));
      const spillFile = path.join(dataDir, 'recorder-spill.jsonl');
      // No backfill: the restart records the messages only by replaying the spill file.
      const env = { DATABASE_URL: db.url, DISCORD_TOKEN: world.emu.token, DISCORD_API_URL: world.emu.apiUrl, DATA_DIR: dataDir, MIGRATIONS: 'auto', BACKFILL_MAX_MESSAGES: '0', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) };
      let lock: { release(): Promise<void> } | null = null;
      try {
        const first = runBot(env);
        await first.ready();
        world.emu.sendMessage({ channelId: world.general, authorId: world.ada, content: 'before the outage' });
        await until(
          () => countMessages(db),
          (n) => n === 1,
          10_000,
          'the first message recorded',
        );

        lock = await blockWrites(db);
        const ids = Array.from({ length: 300 }, (_, i) => world.emu.sendMessage({ channelId: i % 2 ? world.general : world.random, authorId: i % 3 ? world.ada : world.bob, content: `during the outage ${i}` }).id);
        // Received and waiting in the queue (its writes wait on the lock).
        await new Promise((r) => setTimeout(r, 1500));
        const stopped = await first.stop();
        expect(stopped.code, first.stderr).toBe(0);
        expect(stopped.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + MARGIN_MS);

        // Every message is on disk, in the order received.
        const kept = readFileSync(spillFile, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { kind: string; discordMessageId?: string });
        expect(kept.filter((e) => e.kind === 'create').map((e) => e.discordMessageId)).toEqual(ids);
        expect(first.stdout).toMatch(/unwritten events kept on disk for the next start/);
        expect(first.stdout).toMatch(/"keptOnDisk":300/);

        await lock.release();
        lock = null;
        expect(await countMessages(db)).toBe(1);

        const second = runBot(env);
        await second.ready();
        await until(
          () => countMessages(db),
          (n) => n === 301,
          20_000,
          'the kept messages recorded',
        );
        expect(second.stdout).toMatch(/"events":300,"msg":"recorder: replaying events kept on disk by an earlier run"/);
        const check = await Database.open(db.config);
        try {
          expect(await check.messages.getByDiscordId(ids[299])).toMatchObject({ content: 'during the outage 299' });
        } finally {
          await check.close();
        }
        const again = await second.stop();
        expect(again.code, second.stderr).toBe(0);
        expect(existsSync(spillFile)).toBe(false);
      } finally {
        await lock?.release().catch(() => undefined);
        await world.emu.stop();
        await db.dispose();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
