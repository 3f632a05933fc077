import { MigrationInterface, QueryRunner } from "typeorm";

export class PresenceRotationWindows1796316385039 implements MigrationInterface {
    name = 'PresenceRotationWindows1796316385039'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "bot_status"
            ADD "rotation_position" integer
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status"
            ADD "rotation_seconds" integer NOT NULL DEFAULT '60'
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status"
            ADD "starts_at" TIMESTAMP WITH TIME ZONE
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status"
            ADD "ends_at" TIMESTAMP WITH TIME ZONE
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status"
            ADD "cron_expression" character varying(120)
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status"
            ADD "timezone" character varying(64) NOT NULL DEFAULT 'UTC'
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status"
            ADD "duration_seconds" integer
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status"
            ADD "locale" character varying(35)
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "bot_status" DROP COLUMN "locale"
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status" DROP COLUMN "duration_seconds"
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status" DROP COLUMN "timezone"
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status" DROP COLUMN "cron_expression"
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status" DROP COLUMN "ends_at"
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status" DROP COLUMN "starts_at"
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status" DROP COLUMN "rotation_seconds"
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status" DROP COLUMN "rotation_position"
        `);
    }

}
