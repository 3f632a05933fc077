import { MigrationInterface, QueryRunner } from "typeorm";

export class EditHistoryAndReactions1796316274790 implements MigrationInterface {
    name = 'EditHistoryAndReactions1796316274790'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "message_revisions" (
                "id" uuid NOT NULL,
                "message_id" uuid NOT NULL,
                "content" text NOT NULL,
                "content_escaped" boolean NOT NULL DEFAULT false,
                "edited_at" TIMESTAMP WITH TIME ZONE,
                "replaced_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_9bc2c43904342e931b06a584848" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_message_revisions_message_replaced" ON "message_revisions" ("message_id", "replaced_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "reactions" (
                "id" uuid NOT NULL,
                "message_id" uuid NOT NULL,
                "emoji" character varying(100) NOT NULL,
                "emoji_id" character varying(20),
                "emoji_name" character varying(100),
                "animated" boolean NOT NULL DEFAULT false,
                "discord_user_id" character varying(20) NOT NULL,
                "burst" boolean NOT NULL DEFAULT false,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_0b213d460d0c473bc2fb6ee27f3" PRIMARY KEY ("id")
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
            ALTER TABLE "message_revisions"
            ADD CONSTRAINT "FK_45f41ee63d44626b0a7c23a14d3" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "reactions"
            ADD CONSTRAINT "FK_2ee227780745018b358237c0ad7" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "reactions" DROP CONSTRAINT "FK_2ee227780745018b358237c0ad7"
        `);
        await queryRunner.query(`
            ALTER TABLE "message_revisions" DROP CONSTRAINT "FK_45f41ee63d44626b0a7c23a14d3"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_reactions_message_emoji_user"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_reactions_user"
        `);
        await queryRunner.query(`
            DROP TABLE "reactions"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_message_revisions_message_replaced"
        `);
        await queryRunner.query(`
            DROP TABLE "message_revisions"
        `);
    }

}
