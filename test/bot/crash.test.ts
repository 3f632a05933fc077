import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DRIVERS, scratchDatabase, type ScratchDb } from '../helpers/databases';
import { blockWrites, externalExec, countMessages, waitForMessages } from '../helpers/external';
import { startWorld, until } from '../helpers/harness';
import { runBot } from '../helpers/process';

/** The journal's segment files, as text. */
function journalled(dataDir: string): string {
  const dir = path.join(dataDir, 'recorder-journal');
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('');
}

async function recordedIds(scratch: ScratchDb): Promise<string[]> {
  const rows = (await externalExec(scratch, 'SELECT discord_message_id AS id FROM messages')) as { id: string }[];
  return rows.map((r) => String(r.id));
}

const MESSAGES = 3000;

describe.each(DRIVERS)('kill -9 while the database is unavailable ($driver)', ({ driver, skip }) => {
  it.skipIf(skip)(
    'loses nothing received: the journal brings back what was only in memory, each message once',
    async () => {
      const world = await startWorld();
      const db = await scratchDatabase(driver, 'crash');
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-data-crash-'));
      // No backfill: after the crash only the journal can bring the messages back. A small queue:
      // 1000 events in memory, the rest in the spill file.
      const env = { DATABASE_URL: db.url, DISCORD_TOKEN: world.emu.token, DISCORD_API_URL: world.emu.apiUrl, DATA_DIR: dataDir, MIGRATIONS: 'auto', BACKFILL_MAX_MESSAGES: '0', RECORDER_MAX_QUEUE: '1000' };
      let lock: { release(): Promise<void> } | null = null;
      try {
        const first = runBot(env);
        await first.ready();
        const before = world.emu.sendMessage({ channelId: world.general, authorId: world.ada, content: 'before the outage' }).id;
        await waitForMessages(db, 1, 'the first message recorded', 10_000);

        lock = await blockWrites(db);
        const ids = Array.from({ length: MESSAGES }, (_, i) => world.emu.sendMessage({ channelId: i % 2 ? world.general : world.random, authorId: i % 3 ? world.ada : world.bob, content: `during the outage ${i}` }).id);
        // Received and in the journal: JOURNAL_SYNC_MS plus the write's own time, which depends on
        // the machine, so the test looks (without the journal it gives up after 10 s, and the
        // assertions below say what was lost).
        await until(
          () => journalled(dataDir),
          (text) => text.includes(`"discordMessageId":"${ids[MESSAGES - 1]}"`),
          10_000,
          'the last message in the journal',
        ).catch(() => undefined);
        first.child.kill('SIGKILL');
        expect(await first.exited).toBe(-1);
        await lock.release();
        lock = null;
        expect(await recordedIds(db)).toEqual([before]);

        const second = runBot(env);
        await second.ready();
        await until(
          () => countMessages(db),
          (n) => n >= MESSAGES + 1,
          30_000,
          'every message recorded after the restart',
        ).catch(() => undefined);
        const got = await recordedIds(db);
        const seen = new Set(got);
        const missing = ids.filter((id) => !seen.has(id));
        expect(missing.length, `${missing.length} of ${MESSAGES} messages missing`).toBe(0);
        expect(got.length).toBe(MESSAGES + 1);
        expect(new Set(got).size).toBe(got.length);
        expect(second.stdout).toMatch(/"msg":"recorder: replaying events kept on disk by an earlier run"/);
        expect((await second.stop()).code, second.stderr).toBe(0);
        // Everything committed at a graceful stop: nothing is left to replay.
        expect(existsSync(path.join(dataDir, 'recorder-journal'))).toBe(false);
        expect(existsSync(path.join(dataDir, 'recorder-spill.jsonl'))).toBe(false);
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

describe.each(DRIVERS)('kill -9 while the bot reads history at start ($driver)', ({ driver, skip }) => {
  it.skipIf(skip)(
    'loses none of the live events held meanwhile: they are in the journal, not only in memory',
    async () => {
      const world = await startWorld();
      const db = await scratchDatabase(driver, 'crash_hold');
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-data-crash-hold-'));
      // Backfill of one message per channel: after the crash it cannot bring back what was held.
      const env = { DATABASE_URL: db.url, DISCORD_TOKEN: world.emu.token, DISCORD_API_URL: world.emu.apiUrl, DATA_DIR: dataDir, MIGRATIONS: 'auto', BACKFILL_MAX_MESSAGES: '1', RECONCILE_MESSAGES: '0' };
      let gate: { waiting: () => number; release: () => void } | null = null;
      try {
        const first = runBot(env);
        await first.ready();
        const before = world.emu.sendMessage({ channelId: world.general, authorId: world.ada, content: 'before the restart' }).id;
        await waitForMessages(db, 1, 'the first message recorded', 10_000);
        expect((await first.stop()).code).toBe(0);

        // Discord is slow to answer history: the second run stays in its start-up backfill,
        // holding live events back, while people go on writing.
        gate = world.emu.holdRequests((method, p) => method === 'GET' && /^\/channels\/\d+\/messages$/.test(p));
        const second = runBot(env);
        await until(
          () => gate!.waiting(),
          (n) => n > 0,
          30_000,
          'the second run reading history',
        );
        const ids = Array.from({ length: 40 }, (_, i) => world.emu.sendMessage({ channelId: world.general, authorId: i % 2 ? world.ada : world.bob, content: `while the bot starts ${i}` }).id);
        await until(
          () => journalled(dataDir),
          (text) => text.includes(`"discordMessageId":"${ids[ids.length - 1]}"`),
          10_000,
          'the last live message in the journal',
        ).catch(() => undefined);
        second.child.kill('SIGKILL');
        expect(await second.exited).toBe(-1);
        gate.release();
        gate = null;
        expect(await recordedIds(db)).toEqual([before]);

        const third = runBot(env);
        await third.ready();
        await until(
          () => countMessages(db),
          (n) => n >= ids.length + 1,
          20_000,
          'every message recorded after the restart',
        ).catch(() => undefined);
        const got = await recordedIds(db);
        const seen = new Set(got);
        const missing = ids.filter((id) => !seen.has(id));
        expect(missing.length, `${missing.length} of ${ids.length} messages missing`).toBe(0);
        expect(got.length).toBe(ids.length + 1);
        expect((await third.stop()).code, third.stderr).toBe(0);
      } finally {
        gate?.release();
        await world.emu.stop();
        await db.dispose();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
