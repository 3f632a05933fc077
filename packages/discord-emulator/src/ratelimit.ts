/**
 * Per-route buckets like Discord's: one bucket per (method, route template, major parameter).
 * Major parameters are channel_id, guild_id and webhook_id+token, as Discord documents.
 */
import { createHash } from 'node:crypto';

export interface RateLimitConfig {
  perRoute: number;
  windowMs: number;
}

interface Bucket {
  remaining: number;
  resetAt: number;
}

export interface RateLimitVerdict {
  ok: boolean;
  headers: Record<string, string>;
  retryAfter: number;
}

export class RateLimiter {
  private buckets = new Map<string, Bucket>();
  private hashes = new Map<string, string>();

  constructor(public config: RateLimitConfig | false) {}

  /** `routeKey` is "METHOD /route/template"; `major` the major parameter value. */
  take(routeKey: string, major: string, now = Date.now()): RateLimitVerdict {
    const cfg = this.config;
    if (!cfg) return { ok: true, headers: {}, retryAfter: 0 };
    let hash = this.hashes.get(routeKey);
    if (!hash) {
      hash = createHash('sha1').update(routeKey).digest('hex').slice(0, 32);
      this.hashes.set(routeKey, hash);
    }
    const key = `${hash}:${major}`;
    let b = this.buckets.get(key);
    if (!b || b.resetAt <= now) {
      b = { remaining: cfg.perRoute, resetAt: now + cfg.windowMs };
      this.buckets.set(key, b);
    }
    const resetAfter = Math.max(0, b.resetAt - now) / 1000;
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(cfg.perRoute),
      'x-ratelimit-reset': (b.resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': hash,
    };
    if (b.remaining <= 0) {
      headers['x-ratelimit-remaining'] = '0';
      headers['x-ratelimit-scope'] = 'user';
      // Discord's Retry-After header is whole seconds; the body's retry_after is precise.
      headers['retry-after'] = String(Math.max(1, Math.ceil(resetAfter)));
      return { ok: false, headers, retryAfter: resetAfter };
    }
    b.remaining--;
    headers['x-ratelimit-remaining'] = String(b.remaining);
    return { ok: true, headers, retryAfter: 0 };
  }

  reset(): void {
    this.buckets.clear();
  }
}
