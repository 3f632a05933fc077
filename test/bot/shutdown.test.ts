import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database';
import { DRIVERS, scratchDatabase } from '../helpers/databases';
import { blockWrites, externalExec, countMessages, waitForMessages } from '../helpers/external';
import { startWorld, until } from '../helpers/harness';
import { runBot } from '../helpers/process';

const SHUTDOWN_TIMEOUT_MS = 3000;
/** Start-up of the signal handler's work and the exit itself, on a loaded machine. */
const MARGIN_MS = 2500;

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
        await waitForMessages(db, 1, 'the first message recorded', 10_000);

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
        await waitForMessages(db, 301, 'the kept messages recorded', 20_000);
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

describe.each(DRIVERS)('the next start after an outage ($driver)', ({ driver, skip }) => {
  it.skipIf(skip)(
    'replays what the spill file kept and backfills what came after it: the limit goes to what is missing',
    async () => {
      const world = await startWorld();
      const db = await scratchDatabase(driver, 'spillfill');
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-data-spillfill-'));
      const env = { DATABASE_URL: db.url, DISCORD_TOKEN: world.emu.token, DISCORD_API_URL: world.emu.apiUrl, DATA_DIR: dataDir, MIGRATIONS: 'auto', BACKFILL_MAX_MESSAGES: '100', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) };
      let lock: { release(): Promise<void> } | null = null;
      try {
        const first = runBot(env);
        await first.ready();
        world.emu.sendMessage({ channelId: world.general, authorId: world.ada, content: 'committed' });
        await waitForMessages(db, 1, 'the first message recorded', 10_000);
        // 250 received while writes are blocked: on disk at the stop, not committed.
        lock = await blockWrites(db);
        for (let i = 0; i < 250; i++) world.emu.sendMessage({ channelId: world.general, authorId: world.ada, content: `kept on disk ${i}` });
        await new Promise((r) => setTimeout(r, 1500));
        expect((await first.stop()).code, first.stderr).toBe(0);
        await lock.release();
        lock = null;
        // 60 more while the bot is down: only backfill can bring them.
        const away = Array.from({ length: 60 }, (_, i) => world.emu.sendMessage({ channelId: world.general, authorId: world.bob, content: `while away ${i}` }).id);

        // The next start replays the spill file while backfill runs: with writes still blocked, the
        // replay cannot commit before backfill reads what is recorded (as with a large spill).
        lock = await blockWrites(db, { readsToo: false });
        const second = runBot(env);
        await until(
          () => second.stdout,
          (s) => s.includes('"source":"backfill"'),
          30_000,
          'backfill done',
        );
        await lock.release();
        lock = null;
        await second.ready();
        await waitForMessages(db, 311, 'every message: 1 committed, 250 from disk, 60 backfilled', 20_000);
        const [row] = (await externalExec(db, 'SELECT COUNT(*) AS n FROM messages WHERE discord_message_id = ?', [away[59]])) as { n: number | string }[];
        expect(Number(row.n)).toBe(1);
        expect(second.stdout).toMatch(/"messages":60,"known":250,"gaps":0,"msg":"backfilled 60 new message\(s\) sent while the bot was away, in 1 channel\(s\) \(250 more were already kept on disk and are replayed from there\)"/);
        expect((await second.stop()).code).toBe(0);
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
