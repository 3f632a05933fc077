import { pgClient } from '../../src/database/postgres-admin';
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
    h = await startHarness('postgres', 'outage', { env: { METRICS_PORT: '0' }, scratch: { config: { driver: 'postgres', url }, url, dispose: async () => cluster.drop() } });
  }, 60_000);
  afterAll(async () => h?.dispose());

  const edit = async (activity: string) => {
    const c = pgClient({ connectionString: cluster.url() });
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
    // Only this test's lines (the crash test may have run first).
    const from = h.logs.lines.length;
    const since = (re: RegExp) => h.logs.lines.slice(from).filter((l) => re.test(String(l.msg)));
    cluster.stop('fast');
    await new Promise((r) => setTimeout(r, 3000));
    await cluster.start();
    await edit('after the outage');
    await h.emu.waitForPresence((p) => p.activities[0]?.name === 'after the outage', 5000);
    const back = await until(
      () => since(/^change feed: listening again after/),
      (l) => l.length === 1,
      5000,
      'listening again',
    );
    expect(back[0]).toMatchObject({ level: 30 });
    expect(Number(back[0].attempts)).toBeGreaterThan(3);
    expect(since(/^change feed: LISTEN connection lost/)).toHaveLength(1);
  }, 60_000);

  it('/readyz says 503 and why while the database is down, 200 again once it answers; /healthz stays 200', async () => {
    const get = async (p: string) => {
      const r = await fetch(`${h.bot.health!.url}${p}`);
      return { status: r.status, text: await r.text() };
    };
    expect(await get('/readyz')).toEqual({ status: 200, text: 'ready\n' });
    cluster.stop('fast');
    try {
      const down = await get('/readyz');
      expect(down.status).toBe(503);
      expect(down.text).toMatch(/^not ready: the database does not answer \(postgres:\/\/.*\)\n$/);
      expect((await get('/healthz')).status).toBe(200);
    } finally {
      await cluster.start();
    }
    await until(
      () => get('/readyz'),
      (r) => r.status === 200,
      10_000,
      '/readyz 200 after the database is back',
    );
  }, 60_000);

  it('a crash (immediate stop, no checkpoint) while messages stream in: after recovery every message is stored once', async () => {
    const channel = h.emu.createChannel({ guildId: h.guildId, name: `crash-${Date.now() % 100000}` }).id;
    const ids: string[] = [];
    const send = (n: number) => {
      for (let i = 0; i < n; i++) ids.push(h.emu.sendMessage({ channelId: channel, authorId: h.ada, content: `stream ${ids.length}` }).id);
    };
    send(200);
    cluster.stop('immediate');
    // Received while the server is down: held by the queue, retried.
    for (let t = 0; t < 10; t++) {
      send(50);
      await new Promise((r) => setTimeout(r, 200));
    }
    await cluster.start();
    send(200);
    const count = async () => {
      const c = pgClient({ connectionString: cluster.url() });
      await c.connect();
      try {
        const r = await c.query('SELECT COUNT(*) AS n, COUNT(DISTINCT discord_message_id) AS d FROM messages WHERE channel_id = $1', [channel]);
        return { n: Number(r.rows[0].n), d: Number(r.rows[0].d) };
      } finally {
        await c.end();
      }
    };
    const got = await until(count, (c) => c.n >= ids.length, 30_000, 'every message stored');
    expect(got).toEqual({ n: ids.length, d: ids.length });
    expect(h.bot.queue.stats.lost).toBe(0);
  }, 90_000);
});
