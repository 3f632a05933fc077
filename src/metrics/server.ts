import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics';

export interface Readiness {
  ok: boolean;
  /** Why not, one line each (the 503's body). */
  reasons: string[];
}

/**
 * The operator's HTTP listener (METRICS_PORT; off by default; bound to METRICS_HOST, 127.0.0.1
 * unless told otherwise): `/healthz` 200 while the process runs, `/readyz` 200 when ready (else
 * 503 with the reasons), `/metrics` in Prometheus text format. GET and HEAD only.
 */
export class HealthServer {
  private server: Server | null = null;

  constructor(
    private readonly metrics: Metrics,
    private readonly readiness: () => Promise<Readiness>,
  ) {}

  async listen(port: number, host: string): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
      if (path === '/healthz') return send(200, 'ok\n');
      if (path === '/readyz') {
        return void this.readiness().then(
          (r) => send(r.ok ? 200 : 503, r.ok ? 'ready\n' : `not ready: ${r.reasons.join('; ')}\n`),
          (e: Error) => send(503, `not ready: ${e.message}\n`),
        );
      }
      if (path === '/metrics') {
        return void this.metrics.text().then(
          (text) => send(200, text, this.metrics.contentType),
          (e: Error) => send(500, `metrics failed: ${e.message}\n`),
        );
      }
      send(404, 'not found: try /healthz, /readyz or /metrics\n');
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
