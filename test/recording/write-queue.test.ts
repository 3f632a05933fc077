import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WriteQueue } from '../../src/recording/write-queue';
import type { Database } from '../../src/database/database';
import type { RecordedCreate, RecordedEvent } from '../../src/recording/events';
import { RecordingStore, type PreparedBatch } from '../../src/recording/recording.store';
import { createLogger } from '../../src/logger';
import { DRIVERS, openTestDatabase } from '../helpers/databases';
import { externalExec } from '../helpers/external';
import { postgresAdminUrl } from '../../src/database/postgres-admin';
import { LogCapture, startHarness, until } from '../helpers/harness';

let n = 0;
function event(extra: Partial<RecordedCreate> = {}): RecordedCreate {
  n++;
  return {
    kind: 'create',
    discordMessageId: `7000000000000${String(n).padStart(5, '0')}`,
    channelId: '710000000000000001',
    guildId: null,
    author: { id: `72000000000000000${n % 5}`, username: `u${n % 5}`, displayName: null },
    role: 'user',
    content: `event ${n}`,
    createdAt: new Date(),
    ...extra,
  };
}

/** The real store, behind a switch that makes the database "unavailable". */
class Flaky {
  down = false;
  calls = 0;
  constructor(private readonly store: RecordingStore) {}
  writeBatch(events: RecordedEvent[]) {
    this.calls++;
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    return this.store.writeBatch(events);
  }
}

describe('the write-behind queue', () => {
  let db: Database & { dispose(): Promise<void> };
  let dir: string;
  beforeAll(async () => {
    db = await openTestDatabase('sqlite', 'queue');
    dir = path.dirname((db.config as { path: string }).path);
  });
  afterAll(async () => db?.dispose());

  const make = (writer: { writeBatch(e: RecordedEvent[]): Promise<unknown>; prepare?(e: RecordedEvent[]): Promise<PreparedBatch> }, logs: LogCapture, extra: Partial<ConstructorParameters<typeof WriteQueue>[1]> = {}) =>
    new WriteQueue(writer as never, { maxBatch: 100, flushMs: 2, maxQueue: 1000, spillFile: path.join(dir, `spill-${n}.jsonl`), logger: createLogger({ level: 'info', destination: logs }).logger, ...extra });

  it('retries with backoff while the database is down and loses nothing', async () => {
    const logs = new LogCapture();
    const flaky = new Flaky(new RecordingStore(db, { idleMs: 60_000 }));
    const q = make(flaky, logs);
    flaky.down = true;
    const before = await db.messages.countMessages();
    for (let i = 0; i < 250; i++) q.push(event());
    await until(
      () => logs.find(/will retry/).length,
      (c) => c >= 3,
      5000,
      'retries',
    );
    expect(await db.messages.countMessages()).toBe(before);
    flaky.down = false;
    await q.flush();
    expect(await db.messages.countMessages()).toBe(before + 250);
    expect(q.stats).toMatchObject({ received: 250, written: 250, lost: 0 });
    const delays = logs.find(/will retry/).map((l) => Number(l.retryInMs));
    expect(delays.slice(0, 3)).toEqual([100, 200, 400]);
  });

  it('past maxQueue keeps events on disk and brings them back when the database returns', async () => {
    const logs = new LogCapture();
    const flaky = new Flaky(new RecordingStore(db, { idleMs: 60_000 }));
    const spillFile = path.join(dir, 'spill-bound.jsonl');
    const q = make(flaky, logs, { maxQueue: 1000, spillFile });
    flaky.down = true;
    const before = await db.messages.countMessages();
    for (let i = 0; i < 3000; i++) q.push(event({ content: `spilled ${i} \u0000 ✓` }));
    expect(existsSync(spillFile)).toBe(true);
    expect(readFileSync(spillFile, 'utf8').trim().split('\n')).toHaveLength(2000);
    expect(q.depth).toBe(3000);
    flaky.down = false;
    await q.flush();
    expect(await db.messages.countMessages()).toBe(before + 3000);
    expect(existsSync(spillFile)).toBe(false);
    expect((await db.messages.listByChannel('710000000000000001')).filter((m) => m.content === 'spilled 2999 \u0000 ✓')).toHaveLength(1);
  });

  it('past maxBytes keeps long messages on disk well before maxQueue events, in order, and brings them back', async () => {
    const logs = new LogCapture();
    const flaky = new Flaky(new RecordingStore(db, { idleMs: 60_000 }));
    const spillFile = path.join(dir, 'spill-bytes.jsonl');
    const maxBytes = 1024 * 1024;
    const q = make(flaky, logs, { maxQueue: 100_000, maxBytes, spillFile });
    flaky.down = true;
    const before = await db.messages.countMessages();
    const sent = Array.from({ length: 2000 }, (_, i) => event({ content: `long ${i} ${'é✓'.repeat(900)}` }));
    for (const e of sent) q.push(e);
    // About 4.2 KB each by the estimate: some 250 fit in 1 MiB; the rest is on disk.
    expect(q.bytes).toBeLessThanOrEqual(maxBytes);
    expect(q.inMemory).toBeGreaterThan(200);
    expect(q.inMemory).toBeLessThan(300);
    expect(q.onDisk).toBe(2000 - q.inMemory);
    expect(logs.find(/queue full/)).toHaveLength(1);
    flaky.down = false;
    await q.flush();
    expect(q.bytes).toBe(0);
    expect(await db.messages.countMessages()).toBe(before + 2000);
    expect(existsSync(spillFile)).toBe(false);
    const stored = (await db.messages.listByChannel('710000000000000001', { limit: 100_000 })).filter((m) => m.content.startsWith('long '));
    expect(stored.map((m) => m.content)).toEqual(sent.map((e) => e.content));
  });

  it('isolates an event the database refuses for good, logs its id, and writes the rest', async () => {
    const logs = new LogCapture();
    const q = make(new RecordingStore(db, { idleMs: 60_000 }), logs);
    const before = await db.messages.countMessages();
    const events = Array.from({ length: 60 }, () => event());
    const poison = event({ content: null as never });
    events.splice(37, 0, poison);
    for (const e of events) q.push(e);
    await q.flush();
    expect(await db.messages.countMessages()).toBe(before + 60);
    expect(q.stats.lost).toBe(1);
    const err = logs.find(/could not store message/);
    expect(err).toHaveLength(1);
    expect(err[0].messageIds).toEqual([poison.discordMessageId]);
  });

  it('prepares the next batch while one commits; a failed commit takes the prepared one with it; nothing lost or doubled', async () => {
    const logs = new LogCapture();
    const store = new RecordingStore(db, { idleMs: 60_000 });
    let committing = 0;
    let preparedWhileCommitting = 0;
    let commits = 0;
    const writer = {
      writeBatch: (e: RecordedEvent[]) => store.writeBatch(e),
      prepare: async (events: RecordedEvent[]): Promise<PreparedBatch> => {
        if (committing) preparedWhileCommitting++;
        const p = await store.prepare(events);
        return {
          discard: () => p.discard(),
          commit: async (onIssued) => {
            commits++;
            committing++;
            try {
              if (commits === 3) {
                // As when the transaction fails: the store gives the batch up.
                p.discard();
                throw new Error('Connection terminated unexpectedly');
              }
              return await p.commit(onIssued);
            } finally {
              committing--;
            }
          },
        };
      },
    };
    const q = make(writer, logs);
    const before = await db.messages.countMessages();
    const events = Array.from({ length: 1000 }, () => event());
    for (const e of events) q.push(e);
    await q.flush();
    expect(preparedWhileCommitting).toBeGreaterThan(3);
    expect(q.stats).toMatchObject({ received: 1000, written: 1000, failures: 1, lost: 0, inserted: 1000, duplicates: 0 });
    expect(await db.messages.countMessages()).toBe(before + 1000);
    for (const e of [events[0], events[250], events[999]]) expect(await db.messages.getByDiscordId(e.discordMessageId)).not.toBeNull();
  });

  it('at shutdown with the database down, keeps what it holds on disk; the next start replays it', async () => {
    const logs = new LogCapture();
    const flaky = new Flaky(new RecordingStore(db, { idleMs: 60_000 }));
    const spillFile = path.join(dir, 'spill-shutdown.jsonl');
    const q = make(flaky, logs, { spillFile });
    flaky.down = true;
    const before = await db.messages.countMessages();
    for (let i = 0; i < 40; i++) q.push(event());
    await q.close(300);
    expect(logs.find(/unwritten events kept on disk/)).toHaveLength(1);
    expect(readFileSync(spillFile, 'utf8').trim().split('\n')).toHaveLength(40);
    const next = make(new RecordingStore(db, { idleMs: 60_000 }), logs, { spillFile });
    await next.flush();
    expect(await db.messages.countMessages()).toBe(before + 40);
    expect(existsSync(spillFile)).toBe(false);
  });
});

describe.each(DRIVERS.filter((d) => d.driver === 'postgres'))('a real PostgreSQL outage', ({ driver, skip }) => {
  it.skipIf(skip)('messages received while the database refuses connections are written once it is back', { timeout: 60_000 }, async () => {
    const h = await startHarness(driver, 'outage');
    const name = new URL(h.scratch.url).pathname.slice(1);
    try {
      const first = h.emu.sendMessage({ channelId: h.general, authorId: h.ada, content: 'before the outage' });
      await until(
        () => h.bot.db.messages.getByDiscordId(first.id),
        (m) => !!m,
      );
      // The outage: no new connections, and the bot's open ones are cut.
      const admin = { ...h.scratch, config: { driver: 'postgres' as const, url: postgresAdminUrl() } };
      await externalExec(admin, `ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
      await externalExec(admin, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()', [name]);
      const during = Array.from({ length: 300 }, (_, i) => h.emu.sendMessage({ channelId: h.random, authorId: i % 2 ? h.ada : h.bob, content: `during ${i}` }).id);
      await until(
        () => h.logs.find(/database write failed; will retry/).length,
        (c) => c >= 2,
        10_000,
        'failed writes',
      );
      // Named once: the line comes from the recorder, not from a logger that already says so.
      const failed = h.logs.raw.find((l) => l.includes('database write failed'))!;
      expect(failed.match(/"source":/g)).toEqual(['"source":']);
      expect(JSON.parse(failed).source).toBe('recorder');
      await externalExec(admin, `ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
      await until(
        () => h.bot.db.messages.getByDiscordId(during[299]),
        (m) => !!m,
        20_000,
        'catch-up',
      );
      await h.bot.queue.flush();
      for (const id of [during[0], during[150]]) expect(await h.bot.db.messages.getByDiscordId(id)).not.toBeNull();
      expect(await h.bot.db.messages.countMessages()).toBe(301);
      expect(h.bot.queue.stats.lost).toBe(0);
    } finally {
      await h.dispose();
    }
  });
});

describe('flush under constant traffic', () => {
  it('resolves once what arrived before the call is committed, even while events keep coming', async () => {
    const db = await openTestDatabase('sqlite', 'flush');
    try {
      const q = new WriteQueue(new RecordingStore(db, { idleMs: 60_000 }), {
        maxBatch: 50,
        flushMs: 2,
        maxQueue: 100_000,
        spillFile: path.join(path.dirname((db.config as { path: string }).path), 's.jsonl'),
        logger: createLogger({ level: 'silent' }).logger,
      });
      const first = Array.from({ length: 200 }, () => event());
      for (const e of first) q.push(e);
      let stop = false;
      const traffic = (async () => {
        while (!stop) {
          for (let i = 0; i < 20; i++) q.push(event());
          await new Promise((r) => setTimeout(r, 1));
        }
      })();
      await q.flush();
      stop = true;
      await traffic;
      for (const e of [first[0], first[199]]) expect(await db.messages.getByDiscordId(e.discordMessageId)).not.toBeNull();
      await q.flush();
      expect(q.stats.written).toBe(q.stats.received);
    } finally {
      await db.dispose();
    }
  });
});
