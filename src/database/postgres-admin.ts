import { randomBytes } from 'node:crypto';
import { Client, type ClientConfig } from 'pg';

/**
 * Creating and dropping throwaway PostgreSQL databases: for tests, `migration:check`,
 * `migration:generate` and `db:setup`. The admin URL is POSTGRES_ADMIN_URL (default: the local
 * server with trust auth, `postgres://root@127.0.0.1:5432/test`).
 */
export const DEFAULT_POSTGRES_ADMIN_URL = 'postgres://root@127.0.0.1:5432/test';

export function postgresAdminUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.POSTGRES_ADMIN_URL?.trim() || DEFAULT_POSTGRES_ADMIN_URL;
}

/**
 * A pg client for one short job. Its 'error' event is listened to: a server that goes away while
 * the client waits (a stop, a crash, a restart) rejects the pending call, which the caller sees, and
 * also emits 'error', which with no listener would throw from the event emitter and end the process.
 */
export function pgClient(config: ClientConfig): Client {
  const client = new Client(config);
  client.on('error', () => undefined);
  return client;
}

export async function postgresReachable(adminUrl = postgresAdminUrl()): Promise<boolean> {
  const client = pgClient({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `postgres://…/test` → same server, database `name`. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createDatabase(name: string, adminUrl = postgresAdminUrl(), ifMissing = false): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a safe database name: ${name}`);
  const client = pgClient({ connectionString: adminUrl });
  await client.connect();
  try {
    if (ifMissing) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount) return;
    }
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(name: string, adminUrl = postgresAdminUrl()): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a safe database name: ${name}`);
  const client = pgClient({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A fresh, uniquely named database; `drop()` removes it. */
export async function createTempDatabase(prefix: string, adminUrl = postgresAdminUrl()): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  await createDatabase(name, adminUrl);
  return { name, url: withDatabase(adminUrl, name), drop: () => dropDatabase(name, adminUrl) };
}
