import { MigrationInterface, QueryRunner } from "typeorm";

export class EditHistoryAndReactions1796316274790 implements MigrationInterface {
    name = 'EditHistoryAndReactions1796316274790'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "message_revisions" (
                "id" varchar PRIMARY KEY NOT NULL,
                "message_id" varchar NOT NULL,
                "content" text NOT NULL,
                "content_escaped" boolean NOT NULL DEFAULT (0),
                "edited_at" datetime,
                "replaced_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_message_revisions_message_replaced" ON "message_revisions" ("message_id", "replaced_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "reactions" (
                "id" varchar PRIMARY KEY NOT NULL,
                "message_id" varchar NOT NULL,
                "emoji" varchar(100) NOT NULL,
                "emoji_id" varchar(20),
                "emoji_name" varchar(100),
                "animated" boolean NOT NULL DEFAULT (0),
                "discord_user_id" varchar(20) NOT NULL,
                "burst" boolean NOT NULL DEFAULT (0),
                "created_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_reactions_user" ON "reactions" ("discord_user_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_reactions_message_emoji_user" ON "reactions" (
                "message_id",
                "emoji",
                "discord_user_id",
                "burst"
            )
        `);
        await queryRunner.query(`
            DROP INDEX "uq_message_revisions_message_replaced"
        `);
        await queryRunner.query(`
            CREATE TABLE "temporary_message_revisions" (
                "id" varchar PRIMARY KEY NOT NULL,
                "message_id" varchar NOT NULL,
                "content" text NOT NULL,
                "content_escaped" boolean NOT NULL DEFAULT (0),
                "edited_at" datetime,
                "replaced_at" datetime NOT NULL,
                CONSTRAINT "FK_45f41ee63d44626b0a7c23a14d3" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
        await queryRunner.query(`
            INSERT INTO "temporary_message_revisions"(
                    "id",
                    "message_id",
                    "content",
                    "content_escaped",
                    "edited_at",
                    "replaced_at"
                )
            SELECT "id",
                "message_id",
                "content",
                "content_escaped",
                "edited_at",
                "replaced_at"
            FROM "message_revisions"
        `);
        await queryRunner.query(`
            DROP TABLE "message_revisions"
        `);
        await queryRunner.query(`
            ALTER TABLE "temporary_message_revisions"
                RENAME TO "message_revisions"
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_message_revisions_message_replaced" ON "message_revisions" ("message_id", "replaced_at")
        `);
        await queryRunner.query(`
            DROP INDEX "idx_reactions_user"
        `);
        await queryRunner.query(`
            DROP INDEX "uq_reactions_message_emoji_user"
        `);
        await queryRunner.query(`
            CREATE TABLE "temporary_reactions" (
                "id" varchar PRIMARY KEY NOT NULL,
                "message_id" varchar NOT NULL,
                "emoji" varchar(100) NOT NULL,
                "emoji_id" varchar(20),
                "emoji_name" varchar(100),
                "animated" boolean NOT NULL DEFAULT (0),
                "discord_user_id" varchar(20) NOT NULL,
                "burst" boolean NOT NULL DEFAULT (0),
                "created_at" datetime NOT NULL,
                CONSTRAINT "FK_2ee227780745018b358237c0ad7" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
        await queryRunner.query(`
            INSERT INTO "temporary_reactions"(
                    "id",
                    "message_id",
                    "emoji",
                    "emoji_id",
                    "emoji_name",
                    "animated",
                    "discord_user_id",
                    "burst",
                    "created_at"
                )
            SELECT "id",
                "message_id",
                "emoji",
                "emoji_id",
                "emoji_name",
                "animated",
                "discord_user_id",
                "burst",
                "created_at"
            FROM "reactions"
        `);
        await queryRunner.query(`
            DROP TABLE "reactions"
        `);
        await queryRunner.query(`
            ALTER TABLE "temporary_reactions"
                RENAME TO "reactions"
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_reactions_user" ON "reactions" ("discord_user_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_reactions_message_emoji_user" ON "reactions" (
                "message_id",
                "emoji",
                "discord_user_id",
                "burst"
            )
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "uq_reactions_message_emoji_user"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_reactions_user"
        `);
        await queryRunner.query(`
            ALTER TABLE "reactions"
                RENAME TO "temporary_reactions"
        `);
        await queryRunner.query(`
            CREATE TABLE "reactions" (
                "id" varchar PRIMARY KEY NOT NULL,
                "message_id" varchar NOT NULL,
                "emoji" varchar(100) NOT NULL,
                "emoji_id" varchar(20),
                "emoji_name" varchar(100),
                "animated" boolean NOT NULL DEFAULT (0),
                "discord_user_id" varchar(20) NOT NULL,
                "burst" boolean NOT NULL DEFAULT (0),
                "created_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            INSERT INTO "reactions"(
                    "id",
                    "message_id",
                    "emoji",
                    "emoji_id",
                    "emoji_name",
                    "animated",
                    "discord_user_id",
                    "burst",
                    "created_at"
                )
            SELECT "id",
                "message_id",
                "emoji",
                "emoji_id",
                "emoji_name",
                "animated",
                "discord_user_id",
                "burst",
                "created_at"
            FROM "temporary_reactions"
        `);
        await queryRunner.query(`
            DROP TABLE "temporary_reactions"
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_reactions_message_emoji_user" ON "reactions" (
                "message_id",
                "emoji",
                "discord_user_id",
                "burst"
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_reactions_user" ON "reactions" ("discord_user_id")
        `);
        await queryRunner.query(`
            DROP INDEX "uq_message_revisions_message_replaced"
        `);
        await queryRunner.query(`
            ALTER TABLE "message_revisions"
                RENAME TO "temporary_message_revisions"
        `);
        await queryRunner.query(`
            CREATE TABLE "message_revisions" (
                "id" varchar PRIMARY KEY NOT NULL,
                "message_id" varchar NOT NULL,
                "content" text NOT NULL,
                "content_escaped" boolean NOT NULL DEFAULT (0),
                "edited_at" datetime,
                "replaced_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            INSERT INTO "message_revisions"(
                    "id",
                    "message_id",
                    "content",
                    "content_escaped",
                    "edited_at",
                    "replaced_at"
                )
            SELECT "id",
                "message_id",
                "content",
                "content_escaped",
                "edited_at",
                "replaced_at"
            FROM "temporary_message_revisions"
        `);
        await queryRunner.query(`
            DROP TABLE "temporary_message_revisions"
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_message_revisions_message_replaced" ON "message_revisions" ("message_id", "replaced_at")
        `);
        await queryRunner.query(`
            DROP INDEX "uq_reactions_message_emoji_user"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_reactions_user"
        `);
        await queryRunner.query(`
            DROP TABLE "reactions"
        `);
        await queryRunner.query(`
            DROP INDEX "uq_message_revisions_message_replaced"
        `);
        await queryRunner.query(`
            DROP TABLE "message_revisions"
        `);
    }

}
