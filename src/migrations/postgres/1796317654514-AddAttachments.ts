import { MigrationInterface, QueryRunner } from "typeorm";

export class AddAttachments1796317654514 implements MigrationInterface {
    name = 'AddAttachments1796317654514'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "attachments" (
                "id" uuid NOT NULL,
                "message_id" uuid NOT NULL,
                "discord_message_id" character varying(20) NOT NULL,
                "discord_attachment_id" character varying(20) NOT NULL,
                "filename" text NOT NULL,
                "content_type" character varying(255),
                "size" integer NOT NULL,
                "width" integer,
                "height" integer,
                "url" text NOT NULL,
                "proxy_url" text,
                "sha256" character varying(64),
                "stored_path" character varying(255),
                "state" character varying(16) NOT NULL,
                "error" text,
                "attempts" integer NOT NULL DEFAULT '0',
                "next_attempt_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "stored_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_5e1f050bcff31e3084a1d662412" PRIMARY KEY ("id")
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
            ALTER TABLE "attachments"
            ADD CONSTRAINT "FK_623e10eec51ada466c5038979e3" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "attachments" DROP CONSTRAINT "FK_623e10eec51ada466c5038979e3"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_attachments_message_attachment"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_attachments_state_created"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."idx_attachments_sha256"
        `);
        await queryRunner.query(`
            DROP TABLE "attachments"
        `);
    }

}
