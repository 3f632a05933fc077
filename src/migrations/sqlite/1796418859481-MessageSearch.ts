import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hand-written (TypeORM cannot express virtual tables or triggers): full-text search over
 * `messages.content` for `/search`.
 *
 * `messages_fts` is an FTS5 external-content table: it keeps only the index, the text stays in
 * `messages` (content='messages', content_rowid='rowid'). Three triggers keep it in step in the
 * same transaction as every insert, delete and content update (the recorder's bulk statements
 * included); 'rebuild' fills it from the rows already there. `unicode61` with
 * remove_diacritics 0 splits on Unicode letters and digits in any language and folds case only,
 * as PostgreSQL's `simple` configuration does, so both drivers match the same words.
 *
 * `messages` has a uuid primary key, so its rowid is not an alias of a declared column: SQLite's
 * documentation allows VACUUM to renumber such rowids (3.52 keeps them); after a VACUUM that did,
 * `INSERT INTO messages_fts(messages_fts) VALUES('rebuild')` (SearchStore.rebuildIndex) makes
 * the index match again.
 */
export class MessageSearch1796418859481 implements MigrationInterface {
  name = 'MessageSearch1796418859481';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE VIRTUAL TABLE "messages_fts" USING fts5(content, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0')`);
    await queryRunner.query(`
      CREATE TRIGGER "trg_messages_fts_insert" AFTER INSERT ON "messages" BEGIN
        INSERT INTO "messages_fts"(rowid, content) VALUES (new.rowid, new.content);
      END
    `);
    await queryRunner.query(`
      CREATE TRIGGER "trg_messages_fts_delete" AFTER DELETE ON "messages" BEGIN
        INSERT INTO "messages_fts"("messages_fts", rowid, content) VALUES ('delete', old.rowid, old.content);
      END
    `);
    await queryRunner.query(`
      CREATE TRIGGER "trg_messages_fts_update" AFTER UPDATE OF "content" ON "messages" BEGIN
        INSERT INTO "messages_fts"("messages_fts", rowid, content) VALUES ('delete', old.rowid, old.content);
        INSERT INTO "messages_fts"(rowid, content) VALUES (new.rowid, new.content);
      END
    `);
    await queryRunner.query(`INSERT INTO "messages_fts"("messages_fts") VALUES ('rebuild')`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER IF EXISTS "trg_messages_fts_update"`);
    await queryRunner.query(`DROP TRIGGER IF EXISTS "trg_messages_fts_delete"`);
    await queryRunner.query(`DROP TRIGGER IF EXISTS "trg_messages_fts_insert"`);
    await queryRunner.query(`DROP TABLE IF EXISTS "messages_fts"`);
  }
}
