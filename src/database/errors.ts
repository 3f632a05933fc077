/** Errors the stores throw: they say what failed, never dump the driver's raw error. */

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export class NotFoundError extends StoreError {
  constructor(
    readonly entity: string,
    readonly key: string,
  ) {
    super(`${entity} ${key} not found`);
    this.name = 'NotFoundError';
  }
}

export class UniqueViolationError extends StoreError {
  constructor(
    readonly table: string,
    readonly columns: string[],
    readonly value?: string,
    cause?: unknown,
  ) {
    super(`${table}: a row with this ${columns.join(', ')}${value ? ` (${value})` : ''} already exists`, { cause });
    this.name = 'UniqueViolationError';
  }
}

export class ForeignKeyError extends StoreError {
  constructor(
    readonly table: string,
    detail: string,
    cause?: unknown,
  ) {
    super(`${table}: ${detail}`, { cause });
    this.name = 'ForeignKeyError';
  }
}

export class ValidationError extends StoreError {
  constructor(
    readonly field: string,
    rule: string,
  ) {
    super(`${field} ${rule}`);
    this.name = 'ValidationError';
  }
}

/** A value the database refuses for good (NULL where not allowed, too long, malformed): retrying cannot help. */
export class DataError extends StoreError {
  constructor(
    readonly table: string,
    detail: string,
    cause?: unknown,
  ) {
    super(`${table}: ${detail}`, { cause });
    this.name = 'DataError';
  }
}

interface DriverError {
  code?: string;
  errno?: number;
  message?: string;
  detail?: string;
  table?: string;
  constraint?: string;
  driverError?: DriverError;
}

/**
 * Turns a driver error (pg or sqlite3, possibly wrapped in TypeORM's QueryFailedError) into a
 * StoreError naming the table and key; anything else is rethrown with a short message and its
 * cause kept for the logs. `what` names the operation, e.g. "insert users".
 */
export function translateError(error: unknown, what: string): Error {
  if (error instanceof StoreError) return error;
  // Not from the database: a malformed value reached the store (a bug or bad input); keep it as is.
  if (error instanceof TypeError || error instanceof RangeError) return error;
  const e = ((error as DriverError)?.driverError ?? error) as DriverError;
  const message = String(e?.message ?? error);
  // PostgreSQL
  if (e?.code === '23505') {
    const m = /Key \((.+?)\)=\((.*)\) already exists/.exec(e.detail ?? '');
    return new UniqueViolationError(e.table ?? what, m ? m[1].split(/,\s*/).map((c) => c.replace(/"/g, '')) : [e.constraint ?? 'key'], m?.[2], error);
  }
  if (e?.code === '23503') return new ForeignKeyError(e.table ?? what, `a referenced row does not exist${e.detail ? ` (${e.detail})` : ''}`, error);
  if (e?.code && ['23502', '23514', '22001', '22P02', '22007', '22008', '22021'].includes(e.code)) return new DataError(e.table ?? what, message.split('\n')[0], error);
  // SQLite
  const u = /UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)/.exec(message);
  if (u) {
    const cols = u[1].split(', ');
    return new UniqueViolationError(
      cols[0].split('.')[0],
      cols.map((c) => c.split('.')[1] ?? c),
      undefined,
      error,
    );
  }
  if (/FOREIGN KEY constraint failed/.test(message)) return new ForeignKeyError(what, 'a referenced row does not exist', error);
  if (/(NOT NULL|CHECK) constraint failed|datatype mismatch/.test(message)) return new DataError(what, message.split('\n')[0].replace(/^SQLITE_\w+: /, ''), error);
  const short = message.split('\n')[0].slice(0, 300);
  return new StoreError(`${what} failed: ${short}`, { cause: error });
}
