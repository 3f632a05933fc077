import { MigrationInterface, QueryRunner } from "typeorm";

export class Channels1796360797016 implements MigrationInterface {
    name = 'Channels1796360797016'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "channels" (
                "id" varchar PRIMARY KEY NOT NULL,
                "discord_channel_id" varchar(20) NOT NULL,
                "guild_id" varchar(20),
                "name" varchar(100),
                "type" integer NOT NULL,
                "parent_id" varchar(20),
                "topic" text,
                "archived" boolean NOT NULL DEFAULT (0),
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL,
                "deleted_at" datetime
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
            DROP INDEX "uq_channels_discord_channel"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_channels_parent"
        `);
        await queryRunner.query(`
            DROP TABLE "channels"
        `);
    }

}
