import type { TestProject } from 'vitest/node';
import { postgresAdminUrl, postgresReachable } from '../src/database/postgres-admin';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: boolean;
  }
}

/**
 * Decides once whether the PostgreSQL half runs. Unreachable PostgreSQL: skipped with a message,
 * unless CI is set, where the run fails.
 */
export default async function setup(project: TestProject) {
  const ok = await postgresReachable();
  if (!ok) {
    const where = new URL(postgresAdminUrl()).host;
    if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${where} (POSTGRES_ADMIN_URL) and CI requires it`);
    console.warn(`\n[chronicle] PostgreSQL is not reachable at ${where}: running the SQLite half only; PostgreSQL tests are skipped.\n`);
  }
  project.provide('postgres', ok);
}
