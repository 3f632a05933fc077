import { MigrationInterface, QueryRunner } from "typeorm";

export class DropSessionsChannelIndex1795259867842 implements MigrationInterface {
    name = 'DropSessionsChannelIndex1795259867842'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."idx_sessions_channel"
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE INDEX "idx_sessions_channel" ON "sessions" ("channel_id", "updated_at")
        `);
    }

}
