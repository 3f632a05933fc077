import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/database/database';
import type { RecordedCreate } from '../../src/recording/events';
import { RecordingStore } from '../../src/recording/recording.store';
import { DRIVERS, openTestDatabase } from '../helpers/databases';

const T0 = Date.parse('2026-03-01T12:00:00Z');

/**
 * A batch's statements go to the connection one after another: pg 8 warns (and pg 9 refuses) when
 * `client.query()` is called while the client is still running a query.
 */
describe.each(DRIVERS.filter((d) => d.driver === 'postgres'))('recording store statements on $driver', ({ driver, skip }) => {
  let db: Database & { dispose(): Promise<void> };
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);

  beforeAll(async () => {
    if (skip) return;
    db = await openTestDatabase(driver, 'pgqueries');
    process.on('warning', onWarning);
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await db?.dispose();
  });

  it.skipIf(skip)('are not issued while the connection still runs one (no pg deprecation warning)', async () => {
    const rec = new RecordingStore(db, { idleMs: 30 * 60_000 });
    // Many users, sessions and messages: several bulk statements per batch.
    const batch: RecordedCreate[] = Array.from({ length: 3000 }, (_, i) => ({
      kind: 'create',
      discordMessageId: String(720000000000000000n + BigInt(i)),
      channelId: String(820000000000000000n + BigInt(i % 7)),
      guildId: '920000000000000001',
      author: { id: String(620000000000000000n + BigInt(i % 900)), username: `u${i % 900}`, displayName: null },
      role: 'user',
      content: `m${i}`,
      createdAt: new Date(T0 + i * 1000),
    }));
    expect((await rec.writeBatch(batch)).inserted).toBe(3000);
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => /already executing a query/.test(w.message)).map((w) => w.message)).toEqual([]);
  });
});
