import { MigrationInterface, QueryRunner } from "typeorm";

export class MessageRetention1796325359052 implements MigrationInterface {
    name = 'MessageRetention1796325359052'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "purge_runs" (
                "id" uuid NOT NULL,
                "day" character varying(10) NOT NULL,
                "started_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "finished_at" TIMESTAMP WITH TIME ZONE,
                "messages" integer NOT NULL DEFAULT '0',
                "revisions" integer NOT NULL DEFAULT '0',
                "reactions" integer NOT NULL DEFAULT '0',
                "attachments" integer NOT NULL DEFAULT '0',
                CONSTRAINT "PK_fb2a694e66365814a5e1b915e38" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_purge_runs_day" ON "purge_runs" ("day")
        `);
        await queryRunner.query(`
            CREATE TABLE "retention_rules" (
                "id" uuid NOT NULL,
                "channel_id" character varying(20) NOT NULL,
                "guild_id" character varying(20),
                "days" integer NOT NULL,
                "set_by" character varying(20),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_95784069953cd8ee9296c6e947b" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_retention_rules_channel" ON "retention_rules" ("channel_id")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."uq_retention_rules_channel"
        `);
        await queryRunner.query(`
            DROP TABLE "retention_rules"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_purge_runs_day"
        `);
        await queryRunner.query(`
            DROP TABLE "purge_runs"
        `);
    }

}
