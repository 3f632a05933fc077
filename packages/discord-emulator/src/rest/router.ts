/** Minimal route table for /api/v10: templates with :params, auth flag, body schema, major parameter. */
import type { IncomingMessage } from 'node:http';
import type { SpecSchema } from '../validation';
import type { ViolationKind } from '../types';
import type { Core } from '../core';

export interface UploadedFile {
  field: string;
  index: number | null;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface RestCtx {
  core: Core;
  req: IncomingMessage;
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  files: UploadedFile[];
}

export interface Reply {
  status: number;
  body?: unknown;
}

export interface Route {
  method: string;
  template: string;
  segments: string[];
  /** Requires `Authorization: Bot TOKEN`. */
  auth: boolean;
  schema?: SpecSchema | ((ctx: RestCtx) => SpecSchema | undefined);
  handler: (ctx: RestCtx) => Reply | Promise<Reply>;
}

/** An error answered with Discord's JSON error body; `violation` also records it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { code: number; message: string; errors?: unknown; retry_after?: number },
    readonly violation?: ViolationKind,
  ) {
    super(body.message);
  }
}

export const Errors = {
  unknownChannel: () => new ApiError(404, { message: 'Unknown Channel', code: 10003 }),
  unknownGuild: () => new ApiError(404, { message: 'Unknown Guild', code: 10004 }),
  unknownMember: () => new ApiError(404, { message: 'Unknown Member', code: 10007 }),
  unknownMessage: () => new ApiError(404, { message: 'Unknown Message', code: 10008 }),
  unknownUser: () => new ApiError(404, { message: 'Unknown User', code: 10013 }),
  unknownWebhook: () => new ApiError(404, { message: 'Unknown Webhook', code: 10015 }, 'unknown_interaction'),
  unknownApplication: () => new ApiError(404, { message: 'Unknown Application', code: 10002 }),
  unknownInteraction: () => new ApiError(404, { message: 'Unknown interaction', code: 10062 }, 'unknown_interaction'),
  alreadyAcknowledged: () => new ApiError(400, { message: 'Interaction has already been acknowledged.', code: 40060 }, 'already_acknowledged'),
  emptyMessage: () => new ApiError(400, { message: 'Cannot send an empty message', code: 50006 }, 'invalid_body'),
  missingAccess: () => new ApiError(403, { message: 'Missing Access', code: 50001 }, 'forbidden'),
  missingPermissions: () => new ApiError(403, { message: 'Missing Permissions', code: 50013 }, 'forbidden'),
  notAuthor: () => new ApiError(403, { message: 'Cannot edit a message authored by another user', code: 50005 }, 'forbidden'),
  tooLarge: () => new ApiError(413, { message: 'Request entity too large', code: 40005 }, 'invalid_body'),
};

export function route(method: string, template: string, opts: { auth?: boolean; schema?: Route['schema'] }, handler: Route['handler']): Route {
  return { method, template, segments: template.split('/').filter(Boolean), auth: opts.auth ?? true, schema: opts.schema, handler };
}

export class Router {
  private routes: Route[] = [];

  add(...routes: Route[]): this {
    this.routes.push(...routes);
    return this;
  }

  /** Literal segments win over parameters (e.g. @original before :message_id). */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | { methodMismatch: boolean } {
    const parts = path.split('/').filter(Boolean);
    let best: { route: Route; params: Record<string, string>; score: number } | null = null;
    let pathMatched = false;
    for (const r of this.routes) {
      if (r.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let score = 0;
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = r.segments[i];
        if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(parts[i]);
        else if (seg === parts[i]) score++;
        else {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      if (!best || score > best.score) best = { route: r, params, score };
    }
    return best ? { route: best.route, params: best.params } : { methodMismatch: pathMatched };
  }
}

/** Discord's major parameters for rate-limit buckets. */
export function majorParameter(params: Record<string, string>): string {
  if (params.channel_id) return `c${params.channel_id}`;
  if (params.guild_id) return `g${params.guild_id}`;
  if (params.webhook_id) return `w${params.webhook_id}:${params.webhook_token ?? ''}`;
  if (params.interaction_id) return `i${params.interaction_id}`;
  return '';
}
