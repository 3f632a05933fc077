/** Percentiles and formatting for the bench table. */
import { readFileSync } from 'node:fs';

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles (no interpolation): p99 of 30,000 samples is the 29,700th smallest. */
export function summarize(values: number[]): Summary {
  const v = Float64Array.from(values).sort();
  const n = v.length;
  const at = (p: number) => (n ? v[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] : NaN);
  let sum = 0;
  for (const x of v) sum += x;
  return { n, p50: at(50), p90: at(90), p99: at(99), max: n ? v[n - 1] : NaN, mean: n ? sum / n : NaN };
}

export function median(values: number[]): number {
  return summarize(values).p50;
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtRate = (n: number): string => `${fmtInt(n)} msg/s`;
export const fmtMs = (n: number): string => (n >= 100 ? `${fmtInt(n)} ms` : `${n.toFixed(1)} ms`);
export const fmtMB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux). */
const TICKS = 100;

/** CPU ms (user + system) a process or thread has used, from a /proc …/stat file; null where unreadable (not Linux, gone). */
export function procStatCpuMs(statFile: string): number | null {
  try {
    const stat = readFileSync(statFile, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
  } catch {
    return null;
  }
}
