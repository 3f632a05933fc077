import { MigrationInterface, QueryRunner } from "typeorm";

export class AddAttachments1796317654514 implements MigrationInterface {
    name = 'AddAttachments1796317654514'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "attachments" (
                "id" varchar PRIMARY KEY NOT NULL,
                "message_id" varchar NOT NULL,
                "discord_message_id" varchar(20) NOT NULL,
                "discord_attachment_id" varchar(20) NOT NULL,
                "filename" text NOT NULL,
                "content_type" varchar(255),
                "size" integer NOT NULL,
                "width" integer,
                "height" integer,
                "url" text NOT NULL,
                "proxy_url" text,
                "sha256" varchar(64),
                "stored_path" varchar(255),
                "state" varchar(16) NOT NULL,
                "error" text,
                "attempts" integer NOT NULL DEFAULT (0),
                "next_attempt_at" datetime,
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL,
                "stored_at" datetime
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_attachments_sha256" ON "attachments" ("sha256")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_attachments_state_created" ON "attachments" ("state", "created_at")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_attachments_message_attachment" ON "attachments" ("message_id", "discord_attachment_id")
        `);
        await queryRunner.query(`
            DROP INDEX "idx_attachments_sha256"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_attachments_state_created"
        `);
        await queryRunner.query(`
            DROP INDEX "uq_attachments_message_attachment"
        `);
        await queryRunner.query(`
            CREATE TABLE "temporary_attachments" (
                "id" varchar PRIMARY KEY NOT NULL,
                "message_id" varchar NOT NULL,
                "discord_message_id" varchar(20) NOT NULL,
                "discord_attachment_id" varchar(20) NOT NULL,
                "filename" text NOT NULL,
                "content_type" varchar(255),
                "size" integer NOT NULL,
                "width" integer,
                "height" integer,
                "url" text NOT NULL,
                "proxy_url" text,
                "sha256" varchar(64),
                "stored_path" varchar(255),
                "state" varchar(16) NOT NULL,
                "error" text,
                "attempts" integer NOT NULL DEFAULT (0),
                "next_attempt_at" datetime,
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL,
                "stored_at" datetime,
                CONSTRAINT "FK_623e10eec51ada466c5038979e3" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
        await queryRunner.query(`
            INSERT INTO "temporary_attachments"(
                    "id",
                    "message_id",
                    "discord_message_id",
                    "discord_attachment_id",
                    "filename",
                    "content_type",
                    "size",
                    "width",
                    "height",
                    "url",
                    "proxy_url",
                    "sha256",
                    "stored_path",
                    "state",
                    "error",
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                    "updated_at",
                    "stored_at"
                )
            SELECT "id",
                "message_id",
                "discord_message_id",
                "discord_attachment_id",
                "filename",
                "content_type",
                "size",
                "width",
                "height",
                "url",
                "proxy_url",
                "sha256",
                "stored_path",
                "state",
                "error",
                "attempts",
                "next_attempt_at",
                "created_at",
                "updated_at",
                "stored_at"
            FROM "attachments"
        `);
        await queryRunner.query(`
            DROP TABLE "attachments"
        `);
        await queryRunner.query(`
            ALTER TABLE "temporary_attachments"
                RENAME TO "attachments"
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_attachments_sha256" ON "attachments" ("sha256")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_attachments_state_created" ON "attachments" ("state", "created_at")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_attachments_message_attachment" ON "attachments" ("message_id", "discord_attachment_id")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "uq_attachments_message_attachment"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_attachments_state_created"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_attachments_sha256"
        `);
        await queryRunner.query(`
            ALTER TABLE "attachments"
                RENAME TO "temporary_attachments"
        `);
        await queryRunner.query(`
            CREATE TABLE "attachments" (
                "id" varchar PRIMARY KEY NOT NULL,
                "message_id" varchar NOT NULL,
                "discord_message_id" varchar(20) NOT NULL,
                "discord_attachment_id" varchar(20) NOT NULL,
                "filename" text NOT NULL,
                "content_type" varchar(255),
                "size" integer NOT NULL,
                "width" integer,
                "height" integer,
                "url" text NOT NULL,
                "proxy_url" text,
                "sha256" varchar(64),
                "stored_path" varchar(255),
                "state" varchar(16) NOT NULL,
                "error" text,
                "attempts" integer NOT NULL DEFAULT (0),
                "next_attempt_at" datetime,
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL,
                "stored_at" datetime
            )
        `);
        await queryRunner.query(`
            INSERT INTO "attachments"(
                    "id",
                    "message_id",
                    "discord_message_id",
                    "discord_attachment_id",
                    "filename",
                    "content_type",
                    "size",
                    "width",
                    "height",
                    "url",
                    "proxy_url",
                    "sha256",
                    "stored_path",
                    "state",
                    "error",
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                    "updated_at",
                    "stored_at"
                )
            SELECT "id",
                "message_id",
                "discord_message_id",
                "discord_attachment_id",
                "filename",
                "content_type",
                "size",
                "width",
                "height",
                "url",
                "proxy_url",
                "sha256",
                "stored_path",
                "state",
                "error",
                "attempts",
                "next_attempt_at",
                "created_at",
                "updated_at",
                "stored_at"
            FROM "temporary_attachments"
        `);
        await queryRunner.query(`
            DROP TABLE "temporary_attachments"
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_attachments_message_attachment" ON "attachments" ("message_id", "discord_attachment_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_attachments_state_created" ON "attachments" ("state", "created_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_attachments_sha256" ON "attachments" ("sha256")
        `);
        await queryRunner.query(`
            DROP INDEX "uq_attachments_message_attachment"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_attachments_state_created"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_attachments_sha256"
        `);
        await queryRunner.query(`
            DROP TABLE "attachments"
        `);
    }

}
