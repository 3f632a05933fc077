import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { checkDiscordAfterEach, newChannel, startHarness, until, type Harness } from '../helpers/harness';

interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }[];
}

describe.each(DRIVERS)('health and metrics over HTTP ($driver)', ({ driver, skip }) => {
  let h: Harness;
  beforeAll(async () => {
    if (!skip) h = await startHarness(driver, 'health', { env: { METRICS_PORT: '0' } });
  }, 60_000);
  afterAll(async () => h?.dispose());
  checkDiscordAfterEach(() => h);

  const get = async (p: string, method = 'GET') => {
    const r = await fetch(`${h.bot.health!.url}${p}`, { method });
    return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
  };
  const families = async (): Promise<Map<string, Family>> => {
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    return new Map((parsePrometheusTextFormat(r.text) as Family[]).map((f) => [f.name, f]));
  };
  const value = (f: Family | undefined, labels: Record<string, string> = {}) => Number(f?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? NaN);

  it.skipIf(skip)('listens on 127.0.0.1 only by default; /healthz and /readyz say ok; other paths and methods are refused', async () => {
    expect(new URL(h.bot.health!.url).hostname).toBe('127.0.0.1');
    expect(await get('/healthz')).toMatchObject({ status: 200, text: 'ok\n' });
    expect(await get('/readyz')).toMatchObject({ status: 200, text: 'ready\n' });
    expect((await get('/nope')).status).toBe(404);
    expect((await get('/metrics', 'POST')).status).toBe(405);
  });

  it.skipIf(skip)('/metrics parses as Prometheus text, and its counters equal what the database holds', async () => {
    const channel = newChannel(h, 'metrics');
    const before = await families();
    const recordedBefore = value(before.get('chronicle_messages_recorded_total'));
    for (let i = 0; i < 7; i++) h.emu.sendMessage({ channelId: channel, authorId: h.ada, content: `counted ${i}` });
    await until(
      async () => (await h.bot.db.messages.listByChannel(channel)).length,
      (n) => n === 7,
      10_000,
      'the messages recorded',
    );
    await h.emu.runCommand('ping', {}, { userId: h.ada, channelId: channel });
    await h.bot.queue.flush();
    const m = await families();
    const inDb = await h.bot.db.messages.countMessages();
    // Every message row was inserted by this process's recorder (the harness's database is its own).
    expect(value(m.get('chronicle_messages_recorded_total'))).toBe(inDb);
    expect(value(m.get('chronicle_messages_recorded_total')) - recordedBefore).toBeGreaterThanOrEqual(7);
    expect(value(m.get('chronicle_gateway_events_total'), { shard: '0', event: 'MESSAGE_CREATE' })).toBeGreaterThanOrEqual(7);
    expect(value(m.get('chronicle_commands_total'), { command: '/ping', outcome: 'ok' })).toBe(1);
    expect(m.get('chronicle_command_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(Number(m.get('chronicle_recording_latency_seconds')?.metrics[0].count)).toBeGreaterThanOrEqual(7);
    expect(value(m.get('chronicle_queue_depth'))).toBeGreaterThanOrEqual(0);
    expect(value(m.get('chronicle_events_lost_total'))).toBe(0);
    // Per shard once the first heartbeat is acknowledged (the local Discord's interval is long): the family is there.
    expect(m.get('chronicle_gateway_ping_seconds')?.type).toBe('GAUGE');
    expect(value(m.get('chronicle_presence_updates_total'))).toBe(h.bot.presence.current().updatesSent);
    expect(value(m.get('chronicle_process_resident_memory_bytes'))).toBeGreaterThan(0);
    expect(m.has('chronicle_nodejs_eventloop_lag_p99_seconds')).toBe(true);
  });
});
