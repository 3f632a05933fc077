import { MigrationInterface, QueryRunner } from "typeorm";

export class Init1795252704514 implements MigrationInterface {
    name = 'Init1795252704514'

    public async up(queryRunner: QueryRunner): Promise<void> {
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
            CREATE INDEX "idx_bot_status_active" ON "bot_status" ("is_active")
        `);
        await queryRunner.query(`
            CREATE TABLE "logs" (
                "id" varchar PRIMARY KEY NOT NULL,
                "level" varchar(8) NOT NULL,
                "source" varchar(64) NOT NULL,
                "message" text NOT NULL,
                "metadata" json,
                "created_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_logs_level_created" ON "logs" ("level", "created_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_logs_created" ON "logs" ("created_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "users" (
                "id" varchar PRIMARY KEY NOT NULL,
                "channel" varchar(32) NOT NULL,
                "channel_user_id" varchar(64) NOT NULL,
                "username" varchar(100),
                "display_name" varchar(100),
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_users_channel_user" ON "users" ("channel", "channel_user_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "sessions" (
                "id" varchar PRIMARY KEY NOT NULL,
                "user_id" varchar NOT NULL,
                "channel_id" varchar(20) NOT NULL,
                "guild_id" varchar(20),
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL,
                "ended_at" datetime
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_sessions_channel" ON "sessions" ("channel_id", "updated_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_sessions_user_channel_open" ON "sessions" ("user_id", "channel_id", "ended_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "messages" (
                "id" varchar PRIMARY KEY NOT NULL,
                "session_id" varchar NOT NULL,
                "role" varchar(16) NOT NULL,
                "content" text NOT NULL,
                "content_escaped" boolean NOT NULL DEFAULT (0),
                "discord_message_id" varchar(20),
                "channel_id" varchar(20) NOT NULL,
                "guild_id" varchar(20),
                "reply_to_id" varchar(20),
                "metadata" json,
                "created_at" datetime NOT NULL,
                "edited_at" datetime,
                "deleted_at" datetime
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_messages_discord_id" ON "messages" ("discord_message_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_messages_session_created" ON "messages" ("session_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_messages_channel_created" ON "messages" ("channel_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "schedules" (
                "id" varchar PRIMARY KEY NOT NULL,
                "skill" varchar(64) NOT NULL,
                "cron_expression" varchar(120) NOT NULL,
                "input" text NOT NULL DEFAULT (''),
                "enabled" boolean NOT NULL DEFAULT (1),
                "channel_id" varchar(20) NOT NULL,
                "guild_id" varchar(20),
                "timezone" varchar(64) NOT NULL DEFAULT ('UTC'),
                "created_by" varchar(20),
                "last_run_at" datetime,
                "next_run_at" datetime,
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_schedules_due" ON "schedules" ("enabled", "next_run_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "skills" (
                "id" varchar PRIMARY KEY NOT NULL,
                "name" varchar(64) NOT NULL,
                "version" varchar(32) NOT NULL,
                "location" text NOT NULL,
                "permissions" json NOT NULL,
                "metadata" json NOT NULL,
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL,
                "removed_at" datetime,
                CONSTRAINT "UQ_81f05095507fd84aa2769b4a522" UNIQUE ("name")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "tasks" (
                "id" varchar PRIMARY KEY NOT NULL,
                "session_id" varchar,
                "schedule_id" varchar,
                "skill" varchar(64) NOT NULL,
                "input" text NOT NULL,
                "output" text,
                "status" varchar(16) NOT NULL DEFAULT ('pending'),
                "error" text,
                "channel_id" varchar(20),
                "run_at" datetime,
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_tasks_session_created" ON "tasks" ("session_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_tasks_status" ON "tasks" ("status", "run_at")
        `);
        await queryRunner.query(`
            DROP INDEX "idx_sessions_channel"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_sessions_user_channel_open"
        `);
        await queryRunner.query(`
            CREATE TABLE "temporary_sessions" (
                "id" varchar PRIMARY KEY NOT NULL,
                "user_id" varchar NOT NULL,
                "channel_id" varchar(20) NOT NULL,
                "guild_id" varchar(20),
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL,
                "ended_at" datetime,
                CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
        await queryRunner.query(`
            INSERT INTO "temporary_sessions"(
                    "id",
                    "user_id",
                    "channel_id",
                    "guild_id",
                    "created_at",
                    "updated_at",
                    "ended_at"
                )
            SELECT "id",
                "user_id",
                "channel_id",
                "guild_id",
                "created_at",
                "updated_at",
                "ended_at"
            FROM "sessions"
        `);
        await queryRunner.query(`
            DROP TABLE "sessions"
        `);
        await queryRunner.query(`
            ALTER TABLE "temporary_sessions"
                RENAME TO "sessions"
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_sessions_channel" ON "sessions" ("channel_id", "updated_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_sessions_user_channel_open" ON "sessions" ("user_id", "channel_id", "ended_at")
        `);
        await queryRunner.query(`
            DROP INDEX "uq_messages_discord_id"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_messages_session_created"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_messages_channel_created"
        `);
        await queryRunner.query(`
            CREATE TABLE "temporary_messages" (
                "id" varchar PRIMARY KEY NOT NULL,
                "session_id" varchar NOT NULL,
                "role" varchar(16) NOT NULL,
                "content" text NOT NULL,
                "content_escaped" boolean NOT NULL DEFAULT (0),
                "discord_message_id" varchar(20),
                "channel_id" varchar(20) NOT NULL,
                "guild_id" varchar(20),
                "reply_to_id" varchar(20),
                "metadata" json,
                "created_at" datetime NOT NULL,
                "edited_at" datetime,
                "deleted_at" datetime,
                CONSTRAINT "FK_ff71b7760071ed9caba7f02beb4" FOREIGN KEY ("session_id") REFERENCES "sessions" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
        await queryRunner.query(`
            INSERT INTO "temporary_messages"(
                    "id",
                    "session_id",
                    "role",
                    "content",
                    "content_escaped",
                    "discord_message_id",
                    "channel_id",
                    "guild_id",
                    "reply_to_id",
                    "metadata",
                    "created_at",
                    "edited_at",
                    "deleted_at"
                )
            SELECT "id",
                "session_id",
                "role",
                "content",
                "content_escaped",
                "discord_message_id",
                "channel_id",
                "guild_id",
                "reply_to_id",
                "metadata",
                "created_at",
                "edited_at",
                "deleted_at"
            FROM "messages"
        `);
        await queryRunner.query(`
            DROP TABLE "messages"
        `);
        await queryRunner.query(`
            ALTER TABLE "temporary_messages"
                RENAME TO "messages"
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_messages_discord_id" ON "messages" ("discord_message_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_messages_session_created" ON "messages" ("session_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_messages_channel_created" ON "messages" ("channel_id", "created_at")
        `);
        await queryRunner.query(`
            DROP INDEX "idx_tasks_session_created"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_tasks_status"
        `);
        await queryRunner.query(`
            CREATE TABLE "temporary_tasks" (
                "id" varchar PRIMARY KEY NOT NULL,
                "session_id" varchar,
                "schedule_id" varchar,
                "skill" varchar(64) NOT NULL,
                "input" text NOT NULL,
                "output" text,
                "status" varchar(16) NOT NULL DEFAULT ('pending'),
                "error" text,
                "channel_id" varchar(20),
                "run_at" datetime,
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL,
                CONSTRAINT "FK_28da825fb5ee32ac2ea5ed43d9f" FOREIGN KEY ("session_id") REFERENCES "sessions" ("id") ON DELETE CASCADE ON UPDATE NO ACTION,
                CONSTRAINT "FK_83b2a42cedf597077bc2ab5cb6c" FOREIGN KEY ("schedule_id") REFERENCES "schedules" ("id") ON DELETE
                SET NULL ON UPDATE NO ACTION
            )
        `);
        await queryRunner.query(`
            INSERT INTO "temporary_tasks"(
                    "id",
                    "session_id",
                    "schedule_id",
                    "skill",
                    "input",
                    "output",
                    "status",
                    "error",
                    "channel_id",
                    "run_at",
                    "created_at",
                    "updated_at"
                )
            SELECT "id",
                "session_id",
                "schedule_id",
                "skill",
                "input",
                "output",
                "status",
                "error",
                "channel_id",
                "run_at",
                "created_at",
                "updated_at"
            FROM "tasks"
        `);
        await queryRunner.query(`
            DROP TABLE "tasks"
        `);
        await queryRunner.query(`
            ALTER TABLE "temporary_tasks"
                RENAME TO "tasks"
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_tasks_session_created" ON "tasks" ("session_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_tasks_status" ON "tasks" ("status", "run_at")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "idx_tasks_status"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_tasks_session_created"
        `);
        await queryRunner.query(`
            ALTER TABLE "tasks"
                RENAME TO "temporary_tasks"
        `);
        await queryRunner.query(`
            CREATE TABLE "tasks" (
                "id" varchar PRIMARY KEY NOT NULL,
                "session_id" varchar,
                "schedule_id" varchar,
                "skill" varchar(64) NOT NULL,
                "input" text NOT NULL,
                "output" text,
                "status" varchar(16) NOT NULL DEFAULT ('pending'),
                "error" text,
                "channel_id" varchar(20),
                "run_at" datetime,
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            INSERT INTO "tasks"(
                    "id",
                    "session_id",
                    "schedule_id",
                    "skill",
                    "input",
                    "output",
                    "status",
                    "error",
                    "channel_id",
                    "run_at",
                    "created_at",
                    "updated_at"
                )
            SELECT "id",
                "session_id",
                "schedule_id",
                "skill",
                "input",
                "output",
                "status",
                "error",
                "channel_id",
                "run_at",
                "created_at",
                "updated_at"
            FROM "temporary_tasks"
        `);
        await queryRunner.query(`
            DROP TABLE "temporary_tasks"
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_tasks_status" ON "tasks" ("status", "run_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_tasks_session_created" ON "tasks" ("session_id", "created_at")
        `);
        await queryRunner.query(`
            DROP INDEX "idx_messages_channel_created"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_messages_session_created"
        `);
        await queryRunner.query(`
            DROP INDEX "uq_messages_discord_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "messages"
                RENAME TO "temporary_messages"
        `);
        await queryRunner.query(`
            CREATE TABLE "messages" (
                "id" varchar PRIMARY KEY NOT NULL,
                "session_id" varchar NOT NULL,
                "role" varchar(16) NOT NULL,
                "content" text NOT NULL,
                "content_escaped" boolean NOT NULL DEFAULT (0),
                "discord_message_id" varchar(20),
                "channel_id" varchar(20) NOT NULL,
                "guild_id" varchar(20),
                "reply_to_id" varchar(20),
                "metadata" json,
                "created_at" datetime NOT NULL,
                "edited_at" datetime,
                "deleted_at" datetime
            )
        `);
        await queryRunner.query(`
            INSERT INTO "messages"(
                    "id",
                    "session_id",
                    "role",
                    "content",
                    "content_escaped",
                    "discord_message_id",
                    "channel_id",
                    "guild_id",
                    "reply_to_id",
                    "metadata",
                    "created_at",
                    "edited_at",
                    "deleted_at"
                )
            SELECT "id",
                "session_id",
                "role",
                "content",
                "content_escaped",
                "discord_message_id",
                "channel_id",
                "guild_id",
                "reply_to_id",
                "metadata",
                "created_at",
                "edited_at",
                "deleted_at"
            FROM "temporary_messages"
        `);
        await queryRunner.query(`
            DROP TABLE "temporary_messages"
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_messages_channel_created" ON "messages" ("channel_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_messages_session_created" ON "messages" ("session_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_messages_discord_id" ON "messages" ("discord_message_id")
        `);
        await queryRunner.query(`
            DROP INDEX "idx_sessions_user_channel_open"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_sessions_channel"
        `);
        await queryRunner.query(`
            ALTER TABLE "sessions"
                RENAME TO "temporary_sessions"
        `);
        await queryRunner.query(`
            CREATE TABLE "sessions" (
                "id" varchar PRIMARY KEY NOT NULL,
                "user_id" varchar NOT NULL,
                "channel_id" varchar(20) NOT NULL,
                "guild_id" varchar(20),
                "created_at" datetime NOT NULL,
                "updated_at" datetime NOT NULL,
                "ended_at" datetime
            )
        `);
        await queryRunner.query(`
            INSERT INTO "sessions"(
                    "id",
                    "user_id",
                    "channel_id",
                    "guild_id",
                    "created_at",
                    "updated_at",
                    "ended_at"
                )
            SELECT "id",
                "user_id",
                "channel_id",
                "guild_id",
                "created_at",
                "updated_at",
                "ended_at"
            FROM "temporary_sessions"
        `);
        await queryRunner.query(`
            DROP TABLE "temporary_sessions"
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_sessions_user_channel_open" ON "sessions" ("user_id", "channel_id", "ended_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_sessions_channel" ON "sessions" ("channel_id", "updated_at")
        `);
        await queryRunner.query(`
            DROP INDEX "idx_tasks_status"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_tasks_session_created"
        `);
        await queryRunner.query(`
            DROP TABLE "tasks"
        `);
        await queryRunner.query(`
            DROP TABLE "skills"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_schedules_due"
        `);
        await queryRunner.query(`
            DROP TABLE "schedules"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_messages_channel_created"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_messages_session_created"
        `);
        await queryRunner.query(`
            DROP INDEX "uq_messages_discord_id"
        `);
        await queryRunner.query(`
            DROP TABLE "messages"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_sessions_user_channel_open"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_sessions_channel"
        `);
        await queryRunner.query(`
            DROP TABLE "sessions"
        `);
        await queryRunner.query(`
            DROP INDEX "uq_users_channel_user"
        `);
        await queryRunner.query(`
            DROP TABLE "users"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_logs_created"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_logs_level_created"
        `);
        await queryRunner.query(`
            DROP TABLE "logs"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_bot_status_active"
        `);
        await queryRunner.query(`
            DROP TABLE "bot_status"
        `);
    }

}
