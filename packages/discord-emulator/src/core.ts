/** Shared internals of one emulator instance (what REST routes and the gateway operate on). */
import { Actions } from './actions';
import { Cdn } from './cdn';
import { Gateway } from './gateway';
import { Interactions } from './interactions';
import { ALL_INTENTS, DEFAULT_BOT_PERMISSIONS, makeUser } from './payloads';
import { RateLimiter } from './ratelimit';
import { Polls } from './polls';
import { Reactions } from './reactions';
import { snowflake } from './snowflake';
import { State } from './state';
import type { EmulatorOptions, RequestRecord, Violation, WorldEvent } from './types';
import type { SpecModule } from './validation';

export class Core {
  readonly token: string;
  readonly applicationId: string;
  readonly state: State;
  readonly gateway: Gateway;
  readonly actions: Actions;
  readonly interactions: Interactions;
  readonly reactions: Reactions;
  readonly polls: Polls;
  readonly limiter: RateLimiter;
  /** Signed, expiring attachment links and their failures (cdn.ts). */
  readonly cdn: Cdn;
  readonly requests: RequestRecord[] = [];
  /** Called with each request once its answer is decided, before it is sent (see DiscordEmulator.onRequest). */
  readonly requestListeners = new Set<(r: RequestRecord) => void>();
  readonly violations: Violation[] = [];
  /** REST requests that wait before they are answered (DiscordEmulator.holdRequests). */
  readonly gates = new Set<RequestGate>();
  /** Told of every change of the world (see DiscordEmulator.onWorldEvent). */
  readonly worldListeners = new Set<(e: WorldEvent) => void>();
  readonly interactionResponseMs: number;
  port = 0;

  constructor(
    readonly spec: SpecModule,
    readonly options: EmulatorOptions,
  ) {
    this.token = options.token ?? `${Buffer.from(snowflake()).toString('base64url')}.emulator.${Math.random().toString(36).slice(2)}`;
    this.applicationId = options.applicationId ?? snowflake();
    const bot = makeUser({ id: this.applicationId, username: options.botUsername ?? 'Chronicle', bot: true, globalName: null });
    this.state = new State(bot, this.applicationId, options.botPermissions ?? DEFAULT_BOT_PERMISSIONS);
    this.gateway = new Gateway({
      state: this.state,
      token: this.token,
      allowedIntents: options.allowedIntents ?? ALL_INTENTS,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41250,
      replayLogSize: options.replayLogSize ?? 10000,
      wsUrl: () => `ws://127.0.0.1:${this.port}/gateway`,
      log: (l) => this.log(l),
      violation: (v) => this.violation(v),
      presence: (presence) => this.emit({ type: 'presence', presence }),
      requiredShards: options.requiredShards ?? 1,
      guildsPerShard: options.guildsPerShard ?? Infinity,
      maxConcurrency: options.maxConcurrency ?? 1,
      checkIdentifyConcurrency: options.checkIdentifyConcurrency ?? false,
    });
    this.actions = new Actions(this.state, this.gateway, (e) => this.emit(e));
    this.interactions = new Interactions(this);
    this.reactions = new Reactions(this.state, this.gateway, (message) => this.emit({ type: 'message_update', message }));
    this.polls = new Polls(this.state, this.gateway, this.actions);
    this.limiter = new RateLimiter(options.rateLimit === undefined ? { perRoute: 50, windowMs: 1000 } : options.rateLimit);
    this.interactionResponseMs = options.interactionResponseMs ?? 3000;
    this.cdn = new Cdn(options.attachmentTtlMs);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Keeps a request's record and tells the listeners; a listener that throws is logged, not fatal. */
  recordRequest(r: RequestRecord): void {
    this.requests.push(r);
    for (const fn of this.requestListeners) {
      try {
        fn(r);
      } catch (e) {
        this.log(`request listener failed on ${r.method} ${r.path}: ${(e as Error).message}`);
      }
    }
  }

  /** Waits while a gate holds requests like this one. */
  async passGates(method: string, path: string): Promise<void> {
    for (const g of this.gates) {
      if (!g.match(method, path)) continue;
      g.waiting++;
      await g.open;
      g.waiting--;
    }
  }

  /** Tells the world listeners; a listener that throws is logged, not fatal. */
  emit(e: WorldEvent): void {
    for (const fn of this.worldListeners) {
      try {
        fn(e);
      } catch (err) {
        this.log(`world listener failed on ${e.type}: ${(err as Error).message}`);
      }
    }
  }

  log(line: string): void {
    this.options.logger?.(line);
  }

  violation(v: Violation): void {
    this.violations.push(v);
    this.log(`violation ${v.kind} ${v.method} ${v.path}: ${typeof v.detail === 'string' ? v.detail : JSON.stringify(v.detail)}`);
  }
}

export interface RequestGate {
  match: (method: string, path: string) => boolean;
  open: Promise<void>;
  waiting: number;
}
