import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hand-written (TypeORM cannot generate an expression index): full-text search over
 * `messages.content` for `/search`. A GIN index on `to_tsvector('simple', …)` of the content with
 * punctuation turned into spaces: the language-neutral `simple` configuration lowercases and keeps
 * every word whatever the language (no stemming, no stop words), and without punctuation its
 * parser makes words of letters and digits only, as SQLite's unicode61 does (`3.14`, `a@b.com` and
 * links would otherwise be single tokens there). The search store repeats this expression exactly
 * (SEARCH_VECTOR), so the planner uses the index. Partial words match by prefix (`'word':*` in the tsquery), which
 * the same index answers. An index is maintained by PostgreSQL in the writing transaction, so no
 * trigger is needed. Declared on the Message entity with `synchronize: false`, so the drift check
 * leaves it alone.
 */
export class MessageSearch1796418859481 implements MigrationInterface {
  name = 'MessageSearch1796418859481';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "idx_messages_content_fts" ON "messages" USING GIN (to_tsvector('simple', regexp_replace("content", '[[:punct:]]+', ' ', 'g')))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "idx_messages_content_fts"`);
  }
}
