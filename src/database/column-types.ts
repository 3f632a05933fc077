import type { ColumnOptions } from 'typeorm';

/**
 * Column-type helpers: one entity set serves SQLite and PostgreSQL. Every helper gives an explicit
 * `type` (vitest and tsx emit no decorator metadata), chosen so that each driver maps it to its
 * natural storage:
 *
 * | helper      | SQLite            | PostgreSQL                 |
 * |-------------|-------------------|----------------------------|
 * | uuid        | varchar           | uuid                       |
 * | snowflake   | varchar(20)       | character varying(20)      |
 * | timestamp   | datetime          | timestamp with time zone   |
 * | json        | json (text)       | json                       |
 * | bool        | boolean (integer) | boolean                    |
 *
 * `timestamp` is declared as `Date` (valid on both drivers) and marked; ChronicleDataSource turns
 * marked columns into `timestamp with time zone` on PostgreSQL after building metadata, so instants
 * never depend on the server's or the process's time zone.
 */

const TIMESTAMP_COLUMNS = new WeakSet<object>();

export function isTimestampColumnOptions(options: object): boolean {
  return TIMESTAMP_COLUMNS.has(options);
}

type Extra = Omit<ColumnOptions, 'type'>;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the default: no extra options, so the spread adds nothing
type NoExtra = {};

export const uuid = <O extends Extra = NoExtra>(extra?: O) => ({ type: 'uuid' as const, ...extra });

export const snowflake = <O extends Extra = NoExtra>(extra?: O) => ({ type: 'varchar' as const, length: 20, ...extra });

export const varchar = <O extends Extra = NoExtra>(length: number, extra?: O) => ({ type: 'varchar' as const, length, ...extra });

export const text = <O extends Extra = NoExtra>(extra?: O) => ({ type: 'text' as const, ...extra });

export const bool = <O extends Extra = NoExtra>(extra?: O) => ({ type: 'boolean' as const, ...extra });

export const int = <O extends Extra = NoExtra>(extra?: O) => ({ type: 'integer' as const, ...extra });

export const json = <O extends Extra = NoExtra>(extra?: O) => ({ type: 'json' as const, ...extra });

export function timestamp<O extends Extra = NoExtra>(extra?: O) {
  const options = { type: Date, ...extra };
  TIMESTAMP_COLUMNS.add(options);
  return options;
}
