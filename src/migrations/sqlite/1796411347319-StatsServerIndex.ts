import { MigrationInterface, QueryRunner } from "typeorm";

export class StatsServerIndex1796411347319 implements MigrationInterface {
    name = 'StatsServerIndex1796411347319'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE INDEX "idx_messages_guild_created_user" ON "messages" ("guild_id", "created_at", "session_id")
            WHERE "role" = 'user'
                AND "deleted_at" IS NULL
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "idx_messages_guild_created_user"
        `);
    }

}
