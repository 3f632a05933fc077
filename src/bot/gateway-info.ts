/**
 * GET /gateway/bot: the shard count Discord recommends and the session starts left today. Read
 * once at start, before the client is made, so the client gets its shards explicitly and the
 * operator sees the budget (Discord allows `total` starts a day; each IDENTIFY of a shard takes one,
 * and when none are left Discord resets the bot's token).
 */
export interface GatewayInfo {
  url: string;
  shards: number;
  sessionStartLimit: { total: number; remaining: number; resetAfter: number; maxConcurrency: number };
}

/** Thrown for a 401: the token is wrong (not worth a retry). */
export class GatewayTokenError extends Error {}

export async function fetchGatewayInfo(token: string, apiUrl = 'https://discord.com/api', timeoutMs = 15_000): Promise<GatewayInfo> {
  const res = await fetch(`${apiUrl.replace(/\/+$/, '')}/v10/gateway/bot`, { headers: { authorization: `Bot ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
  if (res.status === 401) throw new GatewayTokenError('GET /gateway/bot answered 401');
  if (!res.ok) throw new Error(`GET /gateway/bot answered ${res.status}`);
  const body = (await res.json()) as { url: string; shards: number; session_start_limit: { total: number; remaining: number; reset_after: number; max_concurrency: number } };
  const l = body.session_start_limit;
  return { url: body.url, shards: Math.max(1, body.shards), sessionStartLimit: { total: l.total, remaining: l.remaining, resetAfter: l.reset_after, maxConcurrency: Math.max(1, l.max_concurrency) } };
}

/** Few enough starts left to say so: under a tenth of the day's, or under two restarts of all `shards`. */
export function sessionStartsLow(info: GatewayInfo, shards: number): boolean {
  const { total, remaining } = info.sessionStartLimit;
  return remaining < total / 10 || remaining < 2 * shards;
}
