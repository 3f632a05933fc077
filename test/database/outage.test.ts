import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { startHarness, until, type Harness } from '../helpers/harness';
import { PgCluster } from '../helpers/pg-cluster';

const skip = DRIVERS[1].skip || !PgCluster.available();

/** PostgreSQL stopped under the bot (its own cluster, never the shared server). */
describe.skipIf(skip)('a PostgreSQL outage', () => {
  let cluster: PgCluster;
  let h: Harness;
  beforeAll(async () => {
    cluster = await PgCluster.create('outage');
    const url = cluster.url();
    h = await startHarness('postgres', 'outage', { scratch: { config: { driver: 'postgres', url }, url, dispose: async () => cluster.drop() } });
  }, 60_000);
  afterAll(async () => h?.dispose());

  const edit = async (activity: string) => {
    const c = new Client({ connectionString: cluster.url() });
    await c.connect();
    try {
      await c.query(
        "INSERT INTO bot_status (id, status, activity_type, activity, url, is_active, created_at, updated_at) VALUES ('ops', 'online', 'watching', $1, NULL, true, now(), now()) ON CONFLICT (id) DO UPDATE SET activity = $1, updated_at = now()",
        [activity],
      );
    } finally {
      await c.end();
    }
  };

  it('the LISTEN connection comes back by itself: an edit made after the restart reaches Discord; one warning for the loss, not one per attempt', async () => {
    await edit('before the outage');
    await h.emu.waitForPresence((p) => p.activities[0]?.name === 'before the outage', 5000);
    cluster.stop('fast');
    await new Promise((r) => setTimeout(r, 3000));
    await cluster.start();
    await edit('after the outage');
    await h.emu.waitForPresence((p) => p.activities[0]?.name === 'after the outage', 5000);
    const back = await until(
      () => h.logs.find(/^change feed: listening again after/),
      (l) => l.length === 1,
      5000,
      'listening again',
    );
    expect(back[0]).toMatchObject({ level: 30 });
    expect(Number(back[0].attempts)).toBeGreaterThan(3);
    expect(h.logs.find(/^change feed: LISTEN connection lost/)).toHaveLength(1);
  }, 60_000);
});
