/** HTTP server: /api/v10 REST pipeline (route → auth → rate limit → body → validation → handler), attachment downloads, gateway upgrades. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Core } from './core';
import { channelRoutes } from './rest/channels';
import { commandRoutes } from './rest/commands';
import { interactionRoutes } from './rest/interactions';
import { metaRoutes } from './rest/meta';
import { reactionRoutes } from './rest/reactions';
import { threadRoutes } from './rest/threads';
import { ApiError, Router, majorParameter, type RestCtx, type UploadedFile } from './rest/router';
import { validateBody } from './validation';

const MAX_BODY = 26 * 1024 * 1024;

export function buildRouter(): Router {
  return new Router().add(...metaRoutes, ...commandRoutes, ...channelRoutes, ...reactionRoutes, ...threadRoutes, ...interactionRoutes);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, { message: 'Request entity too large', code: 40005 }, 'invalid_body'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Parses JSON or multipart/form-data (payload_json + files[n]) with the platform's own multipart parser. */
async function parseBody(req: IncomingMessage, raw: Buffer): Promise<{ body: unknown; files: UploadedFile[] }> {
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { body: undefined, files: [] };
  const invalidJson = () => new ApiError(400, { message: 'The request body contains invalid JSON.', code: 50109 }, 'invalid_json');
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    let body: unknown = {};
    const files: UploadedFile[] = [];
    for (const [field, value] of form.entries()) {
      if (field === 'payload_json' && typeof value === 'string') {
        try {
          body = JSON.parse(value);
        } catch {
          throw invalidJson();
        }
      } else if (typeof value !== 'string') {
        const m = /^files\[(\d+)\]$/.exec(field) ?? /^file(\d*)$/.exec(field);
        const index = m ? (m[1] === '' ? 0 : Number(m[1])) : null;
        files.push({ field, index, filename: value.name || 'unknown', contentType: value.type || 'application/octet-stream', data: Buffer.from(await value.arrayBuffer()) });
      } else if (body && typeof body === 'object') (body as Record<string, unknown>)[field] = value;
    }
    return { body, files };
  }
  try {
    return { body: JSON.parse(raw.toString('utf8')), files: [] };
  } catch {
    throw invalidJson();
  }
}

export class HttpServer {
  readonly server: Server;
  private readonly router = buildRouter();

  constructor(private readonly core: Core) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    this.server.on('upgrade', (req, socket, head) => core.gateway.handleUpgrade(req, socket, head));
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.write(res, status, status === 204 || body === undefined ? undefined : JSON.stringify(body), headers);
  }

  private write(res: ServerResponse, status: number, json: string | undefined, headers: Record<string, string> = {}): void {
    if (json === undefined) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const core = this.core;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const record = (status: number, body: unknown) => core.recordRequest({ method, path: url.pathname + url.search, status, body, at: Date.now() });

    if (method === 'GET' && (url.pathname.startsWith('/attachments/') || url.pathname.startsWith('/media/attachments/'))) return this.serveAttachment(url, res, record);

    const prefix = '/api/v10';
    const apiPath = url.pathname.startsWith(prefix + '/') ? url.pathname.slice(prefix.length).replace(/\/+$/, '') : null;
    const m = apiPath !== null ? this.router.match(method, apiPath) : { methodMismatch: false };
    if (!('route' in m)) {
      await readBody(req).catch(() => Buffer.alloc(0));
      const status = m.methodMismatch ? 405 : 404;
      const body = { message: `${status}: ${status === 404 ? 'Not Found' : 'Method Not Allowed'}`, code: 0 };
      core.violation({ method, path: url.pathname, kind: 'unknown_route', detail: body.message });
      record(status, undefined);
      return this.send(res, status, body);
    }
    const { route, params } = m;
    let headers: Record<string, string> = {};
    let parsed: unknown;
    try {
      if (route.auth && req.headers.authorization !== `Bot ${core.token}`) {
        await readBody(req).catch(() => Buffer.alloc(0));
        core.violation({ method, path: url.pathname, kind: 'unauthorized', detail: req.headers.authorization ? 'wrong token' : 'missing Authorization header' });
        record(401, undefined);
        return this.send(res, 401, { message: '401: Unauthorized', code: 0 });
      }
      const verdict = core.limiter.take(`${method} ${route.template}`, majorParameter(params));
      headers = verdict.headers;
      const raw = await readBody(req);
      if (!verdict.ok) {
        const body = { message: 'You are being rate limited.', retry_after: Number(verdict.retryAfter.toFixed(3)), global: false };
        core.log(`429 ${method} ${url.pathname} retry_after=${body.retry_after}`);
        record(429, undefined);
        return this.send(res, 429, body, headers);
      }
      const { body, files } = await parseBody(req, raw);
      parsed = body;
      const ctx: RestCtx = { core, req, method, path: apiPath!, params, query: url.searchParams, body, files };
      const schema = typeof route.schema === 'function' ? route.schema(ctx) : route.schema;
      if (schema) {
        const invalid = validateBody(schema, body);
        if (invalid) throw new ApiError(400, invalid, 'invalid_body');
      }
      await core.passGates(method, apiPath!);
      const reply = await route.handler(ctx);
      // The answer is fixed before request listeners run: what they change (a message edited in
      // place, say) is not in it, as with a change Discord makes just after answering.
      const json = reply.status === 204 || reply.body === undefined ? undefined : JSON.stringify(reply.body);
      record(reply.status, body);
      return this.write(res, reply.status, json, headers);
    } catch (e) {
      if (e instanceof ApiError) {
        if (e.violation) core.violation({ method, path: url.pathname, kind: e.violation, detail: e.body });
        record(e.status, parsed);
        return this.send(res, e.status, e.body, headers);
      }
      core.log(`emulator internal error on ${method} ${url.pathname}: ${(e as Error).stack ?? String(e)}`);
      record(500, parsed);
      return this.send(res, 500, { message: '500: Internal Server Error', code: 0 }, headers);
    }
  }

  /** The CDN: `/attachments/{channel}/{id}/{filename}` (`url`) and `/media/attachments/…` (`proxy_url`), signed (cdn.ts). */
  private serveAttachment(url: URL, res: ServerResponse, record: (s: number, b: unknown) => void): void {
    const parts = url.pathname.replace(/^\/media/, '').split('/');
    const id = parts[3] ?? '';
    const a = this.core.state.attachmentData.get(id);
    const status = a ? this.core.cdn.check(url.pathname, url.searchParams, id) : 404;
    record(status, undefined);
    if (!a || status !== 200) {
      const text = status === 404 ? 'This content is no longer available.' : `${status}`;
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    res.writeHead(200, { 'content-type': a.contentType, 'content-length': a.data.length });
    res.end(a.data);
  }
}
