/**
 * npm run migration:create -- NAME
 * An empty, hand-written migration in both driver folders (same timestamp), for what generation
 * cannot express (triggers, data fixes). Fill in up() and down() for each driver.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DRIVERS, migrationName, migrationsDir, writeMigrationIndex } from './lib/migrations';

const name = migrationName(process.argv.slice(2), 'migration:create');
const timestamp = Date.now();
for (const driver of DRIVERS) {
  const file = path.join(migrationsDir(driver), `${timestamp}-${name}.ts`);
  writeFileSync(
    file,
    `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${name}${timestamp} implements MigrationInterface {
  name = '${name}${timestamp}';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // ${driver}: write the change here
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // ${driver}: undo it here
  }
}
`,
  );
  writeMigrationIndex(driver);
  console.log(`created ${path.relative(process.cwd(), file)}`);
}
