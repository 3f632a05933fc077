import { MigrationInterface, QueryRunner } from "typeorm";

export class PollVotes1796419691450 implements MigrationInterface {
    name = 'PollVotes1796419691450'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "poll_votes" (
                "id" varchar PRIMARY KEY NOT NULL,
                "message_id" varchar NOT NULL,
                "answer_id" integer NOT NULL,
                "discord_user_id" varchar(20) NOT NULL,
                "created_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_poll_votes_user" ON "poll_votes" ("discord_user_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_poll_votes_message_answer_user" ON "poll_votes" ("message_id", "answer_id", "discord_user_id")
        `);
        await queryRunner.query(`
            DROP INDEX "idx_poll_votes_user"
        `);
        await queryRunner.query(`
            DROP INDEX "uq_poll_votes_message_answer_user"
        `);
        await queryRunner.query(`
            CREATE TABLE "temporary_poll_votes" (
                "id" varchar PRIMARY KEY NOT NULL,
                "message_id" varchar NOT NULL,
                "answer_id" integer NOT NULL,
                "discord_user_id" varchar(20) NOT NULL,
                "created_at" datetime NOT NULL,
                CONSTRAINT "FK_42ee699a63502fea8f258bd60ed" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
            )
        `);
        await queryRunner.query(`
            INSERT INTO "temporary_poll_votes"(
                    "id",
                    "message_id",
                    "answer_id",
                    "discord_user_id",
                    "created_at"
                )
            SELECT "id",
                "message_id",
                "answer_id",
                "discord_user_id",
                "created_at"
            FROM "poll_votes"
        `);
        await queryRunner.query(`
            DROP TABLE "poll_votes"
        `);
        await queryRunner.query(`
            ALTER TABLE "temporary_poll_votes"
                RENAME TO "poll_votes"
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_poll_votes_user" ON "poll_votes" ("discord_user_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_poll_votes_message_answer_user" ON "poll_votes" ("message_id", "answer_id", "discord_user_id")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "uq_poll_votes_message_answer_user"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_poll_votes_user"
        `);
        await queryRunner.query(`
            ALTER TABLE "poll_votes"
                RENAME TO "temporary_poll_votes"
        `);
        await queryRunner.query(`
            CREATE TABLE "poll_votes" (
                "id" varchar PRIMARY KEY NOT NULL,
                "message_id" varchar NOT NULL,
                "answer_id" integer NOT NULL,
                "discord_user_id" varchar(20) NOT NULL,
                "created_at" datetime NOT NULL
            )
        `);
        await queryRunner.query(`
            INSERT INTO "poll_votes"(
                    "id",
                    "message_id",
                    "answer_id",
                    "discord_user_id",
                    "created_at"
                )
            SELECT "id",
                "message_id",
                "answer_id",
                "discord_user_id",
                "created_at"
            FROM "temporary_poll_votes"
        `);
        await queryRunner.query(`
            DROP TABLE "temporary_poll_votes"
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_poll_votes_message_answer_user" ON "poll_votes" ("message_id", "answer_id", "discord_user_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_poll_votes_user" ON "poll_votes" ("discord_user_id")
        `);
        await queryRunner.query(`
            DROP INDEX "uq_poll_votes_message_answer_user"
        `);
        await queryRunner.query(`
            DROP INDEX "idx_poll_votes_user"
        `);
        await queryRunner.query(`
            DROP TABLE "poll_votes"
        `);
    }

}
