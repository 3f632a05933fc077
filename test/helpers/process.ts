import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { until } from './harness';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number>;
  /** Resolves once the bot has logged "Chronicle is ready". */
  ready(timeoutMs?: number): Promise<void>;
  /** Sends SIGTERM; resolves with the exit code and the milliseconds from the signal to the exit. */
  stop(): Promise<{ code: number; ms: number }>;
}

/**
 * Runs `node ARGS…` as its own process (a TypeScript entry point with `--import tsx`, or compiled
 * code), with only PATH and HOME from this environment plus `env`.
 */
export function runNode(args: string[], env: Record<string, string | undefined>, cwd = ROOT): Run {
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env } });
  const r: Run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((res) => child.on('exit', (code, signal) => res(code ?? (signal ? -1 : -2)))),
    async ready(timeoutMs = 30_000) {
      await until(
        () => r.stdout + (child.exitCode !== null ? `\n[exited ${child.exitCode}] ${r.stderr}` : ''),
        (s) => s.includes('Chronicle is ready') || s.includes('[exited'),
        timeoutMs,
        'bot ready',
      );
      if (!r.stdout.includes('Chronicle is ready')) throw new Error(`the bot exited before ready (${child.exitCode}): ${r.stderr}`);
    },
    async stop() {
      const t = Date.now();
      child.kill('SIGTERM');
      const code = await r.exited;
      return { code, ms: Date.now() - t };
    },
  };
  child.stdout!.on('data', (d) => (r.stdout += d));
  child.stderr!.on('data', (d) => (r.stderr += d));
  return r;
}

/** `tsx src/main.ts`, as `npm run dev` runs it. */
export function runBot(env: Record<string, string | undefined>): Run {
  return runNode(['--import', 'tsx', 'src/main.ts'], env);
}
