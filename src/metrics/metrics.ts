import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What the bot measures, in Prometheus terms (prom-client). The parts of the bot report into it
 * through plain numbers and callbacks (`sources`): no discord.js object and no SQL here. Read at
 * scrape time where the number already exists (queue depth, stats counters), counted as it
 * happens otherwise (commands, gateway events, recording latency).
 */
export interface MetricSources {
  /** The write queue's counters (src/recording/write-queue.ts `stats`) and depth. */
  queue: () => { depth: number; spilled: number; inserted: number; written: number; failures: number; lost: number; holding: number };
  /** Bytes in the spill file, 0 when there is none. */
  spillBytes: () => number;
  /** Gateway round trip per shard, milliseconds (-1 before the first heartbeat). */
  pings: () => Map<number, number>;
  /** Presence updates (op 3) sent so far. */
  presenceUpdates?: () => number;
  /** Schedule runs so far, by outcome. */
  scheduleRuns?: () => Record<string, number>;
}

export type CommandOutcome = 'ok' | 'invalid' | 'error' | 'refused';

export class Metrics {
  readonly registry = new Registry();
  private readonly gatewayEvents: Counter<'shard' | 'event'>;
  private readonly commands: Counter<'command' | 'outcome'>;
  private readonly commandSeconds: Histogram<'command' | 'outcome'>;
  private readonly recordingSeconds: Histogram;

  constructor(sources: MetricSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'chronicle_' });
    this.gatewayEvents = new Counter({ name: 'chronicle_gateway_events_total', help: 'Gateway dispatches received, by shard and event name', labelNames: ['shard', 'event'], registers: [r] });
    this.commands = new Counter({ name: 'chronicle_commands_total', help: 'Slash commands and buttons handled, by command and outcome (ok, invalid input, error, refused)', labelNames: ['command', 'outcome'], registers: [r] });
    this.commandSeconds = new Histogram({
      name: 'chronicle_command_duration_seconds',
      help: 'Time from the interaction to the end of its handling',
      labelNames: ['command', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: [r],
    });
    this.recordingSeconds = new Histogram({ name: 'chronicle_recording_latency_seconds', help: 'Time from an event arriving to its batch committing', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30], registers: [r] });
    type QueueStats = ReturnType<MetricSources['queue']>;
    // A counter kept elsewhere (the queue's stats), read at scrape time.
    const counter = (name: string, help: string, pick: (s: QueueStats) => number) =>
      new Counter({
        name,
        help,
        registers: [r],
        collect() {
          this.reset();
          this.inc(pick(sources.queue()));
        },
      });
    const gauge = (name: string, help: string, pick: (s: QueueStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(pick(sources.queue()));
        },
      });
    counter('chronicle_messages_recorded_total', 'Messages inserted into the database (duplicates of a replay not counted)', (s) => s.inserted);
    counter('chronicle_events_written_total', 'Recorded events (creates, edits, deletes, reactions) written', (s) => s.written);
    counter('chronicle_database_retries_total', 'Failed database writes of the recorder (each is retried, or split to find the event at fault)', (s) => s.failures);
    counter('chronicle_events_lost_total', 'Events the database refused for good (logged with their message ids)', (s) => s.lost);
    gauge('chronicle_queue_depth', 'Events waiting to be written (in memory and in the spill file)', (s) => s.depth);
    gauge('chronicle_queue_spilled', 'Events waiting in the spill file', (s) => s.spilled);
    gauge('chronicle_queue_held', 'Live events held while history is read at start', (s) => s.holding);
    new Gauge({
      name: 'chronicle_spill_bytes',
      help: 'Size of the spill file',
      registers: [r],
      collect() {
        this.set(sources.spillBytes());
      },
    });
    new Gauge({
      name: 'chronicle_gateway_ping_seconds',
      help: 'Gateway heartbeat round trip, by shard',
      labelNames: ['shard'],
      registers: [r],
      collect() {
        this.reset();
        for (const [shard, ms] of sources.pings()) if (ms >= 0) this.set({ shard: String(shard) }, ms / 1000);
      },
    });
    if (sources.presenceUpdates) {
      const sent = sources.presenceUpdates;
      new Counter({
        name: 'chronicle_presence_updates_total',
        help: 'Presence updates (op 3) sent',
        registers: [r],
        collect() {
          this.reset();
          this.inc(sent());
        },
      });
    }
    if (sources.scheduleRuns) {
      const runs = sources.scheduleRuns;
      new Counter({
        name: 'chronicle_schedule_runs_total',
        help: 'Schedule runs started by this process, by outcome',
        labelNames: ['outcome'],
        registers: [r],
        collect() {
          this.reset();
          for (const [outcome, n] of Object.entries(runs())) this.inc({ outcome }, n);
        },
      });
    }
  }

  gatewayEvent(shard: number, event: string): void {
    this.gatewayEvents.inc({ shard: String(shard), event });
  }

  command(command: string, outcome: CommandOutcome, ms: number): void {
    this.commands.inc({ command, outcome });
    this.commandSeconds.observe({ command, outcome }, ms / 1000);
  }

  recorded(latenciesMs: number[]): void {
    for (const ms of latenciesMs) this.recordingSeconds.observe(ms / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
