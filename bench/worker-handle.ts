/** The parent's side of bench/worker.ts: fork, request, answer. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FromWorker, InitMsg, MemResult, ToWorker, WindowResult } from './worker';

/** node flags for every measured process: the same for the ceiling client and the bot. */
export function nodeFlags(opts: { profileDir?: string; label?: string } = {}): string[] {
  const flags = ['--import', pathToFileURL(require.resolve('tsx')).href, '--expose-gc'];
  // One file per thread (tsx's loader runs in a worker thread too); the main thread's is the biggest.
  if (opts.profileDir) flags.push('--cpu-prof', `--cpu-prof-dir=${path.join(opts.profileDir, opts.label ?? 'worker')}`);
  return flags;
}

export class WorkerHandle {
  private waiters: { type: string; id?: number; resolve: (m: FromWorker) => void; reject: (e: Error) => void }[] = [];
  private nextId = 1;
  private exited = false;

  private constructor(private readonly proc: ChildProcess) {
    proc.on('message', (m: FromWorker) => {
      if (m.type === 'error') {
        const w = this.waiters.shift();
        if (w) w.reject(new Error(`worker: ${m.message}`));
        else process.stderr.write(`worker error: ${m.message}\n`);
        return;
      }
      const i = this.waiters.findIndex((w) => w.type === m.type && (w.id === undefined || w.id === (m as { id?: number }).id));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    });
    proc.on('exit', (code) => {
      this.exited = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error(`worker exited (code ${code})`));
    });
  }

  static async start(init: Omit<InitMsg, 'type'>, opts: { profileDir?: string; cwd?: string } = {}): Promise<{ worker: WorkerHandle; startMs: number }> {
    const proc = fork(path.join(__dirname, 'worker.ts'), [], {
      execArgv: nodeFlags({ profileDir: opts.profileDir, label: init.mode }),
      cwd: opts.cwd,
      // The bot's log lines (warn and above) go to our stderr; stdout stays the table's.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    const worker = new WorkerHandle(proc);
    const ready = await worker.request({ type: 'init', ...init } as ToWorker, 'ready');
    return { worker, startMs: (ready as { ms: number }).ms };
  }

  get pid(): number {
    return this.proc.pid!;
  }

  private request(msg: ToWorker, type: string, id?: number): Promise<FromWorker> {
    if (this.exited) return Promise.reject(new Error('worker exited'));
    const p = new Promise<FromWorker>((resolve, reject) => this.waiters.push({ type, id, resolve, reject }));
    this.proc.send(msg);
    return p;
  }

  /**
   * Opens a window of `count` messages and returns a promise of its result. The window is open
   * once the returned `opened` promise resolves (IPC is ordered: the flood command is sent after).
   */
  expect(count: number, opts: { latency?: boolean; timeoutMs?: number } = {}): Promise<WindowResult> {
    const id = this.nextId++;
    const done = this.request({ type: 'expect', id, count, latency: opts.latency }, 'done', id) as Promise<WindowResult>;
    if (!opts.timeoutMs) return done;
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${opts.timeoutMs} ms waiting for ${count} messages`)), opts.timeoutMs);
    });
    return Promise.race([done, timeout]).finally(() => clearTimeout(timer));
  }

  /** store mode: writes `count` events in batches of `batch`; answers like a window. */
  storeRun(count: number, batch: number): Promise<WindowResult> {
    const id = this.nextId++;
    return this.request({ type: 'storeRun', id, count, batch }, 'done', id) as Promise<WindowResult>;
  }

  async memory(): Promise<MemResult> {
    return (await this.request({ type: 'mem' }, 'mem')) as MemResult;
  }

  async stop(): Promise<Record<string, number> | undefined> {
    if (this.exited) return undefined;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    const res = (await this.request({ type: 'stop' }, 'stopped')) as { stats?: Record<string, number> };
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
    return res.stats;
  }
}
