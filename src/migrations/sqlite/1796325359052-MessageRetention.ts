import { MigrationInterface, QueryRunner } from "typeorm";

export class MessageRetention1796325359052 implements MigrationInterface {
    name = 'MessageRetention1796325359052'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "purge_runs" (
                "id" varchar PRIMARY KEY NOT NULL,
                "day" varchar(10) NOT NULL,
                "started_at" datetime NOT NULL,
                "finished_at" datetime,
                "messages" integer NOT NULL DEFAULT (0),
                "revisions" integer NOT NULL DEFAULT (0),
                "reactions" integer NOT NULL DEFAULT (0),
                "attachments" integer NOT NULL DEFAULT (0)
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_purge_runs_day" ON "purge_runs" ("day")
        `);
        await queryRunner.query(`
            CREATE TABLE "retention_rules" (
                "id" varchar PRIMARY KEY NOT NULL,
                "channel_id" varchar(20) NOT NULL,
                "guild_id" varchar(20),
                "days" integer NOT NULL,
                "set_by" varchar(20),
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_retention_rules_channel" ON "retention_rules" ("channel_id")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "uq_retention_rules_channel"
        `);
        await queryRunner.query(`
            DROP TABLE "retention_rules"
        `);
        await queryRunner.query(`
            DROP INDEX "uq_purge_runs_day"
        `);
        await queryRunner.query(`
            DROP TABLE "purge_runs"
        `);
    }

}
