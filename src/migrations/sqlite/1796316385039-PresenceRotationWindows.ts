import { MigrationInterface, QueryRunner } from "typeorm";

export class PresenceRotationWindows1796316385039 implements MigrationInterface {
    name = 'PresenceRotationWindows1796316385039'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "idx_bot_status_active"
        `);
        await queryRunner.query(`
            CREATE TABLE "temporary_bot_status" (
                "id" varchar(64) PRIMARY KEY NOT NULL,
                "status" varchar(16) NOT NULL DEFAULT ('online'),
                "activity_type" varchar(16) NOT NULL DEFAULT ('playing'),
                "activity" text,
                "url" text,
                "is_active" boolean NOT NULL DEFAULT (0),
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL,
                "rotation_position" integer,
                "rotation_seconds" integer NOT NULL DEFAULT (60),
                "starts_at" datetime,
                "ends_at" datetime,
                "cron_expression" varchar(120),
                "timezone" varchar(64) NOT NULL DEFAULT ('UTC'),
                "duration_seconds" integer,
                "locale" varchar(35)
            )
        `);
        await queryRunner.query(`
            INSERT INTO "temporary_bot_status"(
                    "id",
                    "status",
                    "activity_type",
                    "activity",
                    "url",
                    "is_active",
                    "created_at",
                    "updated_at"
                )
            SELECT "id",
                "status",
                "activity_type",
                "activity",
                "url",
                "is_active",
                "created_at",
                "updated_at"
            FROM "bot_status"
        `);
        await queryRunner.query(`
            DROP TABLE "bot_status"
        `);
        await queryRunner.query(`
            ALTER TABLE "temporary_bot_status"
                RENAME TO "bot_status"
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_bot_status_active" ON "bot_status" ("is_active")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "idx_bot_status_active"
        `);
        await queryRunner.query(`
            ALTER TABLE "bot_status"
                RENAME TO "temporary_bot_status"
        `);
        await queryRunner.query(`
            CREATE TABLE "bot_status" (
                "id" varchar(64) PRIMARY KEY NOT NULL,
                "status" varchar(16) NOT NULL DEFAULT ('online'),
                "activity_type" varchar(16) NOT NULL DEFAULT ('playing'),
                "activity" text,
                "url" text,
                "is_active" boolean NOT NULL DEFAULT (0),
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            INSERT INTO "bot_status"(
                    "id",
                    "status",
                    "activity_type",
                    "activity",
                    "url",
                    "is_active",
                    "created_at",
                    "updated_at"
                )
            SELECT "id",
                "status",
                "activity_type",
                "activity",
                "url",
                "is_active",
                "created_at",
                "updated_at"
            FROM "temporary_bot_status"
        `);
        await queryRunner.query(`
            DROP TABLE "temporary_bot_status"
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_bot_status_active" ON "bot_status" ("is_active")
        `);
    }

}
