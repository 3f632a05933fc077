import { createHash } from 'node:crypto';
import { In, type EntityMetadata, type ObjectLiteral } from 'typeorm';
import type { Database } from './database';

/**
 * `npm run db:copy`: every table of one database into another (SQLite → PostgreSQL, the way off
 * the embedded default; any direction works). Rows go through the entities, so each driver's
 * column types (dates, JSON, booleans) are converted by TypeORM as the bot's own writes are, and
 * ids, sessions, schedules and `bot_status` arrive unchanged: the bot started on the target
 * carries on where it left off.
 *
 * - Tables in foreign-key order (a row's parent is there before it), each read in batches by
 *   primary key (keyset, never OFFSET) and written in one transaction per batch.
 * - Safe to stop and rerun: a batch's rows already in the target are skipped, so a rerun picks up
 *   where an interrupted one stopped and a finished table costs only reads.
 * - A target holding rows the source does not have is refused before anything is written.
 * - Verified at the end: per table, row counts and a checksum (an order-free XOR of each row's
 *   SHA-256 over its columns' values, normalised), read back from both sides.
 *
 * Knows no Discord; the CLI (scripts/db-copy.ts) prints what `onProgress` reports.
 */

export interface CopyOptions {
  /** Rows per batch (default: up to 2,000, fewer for wide tables, within both drivers' bound-parameter limits). */
  batchSize?: number;
  onProgress?: (p: { table: string; copied: number; skipped: number; total: number; done: boolean }) => void;
}

export interface TableReport {
  table: string;
  source: number;
  target: number;
  copied: number;
  skipped: number;
  sourceChecksum: string;
  targetChecksum: string;
  ok: boolean;
}

export class CopyRefused extends Error {}

/** Tables in an order where every table comes after those its foreign keys point to. */
export function copyOrder(metas: readonly EntityMetadata[]): EntityMetadata[] {
  const out: EntityMetadata[] = [];
  const seen = new Set<EntityMetadata>();
  const visit = (m: EntityMetadata, path: Set<EntityMetadata>) => {
    if (seen.has(m)) return;
    if (path.has(m)) throw new Error(`db:copy: a foreign-key cycle through ${m.tableName}`);
    path.add(m);
    for (const fk of m.foreignKeys) if (fk.referencedEntityMetadata !== m) visit(fk.referencedEntityMetadata, path);
    path.delete(m);
    seen.add(m);
    out.push(m);
  };
  for (const m of [...metas].sort((a, b) => a.tableName.localeCompare(b.tableName))) visit(m, new Set());
  return out;
}

function primaryKey(meta: EntityMetadata): string {
  if (meta.primaryColumns.length !== 1) throw new Error(`db:copy: table ${meta.tableName} has a composite primary key, which db:copy does not handle yet`);
  return meta.primaryColumns[0].propertyName;
}

/** Refuses what cannot be copied safely; returns the tables in copy order. */
async function preflight(from: Database, to: Database): Promise<EntityMetadata[]> {
  if (from.describe() === to.describe()) throw new CopyRefused('--from and --to are the same database');
  const pending = await from.pendingMigrations();
  if (pending.length) {
    throw new CopyRefused(`the source ${from.describe()} has ${pending.length} migration(s) this build would apply (${pending.join(', ')}): run \`npm run migration:run\` with DATABASE_URL set to it first`);
  }
  const metas = copyOrder(to.dataSource.entityMetadatas);
  for (const meta of metas) {
    const pk = primaryKey(meta);
    const target = await to.manager.count(meta.target);
    if (!target) continue;
    const source = await from.manager.count(meta.target);
    // A sample of the target's rows must all be the source's (a rerun); the bot having run on the
    // target, or another source, makes rows with other ids.
    const sample = await to.manager.getRepository(meta.target).find({ select: { [pk]: true } as never, take: 1000 });
    const ids = sample.map((r: ObjectLiteral) => r[pk] as unknown);
    const found = ids.length ? await from.manager.getRepository(meta.target).count({ where: { [pk]: In(ids) } as never }) : 0;
    if (target > source || found < ids.length) {
      throw new CopyRefused(
        `the target ${to.describe()} already holds other data (table ${meta.tableName}: ${target} row(s), ${ids.length - found} of ${ids.length} sampled not in the source): copy into an empty database (\`npm run db:setup\` makes one)`,
      );
    }
  }
  return metas;
}

/** Copies every table; returns the verification per table (check `ok`). */
export async function copyDatabase(from: Database, to: Database, opts: CopyOptions = {}): Promise<TableReport[]> {
  await to.migrate();
  const metas = await preflight(from, to);
  const counts = new Map<string, { copied: number; skipped: number }>();
  for (const meta of metas) {
    const pk = primaryKey(meta);
    const batchSize = opts.batchSize ?? batchFor(meta);
    const total = await from.manager.count(meta.target);
    // Rows already there only after an interrupted run; an empty table needs no look-ups.
    const resuming = (await to.manager.count(meta.target)) > 0;
    const c = { copied: 0, skipped: 0 };
    counts.set(meta.tableName, c);
    for await (const rows of batches(from, meta, batchSize)) {
      let missing = rows;
      if (resuming) {
        const ids = rows.map((r: ObjectLiteral) => r[pk] as unknown);
        const present = new Set((await to.manager.getRepository(meta.target).find({ select: { [pk]: true } as never, where: { [pk]: In(ids) } as never })).map((r: ObjectLiteral) => String(r[pk])));
        missing = rows.filter((r: ObjectLiteral) => !present.has(String(r[pk])));
      }
      if (missing.length) {
        await to.dataSource.transaction((em) => em.createQueryBuilder().insert().into(meta.target).values(missing).execute());
      }
      c.copied += missing.length;
      c.skipped += rows.length - missing.length;
      opts.onProgress?.({ table: meta.tableName, ...c, total, done: false });
    }
    opts.onProgress?.({ table: meta.tableName, ...c, total, done: true });
  }
  const reports: TableReport[] = [];
  for (const meta of metas) {
    const [s, t] = await Promise.all([tableChecksum(from, meta), tableChecksum(to, meta)]);
    const c = counts.get(meta.tableName)!;
    reports.push({ table: meta.tableName, source: s.rows, target: t.rows, copied: c.copied, skipped: c.skipped, sourceChecksum: s.checksum, targetChecksum: t.checksum, ok: s.rows === t.rows && s.checksum === t.checksum });
  }
  return reports;
}

/** A table's rows through its entity, `size` at a time in primary-key order (keyset: each batch starts after the last one's key). */
async function* batches(db: Database, meta: EntityMetadata, size: number): AsyncGenerator<ObjectLiteral[]> {
  const pk = primaryKey(meta);
  let last: unknown = undefined;
  for (;;) {
    const qb = db.manager.getRepository(meta.target).createQueryBuilder('t').orderBy(`t.${pk}`, 'ASC').take(size);
    if (last !== undefined) qb.where(`t.${pk} > :last`, { last });
    const rows: ObjectLiteral[] = await qb.getMany();
    if (!rows.length) return;
    last = rows[rows.length - 1][pk];
    yield rows;
  }
}

/** Rows per batch: SQLite binds at most 32,766 values per statement, PostgreSQL 65,535. */
function batchFor(meta: EntityMetadata): number {
  return Math.max(1, Math.min(2000, Math.floor(30_000 / meta.columns.length)));
}

/** Row count and an order-free checksum of a table, read through its entity (so both drivers give the same values). */
export async function tableChecksum(db: Database, meta: EntityMetadata, batchSize = 2000): Promise<{ rows: number; checksum: string }> {
  const acc = Buffer.alloc(32);
  let rows = 0;
  for await (const batch of batches(db, meta, batchSize)) {
    for (const row of batch) {
      const values = meta.columns.map((col) => normalise(col.getEntityValue(row)));
      const h = createHash('sha256').update(JSON.stringify(values)).digest();
      for (let i = 0; i < 32; i++) acc[i] ^= h[i];
      rows++;
    }
  }
  return { rows, checksum: acc.toString('hex').slice(0, 16) };
}

/** One representation per value whatever the driver returned (Date, JSON text or object, 0/1 or boolean). */
function normalise(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (typeof v === 'object') return stable(v);
  return v;
}

function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, stable((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
