import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { postgresReachable } from '../../src/database/postgres-admin';

/**
 * A throwaway PostgreSQL cluster on a port of its own, for tests and benchmarks that stop or
 * crash the server (never the shared one on 5432). Debian's pg_createcluster / pg_ctlcluster;
 * trust auth for user postgres on 127.0.0.1.
 */
export class PgCluster {
  private constructor(
    readonly version: string,
    readonly name: string,
    readonly port: number,
  ) {}

  /** Whether this machine can make one (Debian's postgresql-common, run as root). */
  static available(): boolean {
    return existsSync('/usr/bin/pg_createcluster') && existsSync('/etc/postgresql') && process.getuid?.() === 0;
  }

  static async create(label: string): Promise<PgCluster> {
    const version = readdirSync('/etc/postgresql').sort().at(-1)!;
    const port = await freePort();
    const name = `chronicle_${label}_${process.pid}_${port}`;
    run('pg_createcluster', [version, name, '-p', String(port), '--', '--auth=trust']);
    const c = new PgCluster(version, name, port);
    await c.start();
    return c;
  }

  /** A database URL on this cluster. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server; resolves as soon as it accepts connections (pg_ctlcluster itself returns later). */
  async start(): Promise<void> {
    const child = spawn('pg_ctlcluster', ['--skip-systemctl-redirect', this.version, this.name, 'start'], { stdio: 'ignore' });
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    await Promise.race([this.waitUntilReady(), exited.then((code) => (code === 0 ? this.waitUntilReady() : Promise.reject(new Error(`pg_ctlcluster start ${this.name} exited ${code}`))))]);
    await exited;
  }

  /** fast: a clean shutdown (connections refused at once); immediate: a crash (no checkpoint, recovery at the next start). */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    run('pg_ctlcluster', ['--skip-systemctl-redirect', this.version, this.name, 'stop', '-m', mode]);
  }

  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await postgresReachable(this.url()))) {
      if (Date.now() > end) throw new Error(`cluster ${this.name} did not accept connections within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  drop(): void {
    run('pg_dropcluster', ['--stop', this.version, this.name]);
  }
}

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
