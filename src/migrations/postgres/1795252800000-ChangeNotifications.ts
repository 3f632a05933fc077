import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hand-written (generation cannot express triggers): every committed change to `bot_status` or
 * `schedules` sends NOTIFY on a channel the bot LISTENs to, with the changed row's id as payload.
 * SQLite has no counterpart: the bot polls `PRAGMA data_version` there.
 */
export class ChangeNotifications1795252800000 implements MigrationInterface {
  name = 'ChangeNotifications1795252800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION chronicle_notify_change() RETURNS trigger AS $$
      BEGIN
        PERFORM pg_notify(TG_ARGV[0], COALESCE(NEW.id::text, OLD.id::text, ''));
        RETURN NULL;
      END;
      $$ LANGUAGE plpgsql
    `);
    await queryRunner.query(`
      CREATE TRIGGER "trg_bot_status_notify" AFTER INSERT OR UPDATE OR DELETE ON "bot_status"
      FOR EACH ROW EXECUTE FUNCTION chronicle_notify_change('chronicle_bot_status')
    `);
    await queryRunner.query(`
      CREATE TRIGGER "trg_schedules_notify" AFTER INSERT OR UPDATE OR DELETE ON "schedules"
      FOR EACH ROW EXECUTE FUNCTION chronicle_notify_change('chronicle_schedules')
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER IF EXISTS "trg_schedules_notify" ON "schedules"`);
    await queryRunner.query(`DROP TRIGGER IF EXISTS "trg_bot_status_notify" ON "bot_status"`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS chronicle_notify_change()`);
  }
}
