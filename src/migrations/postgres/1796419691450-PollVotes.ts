import { MigrationInterface, QueryRunner } from "typeorm";

export class PollVotes1796419691450 implements MigrationInterface {
    name = 'PollVotes1796419691450'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "poll_votes" (
                "id" uuid NOT NULL,
                "message_id" uuid NOT NULL,
                "answer_id" integer NOT NULL,
                "discord_user_id" character varying(20) NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_b94b2749fdb5f5dd3836b8f907a" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "idx_poll_votes_user" ON "poll_votes" ("discord_user_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_poll_votes_message_answer_user" ON "poll_votes" ("message_id", "answer_id", "discord_user_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "poll_votes"
            ADD CONSTRAINT "FK_42ee699a63502fea8f258bd60ed" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "poll_votes" DROP CONSTRAINT "FK_42ee699a63502fea8f258bd60ed"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_poll_votes_message_answer_user"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_poll_votes_user"
        `);
        await queryRunner.query(`
            DROP TABLE "poll_votes"
        `);
    }

}
