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
  return driver === 'sqlite' ? sqliteDate(d) : d;
}

/**
 * TypeORM's SQLite datetime form, `YYYY-MM-DD HH:MM:SS.SSS` (UTC). Messages arrive in time order,
 * dozens per millisecond under load, so the last result is kept.
 */
export function sqliteDate(d: Date): string {
  const t = d.getTime();
  if (t !== lastSqliteDate.t) {
    const iso = d.toISOString();
    // toISOString has this shape for years 0000–9999; others take TypeORM's own formatter.
    lastSqliteDate.s = iso.length === 24 ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : DateUtils.mixedDateToUtcDatetimeString(d);
    lastSqliteDate.t = t;
  }
  return lastSqliteDate.s;
}
const lastSqliteDate = { t: NaN, s: '' };

/** ISO 8601 (what PostgreSQL parses for timestamptz), with the same one-entry memo. */
function isoDate(d: Date): string {
  const t = d.getTime();
  if (t !== lastIsoDate.t) {
    lastIsoDate.s = d.toISOString();
    lastIsoDate.t = t;
  }
  return lastIsoDate.s;
}
const lastIsoDate = { t: NaN, s: '' };

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

/** A column of a bulk row set: its name and its PostgreSQL type (the value's form follows from it). */
export interface BulkColumn {
  name: string;
  type: 'uuid' | 'text' | 'integer' | 'boolean' | 'timestamptz' | 'json';
}

/**
 * Many rows as a FROM-clause row source `AS v(columns…)`, bound as few parameters, so a batch of a
 * thousand rows is not a statement with thousands of placeholders (whose text the database parses
 * and whose parameters the driver converts one by one, on the event loop):
 * - SQLite: one parameter, the rows as a JSON array of arrays, read by `json_each`;
 * - PostgreSQL: one typed array per column, read by `unnest`.
 * `rows` hold plain values in column order: strings, null, booleans, Dates (timestamptz columns)
 * and, for json columns, the JSON text. Values are converted to each driver's stored form.
 * `firstParam` is the PostgreSQL number of the first parameter (`$n`).
 */
export function bulkRows(driver: Driver, columns: BulkColumn[], rows: unknown[][], firstParam = 1): { from: string; params: unknown[] } {
  const names = columns.map((c) => `"${c.name}"`).join(', ');
  if (driver === 'sqlite') {
    const conv = columns.map((c) => (c.type === 'timestamptz' ? 1 : c.type === 'boolean' ? 2 : c.type === 'text' || c.type === 'json' ? 3 : 0));
    const needs = conv.some((k) => k !== 0);
    const out = needs ? rows.map((r) => r.map((v, i) => sqliteJsonValue(v, conv[i]))) : rows;
    const select = columns.map((c, i) => `value->>${i} AS "${c.name}"`).join(', ');
    return { from: `(SELECT ${select} FROM json_each(?)) AS v`, params: [JSON.stringify(out)] };
  }
  const arrays = columns.map((c, i) => {
    const a: unknown[] = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const v = rows[r][i];
      a[r] = v instanceof Date ? isoDate(v) : v;
    }
    return a;
  });
  const args = columns.map((c, i) => `$${firstParam + i}::${c.type}[]`).join(', ');
  return { from: `unnest(${args}) AS v(${names})`, params: arrays };
}

/**
 * A value as JSON text SQLite reads back unchanged: dates in TypeORM's form, booleans as 0/1, and
 * strings made well-formed (a lone surrogate becomes U+FFFD, as when a string is bound).
 */
function sqliteJsonValue(v: unknown, kind: number): unknown {
  if (v === null || v === undefined) return null;
  if (kind === 1) return v instanceof Date ? sqliteDate(v) : v;
  if (kind === 2) return v ? 1 : 0;
  if (kind === 3 && typeof v === 'string' && !(v as unknown as WellFormed).isWellFormed()) return (v as unknown as WellFormed).toWellFormed();
  return v;
}

/** ES2024 string methods (Node 20 has them; the project's lib setting is ES2022). */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** A timestamp as read back: SQLite returns 'YYYY-MM-DD HH:MM:SS.SSS' (UTC); PostgreSQL a Date. */
export function parseDbDate(v: string | Date): number {
  if (v instanceof Date) return v.getTime();
  return Date.parse(v.includes('T') ? v : `${v.replace(' ', 'T')}Z`);
}
