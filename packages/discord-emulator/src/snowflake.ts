/** Discord snowflakes: 42 bits of ms since the Discord epoch, 5 bits worker, 5 bits process, 12 bits increment. */
export const DISCORD_EPOCH = 1420070400000n;

let increment = 0n;
const WORKER = 1n;
const PROCESS = 0n;

/** A fresh snowflake for `at` (default now), as a decimal string, like every id Discord returns. */
export function snowflake(at: number | Date = Date.now()): string {
  const ms = BigInt(typeof at === 'number' ? Math.floor(at) : at.getTime());
  increment = (increment + 1n) & 0xfffn;
  return (((ms - DISCORD_EPOCH) << 22n) | (WORKER << 17n) | (PROCESS << 12n) | increment).toString();
}

/** The creation time (ms since the Unix epoch) encoded in a snowflake. */
export function snowflakeTime(id: string | bigint): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** The smallest snowflake for a given time; handy for `before`/`after` comparisons. */
export function snowflakeFloor(at: number): bigint {
  return (BigInt(Math.floor(at)) - DISCORD_EPOCH) << 22n;
}

export function compareSnowflakes(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export const isSnowflake = (s: unknown): s is string => typeof s === 'string' && /^(0|[1-9][0-9]{0,19})$/.test(s);

/** ISO 8601 the way Discord writes it: microseconds and "+00:00". */
export function discordTimestamp(d: Date | number = Date.now()): string {
  return new Date(d).toISOString().replace('Z', '000+00:00');
}
