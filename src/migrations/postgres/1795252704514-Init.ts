import { MigrationInterface, QueryRunner } from "typeorm";

export class Init1795252704514 implements MigrationInterface {
    name = 'Init1795252704514'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "bot_status" (
                "id" character varying(64) NOT NULL,
                "status" character varying(16) NOT NULL DEFAULT 'online',
                "activity_type" character varying(16) NOT NULL DEFAULT 'playing',
                "activity" text,
                "url" text,
                "is_active" boolean NOT NULL DEFAULT false,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_2e740a4d7c102439f9b577fd4c5" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_bot_status_active" ON "bot_status" ("is_active")
        `);
        await queryRunner.query(`
            CREATE TABLE "logs" (
                "id" uuid NOT NULL,
                "level" character varying(8) NOT NULL,
                "source" character varying(64) NOT NULL,
                "message" text NOT NULL,
                "metadata" json,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_fb1b805f2f7795de79fa69340ba" PRIMARY KEY ("id")
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
                "id" uuid NOT NULL,
                "channel" character varying(32) NOT NULL,
                "channel_user_id" character varying(64) NOT NULL,
                "username" character varying(100),
                "display_name" character varying(100),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_users_channel_user" ON "users" ("channel", "channel_user_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "sessions" (
                "id" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                "channel_id" character varying(20) NOT NULL,
                "guild_id" character varying(20),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "ended_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id")
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
                "id" uuid NOT NULL,
                "session_id" uuid NOT NULL,
                "role" character varying(16) NOT NULL,
                "content" text NOT NULL,
                "content_escaped" boolean NOT NULL DEFAULT false,
                "discord_message_id" character varying(20),
                "channel_id" character varying(20) NOT NULL,
                "guild_id" character varying(20),
                "reply_to_id" character varying(20),
                "metadata" json,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "edited_at" TIMESTAMP WITH TIME ZONE,
                "deleted_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_18325f38ae6de43878487eff986" PRIMARY KEY ("id")
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
                "id" uuid NOT NULL,
                "skill" character varying(64) NOT NULL,
                "cron_expression" character varying(120) NOT NULL,
                "input" text NOT NULL DEFAULT '',
                "enabled" boolean NOT NULL DEFAULT true,
                "channel_id" character varying(20) NOT NULL,
                "guild_id" character varying(20),
                "timezone" character varying(64) NOT NULL DEFAULT 'UTC',
                "created_by" character varying(20),
                "last_run_at" TIMESTAMP WITH TIME ZONE,
                "next_run_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_7e33fc2ea755a5765e3564e66dd" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_schedules_due" ON "schedules" ("enabled", "next_run_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "skills" (
                "id" uuid NOT NULL,
                "name" character varying(64) NOT NULL,
                "version" character varying(32) NOT NULL,
                "location" text NOT NULL,
                "permissions" json NOT NULL,
                "metadata" json NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "removed_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "UQ_81f05095507fd84aa2769b4a522" UNIQUE ("name"),
                CONSTRAINT "PK_0d3212120f4ecedf90864d7e298" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "tasks" (
                "id" uuid NOT NULL,
                "session_id" uuid,
                "schedule_id" uuid,
                "skill" character varying(64) NOT NULL,
                "input" text NOT NULL,
                "output" text,
                "status" character varying(16) NOT NULL DEFAULT 'pending',
                "error" text,
                "channel_id" character varying(20),
                "run_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_8d12ff38fcc62aaba2cab748772" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_tasks_session_created" ON "tasks" ("session_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_tasks_status" ON "tasks" ("status", "run_at")
        `);
        await queryRunner.query(`
            ALTER TABLE "sessions"
            ADD CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "messages"
            ADD CONSTRAINT "FK_ff71b7760071ed9caba7f02beb4" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "tasks"
            ADD CONSTRAINT "FK_28da825fb5ee32ac2ea5ed43d9f" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "tasks"
            ADD CONSTRAINT "FK_83b2a42cedf597077bc2ab5cb6c" FOREIGN KEY ("schedule_id") REFERENCES "schedules"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "tasks" DROP CONSTRAINT "FK_83b2a42cedf597077bc2ab5cb6c"
        `);
        await queryRunner.query(`
            ALTER TABLE "tasks" DROP CONSTRAINT "FK_28da825fb5ee32ac2ea5ed43d9f"
        `);
        await queryRunner.query(`
            ALTER TABLE "messages" DROP CONSTRAINT "FK_ff71b7760071ed9caba7f02beb4"
        `);
        await queryRunner.query(`
            ALTER TABLE "sessions" DROP CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_tasks_status"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_tasks_session_created"
        `);
        await queryRunner.query(`
            DROP TABLE "tasks"
        `);
        await queryRunner.query(`
            DROP TABLE "skills"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_schedules_due"
        `);
        await queryRunner.query(`
            DROP TABLE "schedules"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_messages_channel_created"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_messages_session_created"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_messages_discord_id"
        `);
        await queryRunner.query(`
            DROP TABLE "messages"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_sessions_user_channel_open"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_sessions_channel"
        `);
        await queryRunner.query(`
            DROP TABLE "sessions"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_users_channel_user"
        `);
        await queryRunner.query(`
            DROP TABLE "users"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_logs_created"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_logs_level_created"
        `);
        await queryRunner.query(`
            DROP TABLE "logs"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_bot_status_active"
        `);
        await queryRunner.query(`
            DROP TABLE "bot_status"
        `);
    }

}
