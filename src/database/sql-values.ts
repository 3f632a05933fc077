import { DateUtils } from 'typeorm/util/DateUtils';
import type { Driver } from './data-source';

/**
 * Helpers for the few hand-built statements on the hot path (batched inserts): placeholders and
 * values in the form each driver stores them — the same form TypeORM itself writes, so rows
 * written here and through repositories compare and sort alike.
 */
export function placeholder(driver: Driver, index: number): string {
  return driver === 'postgres' ? `$${index}` : '?';
}

export function dateValue(driver: Driver, d: Date | null): unknown {
  if (d === null) return null;
  return driver === 'sqlite' ? DateUtils.mixedDateToUtcDatetimeString(d) : d;
}

export function boolValue(driver: Driver, b: boolean): unknown {
  return driver === 'sqlite' ? (b ? 1 : 0) : b;
}

export function jsonValue(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

/** `(…), (…)` with numbered ($n) or positional (?) placeholders for `rows` rows of `cols` columns. */
export function valuesList(driver: Driver, rows: number, cols: number, casts: string[] = []): string {
  const out: string[] = [];
  let n = 1;
  for (let r = 0; r < rows; r++) {
    const ph: string[] = [];
    for (let c = 0; c < cols; c++) ph.push(placeholder(driver, n++) + (driver === 'postgres' && casts[c] ? `::${casts[c]}` : ''));
    out.push(`(${ph.join(', ')})`);
  }
  return out.join(', ');
}
