/**
 * Gateway v10 over WebSocket (JSON encoding): HELLO, IDENTIFY, READY + GUILD_CREATE, heartbeats, RESUME
 * with a per-session replay log, INVALID_SESSION, presence updates, intents filtering and flood mode.
 * Sharding like Discord: IDENTIFY's `shard: [id, count]` (4010 when invalid, 4011 when fewer shards
 * than required), each guild's events on shard `(guild_id >> 22) % count` only, DMs on shard 0, and
 * at most max_concurrency IDENTIFYs per 5 s per bucket (`id % max_concurrency`; one too soon gets
 * op 9 INVALID_SESSION d:false). Every IDENTIFY is recorded with its time and outcome.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, WebSocket } from 'ws';
import { ALL_INTENTS, Intents, PRIVILEGED_INTENTS, guildBase, memberPayload } from './payloads';
import type { State } from './state';
import type { EmuGuild, IdentifyRecord, PresenceRecord, Violation } from './types';

/** Discord's identify window: max_concurrency IDENTIFYs per bucket per this many ms. */
export const IDENTIFY_WINDOW_MS = 5_000;

/** The shard a guild's events go to: `(guild_id >> 22) % count`, as Discord computes it. */
export function shardOf(guildId: string, count: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(count));
}

export const Op = {
  DISPATCH: 0,
  HEARTBEAT: 1,
  IDENTIFY: 2,
  PRESENCE_UPDATE: 3,
  VOICE_STATE_UPDATE: 4,
  RESUME: 6,
  RECONNECT: 7,
  REQUEST_GUILD_MEMBERS: 8,
  INVALID_SESSION: 9,
  HELLO: 10,
  HEARTBEAT_ACK: 11,
} as const;

export const Close = {
  UNKNOWN_ERROR: 4000,
  UNKNOWN_OPCODE: 4001,
  DECODE_ERROR: 4002,
  NOT_AUTHENTICATED: 4003,
  AUTHENTICATION_FAILED: 4004,
  ALREADY_AUTHENTICATED: 4005,
  INVALID_SEQ: 4007,
  SESSION_TIMED_OUT: 4009,
  INVALID_SHARD: 4010,
  SHARDING_REQUIRED: 4011,
  INVALID_API_VERSION: 4012,
  INVALID_INTENTS: 4013,
  DISALLOWED_INTENTS: 4014,
} as const;

/** Replay log: a ring of serialised dispatch frames with their sequence numbers. */
class ReplayLog {
  private seqs: number[] = [];
  private frames: string[] = [];
  private start = 0;
  constructor(private readonly max: number) {}
  push(s: number, frame: string): void {
    this.seqs.push(s);
    this.frames.push(frame);
    if (this.seqs.length - this.start > this.max) {
      this.start++;
      if (this.start > 4096 && this.start * 2 > this.seqs.length) {
        this.seqs = this.seqs.slice(this.start);
        this.frames = this.frames.slice(this.start);
        this.start = 0;
      }
    }
  }
  /** Oldest retained sequence, or null when empty. */
  oldest(): number | null {
    return this.start < this.seqs.length ? this.seqs[this.start] : null;
  }
  *after(seq: number): Generator<string> {
    for (let i = this.start; i < this.seqs.length; i++) if (this.seqs[i] > seq) yield this.frames[i];
  }
}

export class Session {
  seq = 0;
  ws: WebSocket | null = null;
  invalid = false;
  /** Sequence of the last frame actually written to a socket. */
  readonly log: ReplayLog;
  /** Highest sequence sent as flood frames (not kept in the log). */
  floodSeq = 0;
  constructor(
    readonly id: string,
    readonly intents: number,
    logSize: number,
    /** [id, count] from IDENTIFY; [0, 1] when it sent none. */
    readonly shard: [number, number] = [0, 1],
  ) {
    this.log = new ReplayLog(logSize);
  }
  has(intent: number): boolean {
    return (this.intents & intent) === intent;
  }
  /** Whether events of this guild (none: a DM or a global event) go to this session's shard. */
  gets(guildId: string | null | undefined): boolean {
    const [id, count] = this.shard;
    if (!guildId) return id === 0;
    return count === 1 || shardOf(guildId, count) === id;
  }
}

interface Conn {
  ws: WebSocket;
  session: Session | null;
  resumeUrl: boolean;
  lastHeartbeat: number;
}

export interface GatewayDeps {
  state: State;
  token: string;
  allowedIntents: number;
  heartbeatIntervalMs: number;
  replayLogSize: number;
  wsUrl: () => string;
  log: (line: string) => void;
  violation: (v: Violation) => void;
  /** Told of each presence update the bot sends. */
  presence?: (p: PresenceRecord) => void;
  /** Fewest shards an IDENTIFY may ask for (4011 below it). */
  requiredShards: number;
  /** Most guilds a shard may hold (4011 for an IDENTIFY whose shards would hold more). */
  guildsPerShard: number;
  /** IDENTIFYs allowed per 5 s per bucket. */
  maxConcurrency: number;
  /** Refuse an IDENTIFY too soon in its bucket (op 9); 'record': let it in and record a violation; off: only logged. */
  checkIdentifyConcurrency: boolean | 'record';
}

/** `need`: the intent bit(s) a session must have; `transform` may return a per-session variant of `d`, or null to skip. */
export interface DispatchOptions<D> {
  need?: number;
  transform?: (session: Session, d: D) => unknown;
  /** The guild the event belongs to (default `d.guild_id`): only that guild's shard gets it; none → shard 0. */
  guildId?: string | null;
}

export class Gateway {
  readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4096 * 1024 });
  readonly sessions = new Map<string, Session>();
  readonly presences: PresenceRecord[] = [];
  /** Every IDENTIFY received, in order, with its shard, time and outcome. */
  readonly identifyLog: IdentifyRecord[] = [];
  /** Per rate-limit bucket: when the IDENTIFYs let in during the last window arrived. */
  private readonly buckets = new Map<number, number[]>();
  identifies = 0;
  resumes = 0;
  private readonly conns = new Set<Conn>();
  private readyWaiters: (() => void)[] = [];
  private presenceWaiters: { pred: (p: PresenceRecord) => boolean; resolve: (p: PresenceRecord) => void }[] = [];
  private readySessions = new Set<Session>();

  constructor(private readonly deps: GatewayDeps) {}

  get allowedIntents(): number {
    return this.deps.allowedIntents;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/gateway' && url.pathname !== '/gateway/' && url.pathname !== '/gateway/resume' && url.pathname !== '/gateway/resume/') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, url));
  }

  private onConnection(ws: WebSocket, url: URL): void {
    const conn: Conn = { ws, session: null, resumeUrl: url.pathname.startsWith('/gateway/resume'), lastHeartbeat: Date.now() };
    this.conns.add(conn);
    ws.on('close', () => {
      this.conns.delete(conn);
      if (conn.session && conn.session.ws === ws) {
        conn.session.ws = null;
        this.readySessions.delete(conn.session);
      }
    });
    ws.on('error', () => undefined);
    const v = url.searchParams.get('v');
    if (v !== null && v !== '10') return void ws.close(Close.INVALID_API_VERSION, 'Invalid API version');
    const encoding = url.searchParams.get('encoding');
    if (encoding !== null && encoding !== 'json') return void ws.close(Close.DECODE_ERROR, 'Only encoding=json is emulated');
    // compress=zlib-stream is accepted but frames stay uncompressed text, which @discordjs/ws parses as is.
    this.send(ws, { op: Op.HELLO, d: { heartbeat_interval: this.deps.heartbeatIntervalMs }, s: null, t: null });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return void ws.close(Close.DECODE_ERROR, 'Error while decoding payload.');
      let payload: { op?: unknown; d?: unknown };
      try {
        payload = JSON.parse(data.toString());
      } catch {
        return void ws.close(Close.DECODE_ERROR, 'Error while decoding payload.');
      }
      this.onPayload(conn, payload);
    });
  }

  private send(ws: WebSocket, payload: object): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(payload));
  }

  private onPayload(conn: Conn, p: { op?: unknown; d?: unknown }): void {
    const { ws } = conn;
    switch (p.op) {
      case Op.HEARTBEAT:
        conn.lastHeartbeat = Date.now();
        return this.send(ws, { op: Op.HEARTBEAT_ACK });
      case Op.IDENTIFY:
        return this.identify(conn, p.d as Record<string, unknown>);
      case Op.RESUME:
        return this.resume(conn, p.d as Record<string, unknown>);
      case Op.PRESENCE_UPDATE:
      case Op.REQUEST_GUILD_MEMBERS:
      case Op.VOICE_STATE_UPDATE:
        if (!conn.session) return void ws.close(Close.NOT_AUTHENTICATED, 'Not authenticated.');
        if (p.op === Op.PRESENCE_UPDATE) return this.presenceUpdate(p.d as Record<string, unknown>, conn.session);
        if (p.op === Op.REQUEST_GUILD_MEMBERS) return this.requestMembers(conn, p.d as Record<string, unknown>);
        return; // voice is not emulated
      default:
        this.deps.violation({ method: 'WS', path: '/gateway', kind: 'gateway', detail: `unknown opcode ${String(p.op)}` });
        return void ws.close(Close.UNKNOWN_OPCODE, 'Unknown opcode.');
    }
  }

  private identify(conn: Conn, d: Record<string, unknown> | undefined): void {
    const { ws } = conn;
    if (conn.session) return void ws.close(Close.ALREADY_AUTHENTICATED, 'Already authenticated.');
    if (!d || d.token !== this.deps.token) {
      this.deps.log('gateway: IDENTIFY with a wrong token → 4004');
      return void ws.close(Close.AUTHENTICATION_FAILED, 'Authentication failed.');
    }
    const intents = d.intents;
    if (typeof intents !== 'number' || !Number.isInteger(intents) || intents < 0 || (intents & ~ALL_INTENTS) !== 0) {
      return void ws.close(Close.INVALID_INTENTS, 'Invalid intent(s).');
    }
    if ((intents & PRIVILEGED_INTENTS & ~this.deps.allowedIntents) !== 0) {
      this.deps.log(`gateway: IDENTIFY asked for disallowed intents ${intents & PRIVILEGED_INTENTS & ~this.deps.allowedIntents} → 4014`);
      return void ws.close(Close.DISALLOWED_INTENTS, 'Disallowed intent(s).');
    }
    const shard = d.shard as [number, number] | undefined;
    const at = Date.now();
    const asked: [number, number] = Array.isArray(shard) && shard.length === 2 ? [Number(shard[0]), Number(shard[1])] : [0, 1];
    if (shard !== undefined && (!Array.isArray(shard) || shard.length !== 2 || !Number.isInteger(asked[0]) || !Number.isInteger(asked[1]) || asked[1] < 1 || asked[0] < 0 || asked[0] >= asked[1])) {
      this.identifyLog.push({ shard: asked, at, outcome: 'invalid_shard' });
      this.deps.log(`gateway: IDENTIFY with invalid shard ${JSON.stringify(shard)} → 4010`);
      return void ws.close(Close.INVALID_SHARD, 'Invalid shard.');
    }
    const required = this.requiredShards();
    if (asked[1] < required) {
      this.identifyLog.push({ shard: asked, at, outcome: 'sharding_required' });
      this.deps.log(`gateway: IDENTIFY with ${asked[1]} shard(s), ${required} required → 4011`);
      return void ws.close(Close.SHARDING_REQUIRED, 'Sharding required.');
    }
    // max_concurrency per 5 s per bucket; one more is answered with op 9 (not resumable), as Discord does.
    const bucket = asked[0] % this.deps.maxConcurrency;
    const recent = (this.buckets.get(bucket) ?? []).filter((t) => at - t < IDENTIFY_WINDOW_MS);
    if (recent.length >= 1 && this.deps.checkIdentifyConcurrency === 'record') {
      this.deps.violation({ method: 'WS', path: '/gateway', kind: 'gateway', detail: `IDENTIFY of shard ${asked[0]} ${at - recent[recent.length - 1]} ms after the last one in bucket ${bucket} (at most one per ${IDENTIFY_WINDOW_MS} ms)` });
    } else if (recent.length >= 1 && this.deps.checkIdentifyConcurrency) {
      this.buckets.set(bucket, recent);
      this.identifyLog.push({ shard: asked, at, outcome: 'too_fast' });
      this.deps.log(`gateway: IDENTIFY of shard ${asked[0]} ${at - recent[recent.length - 1]} ms after the last one in bucket ${bucket} → op 9 d:false`);
      return this.send(ws, { op: Op.INVALID_SESSION, d: false, s: null, t: null });
    }
    recent.push(at);
    this.buckets.set(bucket, recent);
    this.identifyLog.push({ shard: asked, at, outcome: 'ready' });
    // A new session replaces the disconnected ones of its shard (they could never be resumed by this client anyway).
    for (const [id, s] of this.sessions) if (!s.ws && s.shard[0] === asked[0]) this.sessions.delete(id);
    const session = new Session(randomBytes(16).toString('hex'), intents, this.deps.replayLogSize, asked);
    this.sessions.set(session.id, session);
    session.ws = ws;
    conn.session = session;
    this.identifies++;
    if (d.presence && typeof d.presence === 'object') this.presenceUpdate(d.presence as Record<string, unknown>, session);
    const { state } = this.deps;
    const guilds = [...state.guilds.values()].filter((g) => g.members.has(state.botUser.id) && session.gets(g.id));
    const ready = {
      v: 10,
      user_settings: {},
      user: { ...state.botUser, verified: true, mfa_enabled: false, email: null },
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      guild_join_requests: [],
      relationships: [],
      private_channels: [],
      presences: [],
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: this.deps.wsUrl() + '/resume',
      shard: shard === undefined ? undefined : asked,
      application: { id: state.applicationId, flags: 0 },
      geo_ordered_rtc_regions: [],
      auth: {},
    };
    this.emit(session, 'READY', ready);
    if (session.has(Intents.GUILDS)) for (const g of guilds) this.emit(session, 'GUILD_CREATE', this.guildCreate(g, session, d.large_threshold));
    this.markReady(session);
  }

  /** Fewest shards an IDENTIFY may ask for: the configured minimum, or enough for the per-shard guild limit. */
  requiredShards(): number {
    const { state } = this.deps;
    if (!Number.isFinite(this.deps.guildsPerShard)) return this.deps.requiredShards;
    let guilds = 0;
    for (const g of state.guilds.values()) if (g.members.has(state.botUser.id)) guilds++;
    return Math.max(this.deps.requiredShards, Math.ceil(guilds / this.deps.guildsPerShard));
  }

  private markReady(session: Session): void {
    this.readySessions.add(session);
    const w = this.readyWaiters;
    this.readyWaiters = [];
    for (const f of w) f();
  }

  guildCreate(g: EmuGuild, session: Session, largeThreshold?: unknown): Record<string, unknown> {
    const { state } = this.deps;
    const channels = g.channelIds.map((id) => state.channels.get(id)!).filter(Boolean);
    const text = channels
      .filter((c) => c.type !== 11)
      .map((c) => {
        const { guild_id: _g, ...rest } = c;
        return rest;
      });
    // Like Discord: the active threads only (archived ones are fetched on demand).
    const threads = channels.filter((c) => c.type === 11 && !(c.thread_metadata as { archived?: boolean } | undefined)?.archived).map((c) => ({ ...c }));
    const threshold = typeof largeThreshold === 'number' ? largeThreshold : 50;
    const large = g.members.size > threshold;
    // Like Discord: without GUILD_PRESENCES only the bot's own member is sent (members come with messages and interactions).
    const sendAll = session.has(Intents.GUILD_PRESENCES) && !large;
    const members = [...g.members.values()].filter((m) => sendAll || m.userId === state.botUser.id).map((m) => memberPayload(m, state.users.get(m.userId)));
    return {
      ...guildBase(g, text.find((c) => c.type === 0)?.id ?? null),
      joined_at: g.members.get(state.botUser.id)?.joined_at ?? new Date(g.created).toISOString(),
      large,
      unavailable: false,
      member_count: g.members.size,
      voice_states: [],
      members,
      channels: text,
      threads,
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      embedded_activities: [],
      activity_instances: [],
      lazy: true,
    };
  }

  private resume(conn: Conn, d: Record<string, unknown> | undefined): void {
    const { ws } = conn;
    if (conn.session) return void ws.close(Close.ALREADY_AUTHENTICATED, 'Already authenticated.');
    if (!d || d.token !== this.deps.token) return void ws.close(Close.AUTHENTICATION_FAILED, 'Authentication failed.');
    if (!conn.resumeUrl) {
      this.deps.violation({ method: 'WS', path: '/gateway', kind: 'gateway', detail: 'RESUME sent to the gateway URL instead of READY.resume_gateway_url' });
    }
    const session = typeof d.session_id === 'string' ? this.sessions.get(d.session_id) : undefined;
    const seq = typeof d.seq === 'number' ? d.seq : -1;
    const oldest = session?.log.oldest() ?? null;
    if (!session || session.invalid || seq < 0 || seq > session.seq || (oldest !== null && seq < oldest - 1)) {
      this.deps.log(`gateway: RESUME refused (session ${String(d.session_id)}, seq ${seq}) → op 9 d:false`);
      return this.send(ws, { op: Op.INVALID_SESSION, d: false, s: null, t: null });
    }
    if (session.ws && session.ws !== ws) session.ws.close(Close.SESSION_TIMED_OUT, 'Session resumed elsewhere');
    session.ws = ws;
    conn.session = session;
    let replayed = 0;
    for (const frame of session.log.after(seq)) {
      ws.send(frame);
      replayed++;
    }
    this.resumes++;
    this.deps.log(`gateway: RESUMED session ${session.id} from seq ${seq}, replayed ${replayed}`);
    this.emit(session, 'RESUMED', {});
    this.markReady(session);
  }

  private presenceUpdate(d: Record<string, unknown> | undefined, session: Session): void {
    const status = d?.status;
    const activities = d?.activities;
    if (!d || typeof status !== 'string' || !['online', 'dnd', 'idle', 'invisible', 'offline'].includes(status) || !Array.isArray(activities)) {
      this.deps.violation({ method: 'WS', path: '/gateway op 3', kind: 'gateway', detail: { message: 'invalid presence update', d } });
      return;
    }
    for (const a of activities as Record<string, unknown>[]) {
      if (typeof a?.name !== 'string' || typeof a.type !== 'number' || ![0, 1, 2, 3, 4, 5].includes(a.type)) {
        this.deps.violation({ method: 'WS', path: '/gateway op 3', kind: 'gateway', detail: { message: 'invalid activity', activity: a } });
      }
    }
    const rec: PresenceRecord = {
      status,
      activities: activities as PresenceRecord['activities'],
      since: typeof d.since === 'number' ? d.since : null,
      afk: Boolean(d.afk),
      at: Date.now(),
      shard: session.shard,
    };
    this.presences.push(rec);
    this.deps.presence?.(rec);
    this.presenceWaiters = this.presenceWaiters.filter((w) => {
      if (!w.pred(rec)) return true;
      w.resolve(rec);
      return false;
    });
  }

  private requestMembers(conn: Conn, d: Record<string, unknown> | undefined): void {
    const { state } = this.deps;
    const g = typeof d?.guild_id === 'string' ? state.guilds.get(d.guild_id) : undefined;
    if (!g || !conn.session) return;
    const ids = Array.isArray(d?.user_ids) ? (d.user_ids as string[]) : typeof d?.user_ids === 'string' ? [d.user_ids] : null;
    if (!ids && !conn.session.has(Intents.GUILD_MEMBERS)) return void conn.ws.close(Close.DISALLOWED_INTENTS, 'Disallowed intent(s).');
    const query = typeof d?.query === 'string' ? d.query.toLowerCase() : '';
    const limit = typeof d?.limit === 'number' && d.limit > 0 ? d.limit : Infinity;
    const members = [...g.members.values()]
      .filter((m) => (ids ? ids.includes(m.userId) : (state.users.get(m.userId)?.username ?? '').toLowerCase().startsWith(query)))
      .slice(0, limit)
      .map((m) => memberPayload(m, state.users.get(m.userId)));
    const chunk: Record<string, unknown> = { guild_id: g.id, members, chunk_index: 0, chunk_count: 1 };
    if (ids) chunk.not_found = ids.filter((id) => !g.members.has(id));
    if (d?.nonce !== undefined) chunk.nonce = d.nonce;
    this.emit(conn.session, 'GUILD_MEMBERS_CHUNK', chunk);
  }

  /** Appends a dispatch to the session's replay log and writes it if the session is connected. */
  private emit(session: Session, t: string, d: unknown): void {
    this.emitRaw(session, t, JSON.stringify(d));
  }

  private emitRaw(session: Session, t: string, dJson: string): void {
    const s = ++session.seq;
    const frame = `{"t":"${t}","s":${s},"op":0,"d":${dJson}}`;
    session.log.push(s, frame);
    const ws = session.ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(frame);
  }

  /** Dispatches an event to every valid session (connected or buffering for RESUME) that has the needed intents. */
  dispatch<D>(t: string, d: D, o: DispatchOptions<D> = {}): void {
    let shared: string | undefined;
    const guildId = o.guildId !== undefined ? o.guildId : ((d as { guild_id?: string } | null)?.guild_id ?? null);
    for (const session of this.sessions.values()) {
      if (session.invalid) continue;
      if (!session.gets(guildId)) continue;
      if (o.need !== undefined && !session.has(o.need)) continue;
      if (o.transform) {
        const v = o.transform(session, d);
        if (v === null) continue;
        if (v !== d) {
          this.emitRaw(session, t, JSON.stringify(v));
          continue;
        }
      }
      shared ??= JSON.stringify(d);
      this.emitRaw(session, t, shared);
    }
  }

  hasSession(): boolean {
    for (const s of this.sessions.values()) if (!s.invalid) return true;
    return false;
  }

  connected(): boolean {
    for (const s of this.readySessions) if (s.ws && s.ws.readyState === WebSocket.OPEN) return true;
    return false;
  }

  waitForReady(timeoutMs: number): Promise<void> {
    if (this.connected()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((f) => f !== done);
        reject(new Error(`emulator: no bot session became ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.readyWaiters.push(done);
    });
  }

  waitForPresence(pred: (p: PresenceRecord) => boolean, timeoutMs: number): Promise<PresenceRecord> {
    const found = this.presences.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (p: PresenceRecord) => {
          clearTimeout(timer);
          resolve(p);
        },
      };
      const timer = setTimeout(() => {
        this.presenceWaiters = this.presenceWaiters.filter((x) => x !== w);
        reject(new Error(`emulator: no matching presence update within ${timeoutMs} ms`));
      }, timeoutMs);
      this.presenceWaiters.push(w);
    });
  }

  /** Closes the bot's sockets. Non-resumable also invalidates the sessions (RESUME → op 9 d:false). */
  disconnect(o: { resumable: boolean; closeCode?: number }): void {
    for (const s of this.sessions.values()) {
      if (!o.resumable) s.invalid = true;
      if (s.ws) {
        const ws = s.ws;
        s.ws = null;
        this.readySessions.delete(s);
        ws.close(o.closeCode ?? (o.resumable ? Close.UNKNOWN_ERROR : Close.SESSION_TIMED_OUT), o.resumable ? 'Emulated disconnect' : 'Session invalidated');
      }
    }
  }

  /** Sends op 7 RECONNECT: the client should reconnect and RESUME. */
  requestReconnect(): void {
    for (const s of this.sessions.values()) if (s.ws) this.send(s.ws, { op: Op.RECONNECT, d: null, s: null, t: null });
  }

  /** Sends op 9 INVALID_SESSION on live sockets. */
  invalidateSessions(resumable: boolean): void {
    for (const s of this.sessions.values()) {
      if (!resumable) s.invalid = true;
      if (s.ws) this.send(s.ws, { op: Op.INVALID_SESSION, d: resumable, s: null, t: null });
    }
  }

  /** The connected session that receives flood frames (of shard `shard` when given). */
  activeSession(shard?: number): Session | null {
    for (const s of this.readySessions) if (s.ws && s.ws.readyState === WebSocket.OPEN && (shard === undefined || s.shard[0] === shard)) return s;
    return null;
  }

  connectedShards(): [number, number][] {
    return [...this.readySessions].filter((s) => s.ws && s.ws.readyState === WebSocket.OPEN).map((s) => s.shard);
  }

  close(): void {
    for (const c of this.conns) c.ws.terminate();
    this.wss.close();
  }
}
