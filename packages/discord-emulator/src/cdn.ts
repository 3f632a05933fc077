/**
 * The attachment CDN: signed, expiring links as Discord hands them out since 2024
 * (`…/attachments/{channel}/{attachment}/{filename}?ex=…&is=…&hm=…&`: expiry and issue time as
 * hex Unix seconds, an HMAC over the path and both), served by the emulator's HTTP server. A link
 * past its expiry, with a wrong signature, or for an attachment expired by hand answers 404 as
 * Discord's CDN does ("This content is no longer available."); while failures are switched on,
 * requests answer with the chosen status instead (to test a client's retries).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const DEFAULT_ATTACHMENT_TTL_MS = 24 * 60 * 60 * 1000;

export class Cdn {
  private readonly secret = randomBytes(32);
  /** Attachment ids whose links were expired by hand (expireAttachments). */
  private readonly expired = new Set<string>();
  private failures = { remaining: 0, status: 503 };
  /** Requests the CDN answered, by status (tests read how many attempts a client made). */
  readonly served: { path: string; status: number; at: number }[] = [];

  constructor(public ttlMs = DEFAULT_ATTACHMENT_TTL_MS) {}

  private mac(path: string, ex: string, is: string): string {
    return createHmac('sha256', this.secret).update(`${path}\n${ex}\n${is}`).digest('hex');
  }

  /** The signed query string for a CDN path (`/attachments/…`), valid for ttlMs from now. */
  sign(path: string, now = Date.now()): string {
    const is = Math.floor(now / 1000).toString(16);
    const ex = Math.floor((now + this.ttlMs) / 1000).toString(16);
    return `?ex=${ex}&is=${is}&hm=${this.mac(path, ex, is)}&`;
  }

  /** Makes every link to these attachments (all, when omitted) answer 404 from now on. */
  expire(ids: string[]): void {
    for (const id of ids) this.expired.add(id);
  }

  /** The next `count` CDN requests answer `status` (default 503) instead of the file. */
  fail(count: number, status = 503): void {
    this.failures = { remaining: count, status };
  }

  /** The status to answer a CDN request with: 200 when the file may be served. */
  check(path: string, query: URLSearchParams, attachmentId: string): number {
    const status = this.verdict(path, query, attachmentId);
    this.served.push({ path, status, at: Date.now() });
    return status;
  }

  private verdict(path: string, query: URLSearchParams, attachmentId: string): number {
    if (this.failures.remaining > 0) {
      this.failures.remaining--;
      return this.failures.status;
    }
    const ex = query.get('ex') ?? '';
    const is = query.get('is') ?? '';
    const hm = query.get('hm') ?? '';
    const want = Buffer.from(this.mac(path.replace(/^\/media/, ''), ex, is));
    if (hm.length !== want.length || !timingSafeEqual(Buffer.from(hm), want)) return 404;
    if (this.expired.has(attachmentId) || Date.now() / 1000 > parseInt(ex, 16)) return 404;
    return 200;
  }
}
