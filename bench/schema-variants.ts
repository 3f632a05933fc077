/**
 * `npm run bench -- --schema`: what messages' secondary structures cost the recorder. The store
 * alone runs on the schema as migrated and on copies with the (session_id, created_at) index
 * and/or the messages → sessions foreign key removed, so the trade can be weighed on figures.
 * Only ever applied to the bench's own throwaway databases.
 */
import type { BenchDb } from './db';

export interface SchemaVariant {
  name: string;
  apply(db: BenchDb): Promise<void>;
}

const SESSION_INDEX = 'idx_messages_session_created';

async function dropSessionIndex(db: BenchDb): Promise<void> {
  await db.query(`DROP INDEX "${SESSION_INDEX}"`);
}

/** Removes messages' foreign key to sessions (SQLite: rebuilds the empty table without it, indexes included). */
async function dropSessionForeignKey(db: BenchDb): Promise<void> {
  if (db.driver === 'postgres') {
    const fks = await db.query<{ name: string }>(`SELECT conname AS name FROM pg_constraint WHERE conrelid = '"messages"'::regclass AND contype = 'f'`);
    for (const { name } of fks) await db.query(`ALTER TABLE "messages" DROP CONSTRAINT "${name}"`);
  } else {
    const [table] = await db.query<{ sql: string }>(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'messages'`);
    const indexes = await db.query<{ sql: string }>(`SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL`);
    const without = table.sql.replace(/,\s*CONSTRAINT "[^"]+" FOREIGN KEY \("session_id"\) REFERENCES "sessions" \("id"\)[^,)]*/, '');
    if (without === table.sql) throw new Error('bench --schema: messages has no foreign key to sessions in the form expected');
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*) AS n FROM "messages"');
    if (n) throw new Error('bench --schema: messages must be empty to be rebuilt');
    await db.query('DROP TABLE "messages"');
    await db.query(without);
    for (const i of indexes) await db.query(i.sql);
  }
  const left = db.driver === 'postgres' ? await db.query(`SELECT 1 FROM pg_constraint WHERE conrelid = '"messages"'::regclass AND contype = 'f'`) : await db.query(`SELECT 1 FROM pragma_foreign_key_list('messages')`);
  if (left.length) throw new Error('bench --schema: the foreign key is still there');
}

export const SCHEMA_VARIANTS: SchemaVariant[] = [
  { name: 'as migrated', apply: async () => undefined },
  { name: `without ${SESSION_INDEX}`, apply: dropSessionIndex },
  { name: 'without the messages → sessions foreign key', apply: dropSessionForeignKey },
  {
    name: 'without both',
    apply: async (db) => {
      await dropSessionIndex(db);
      await dropSessionForeignKey(db);
    },
  },
];
