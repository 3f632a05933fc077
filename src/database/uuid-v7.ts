import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): a millisecond timestamp, then random bits; still a plain UUID to every
 * reader. The one id generator for users, sessions and messages: ids made in time order are
 * appended at the right edge of the primary keys and of `(session_id, created_at)`, where random
 * ids touch pages all over them (see docs/benchmark.md for what that saves on SQLite).
 */
export function uuidV7(): string {
  const now = Date.now();
  if (now !== v7Ms) {
    v7Ms = now;
    const hex = now.toString(16).padStart(12, '0');
    v7Prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7`;
  }
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; keep everything after the version digit.
  return v7Prefix + randomUUID().slice(15);
}
let v7Ms = -1;
let v7Prefix = '';
