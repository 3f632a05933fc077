/**
 * SHARDS_PER_PROCESS: `npm start` becomes a launcher that forks one child per slice of the shards
 * (this same entry point, with SHARD_IDS set to the slice and SHARD_COUNT to the count), so the
 * children are exactly what several machines each with its own SHARD_IDS would run. It runs no
 * shard itself and opens no database.
 *
 * - Signals: SIGINT/SIGTERM are passed to every child, and the launcher exits once they all have
 *   (0, or the worst child's code); a second signal is passed on too (children stop at once).
 * - Restarts: a child that exits on its own is started again after 1 s, doubling up to 60 s while
 *   it keeps failing within a minute of its start; the other children carry on. A child that exits
 *   78 (EX_CONFIG: configuration, refused token or intents) is not restarted: the launcher stops the
 *   others and exits 78, as one process would.
 * - METRICS_PORT: child i listens on METRICS_PORT + i (0 stays 0: any free port).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { formatShardIds, type ShardPlan } from '../config';
import { EXIT } from '../exit-codes';
import type { Logger } from '../logger';

/** Set in a child's environment: it runs its slice and does not launch again. */
export const LAUNCHED_ENV = 'CHRONICLE_LAUNCHED';

export interface LauncherOptions {
  plan: ShardPlan;
  perProcess: number;
  logger: Logger;
  /** The script and arguments to fork (default: this process's). */
  entry?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  minRestartMs?: number;
  maxRestartMs?: number;
}

/** The shard ids in slices of `size`. */
export function slices(ids: number[], size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
  return out;
}

interface Slot {
  ids: number[];
  index: number;
  child: ChildProcess | null;
  startedAt: number;
  delay: number;
  timer: NodeJS.Timeout | null;
  exitCode: number | null;
}

/** Forks the children and supervises them; resolves with the exit code once they are all gone. */
export function runLauncher(opts: LauncherOptions): Promise<number> {
  const { plan, logger } = opts;
  const env = opts.env ?? process.env;
  const minMs = opts.minRestartMs ?? 1_000;
  const maxMs = opts.maxRestartMs ?? 60_000;
  const metricsPort = env.METRICS_PORT?.trim() ? Number(env.METRICS_PORT) : null;
  const slots: Slot[] = slices(plan.ids, opts.perProcess).map((ids, index) => ({ ids, index, child: null, startedAt: 0, delay: minMs, timer: null, exitCode: null }));
  let stopping = false;
  let exitCode: number = EXIT.OK;
  let resolve!: (code: number) => void;
  const done = new Promise<number>((r) => (resolve = r));

  const checkDone = () => {
    if (stopping && slots.every((s) => !s.child && !s.timer)) resolve(exitCode);
  };

  const start = (slot: Slot) => {
    slot.timer = null;
    const shardIds = formatShardIds(slot.ids);
    const child = fork(opts.entry ?? process.argv[1], opts.args ?? process.argv.slice(2), {
      env: {
        ...env,
        SHARD_IDS: shardIds,
        SHARD_COUNT: String(plan.count),
        [LAUNCHED_ENV]: '1',
        ...(metricsPort !== null && { METRICS_PORT: String(metricsPort === 0 ? 0 : metricsPort + slot.index) }),
      },
      stdio: 'inherit',
    });
    slot.child = child;
    slot.startedAt = Date.now();
    logger.info({ source: 'launcher', pid: child.pid, shards: shardIds, shardCount: plan.count }, `launcher: started shard(s) ${shardIds} (pid ${child.pid})`);
    child.on('exit', (code, signal) => {
      slot.child = null;
      const c = code ?? (signal ? 128 : EXIT.FAILURE);
      if (stopping) {
        if (c !== EXIT.OK) exitCode = Math.max(exitCode, c);
        return checkDone();
      }
      if (code === EXIT.CONFIG) {
        logger.fatal({ source: 'launcher', shards: shardIds, code }, `launcher: shard(s) ${shardIds} exited ${code} (configuration): stopping the others`);
        exitCode = EXIT.CONFIG;
        return stop('SIGTERM');
      }
      // Failing again soon after a start: wait longer each time; after a good run, start soon.
      slot.delay = Date.now() - slot.startedAt > 60_000 ? minMs : Math.min(maxMs, slot.delay);
      logger.warn({ source: 'launcher', shards: shardIds, code, signal, restartInMs: slot.delay }, `launcher: shard(s) ${shardIds} exited (${signal ?? code}); restarting in ${Math.round(slot.delay / 100) / 10} s`);
      slot.timer = setTimeout(() => start(slot), slot.delay);
      slot.delay = Math.min(maxMs, slot.delay * 2);
    });
  };

  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const s of slots) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      s.child?.kill(signal);
    }
    checkDone();
  };

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    logger.info({ source: 'launcher', signal: sig }, signals > 1 ? 'launcher: second signal, passing it on' : 'launcher: stopping the children');
    if (signals > 1) exitCode = EXIT.INTERRUPTED;
    stop(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  logger.info({ source: 'launcher', shardCount: plan.count, processes: slots.length }, `launcher: ${plan.count} shard(s) in ${slots.length} process(es) of up to ${opts.perProcess}`);
  for (const s of slots) start(s);
  return done.finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
}
