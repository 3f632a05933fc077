import { MigrationInterface, QueryRunner } from "typeorm";

export class Channels1796360797016 implements MigrationInterface {
    name = 'Channels1796360797016'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "channels" (
                "id" uuid NOT NULL,
                "discord_channel_id" character varying(20) NOT NULL,
                "guild_id" character varying(20),
                "name" character varying(100),
                "type" integer NOT NULL,
                "parent_id" character varying(20),
                "topic" text,
                "archived" boolean NOT NULL DEFAULT false,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "deleted_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_bc603823f3f741359c2339389f9" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_channels_parent" ON "channels" ("parent_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_channels_discord_channel" ON "channels" ("discord_channel_id")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."uq_channels_discord_channel"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_channels_parent"
        `);
        await queryRunner.query(`
            DROP TABLE "channels"
        `);
    }

}
