import { ActivityType, Events, type ActivitiesOptions, type Client, type PresenceData, type PresenceStatusData } from 'discord.js';
import type { BotStatus } from '../entities/BotStatus';
import { botStatusProblems } from '../entities/BotStatus';
import type { ChangeFeed } from '../database/change-feed';
import type { BotStatusStore } from '../database/stores/bot-status.store';
import type { PresenceValuesStore } from '../database/stores/presence-values.store';
import type { Logger } from '../logger';
import { planAt, renderActivity, STORED_VARIABLES, usesVariables, type LivePlan, type VariableValues } from './presence-rules';

const ACTIVITY: Record<string, ActivityType> = {
  playing: ActivityType.Playing,
  streaming: ActivityType.Streaming,
  listening: ActivityType.Listening,
  watching: ActivityType.Watching,
  competing: ActivityType.Competing,
  custom: ActivityType.Custom,
};

/**
 * Discord's presence limit: 5 updates per 20 s per gateway connection. Every update goes to every
 * connection the client has (discord.js sends `setPresence` to all shards), so one count serves
 * them all. 5 per 20 s is also far below the 120 gateway sends a minute.
 */
export const PRESENCE_LIMIT = { updates: 5, windowMs: 20_000 } as const;
/** `{variables}` are rendered again this often while the live row uses them. */
export const VARIABLES_REFRESH_MS = 60_000;
/** The longest the sync sleeps between looks at the clock (setTimeout's own limit is ~24.8 days). */
const MAX_SLEEP_MS = 3_600_000;

/** The presence a row means (its text already rendered); no row → online with no activity. */
export function presenceFor(row: Pick<BotStatus, 'status' | 'activityType' | 'activity' | 'url'> | null): PresenceData {
  if (!row) return { status: 'online', activities: [], afk: false };
  const text = row.activity?.trim() ? row.activity : null;
  const activities: ActivitiesOptions[] = [];
  if (text) {
    if (row.activityType === 'custom') activities.push({ type: ActivityType.Custom, name: 'Custom Status', state: text });
    else activities.push({ type: ACTIVITY[row.activityType], name: text, ...(row.activityType === 'streaming' && row.url ? { url: row.url } : {}) });
  }
  return { status: row.status as PresenceStatusData, activities, afk: false };
}

/** What is live now and why, for `/status show` and the sandbox. */
export interface LivePresence {
  plan: LivePlan;
  /** The live row's activity with its variables filled in (null: no row or no text). */
  rendered: string | null;
  /** Why the live row is not what Discord shows (it cannot be applied), else null. */
  problems: string[] | null;
  /** Presence updates sent since start, and when the last one went out. */
  updatesSent: number;
  lastSentAt: Date | null;
  /** Set while an update waits for Discord's limit: when it goes out. */
  waitingUntil: Date | null;
}

/**
 * database change → presence. Decides what is live (src/bot/presence-rules.ts: windows, the
 * rotation, the active row) and applies it with one presence update: at ready, after every RESUME
 * or reconnect, on every change the feed reports, when a rotation turn ends or a window opens or
 * closes, when a `{variable}` in the live text changes (looked at every `variablesMs`), and every
 * `refreshMs` (Discord drops some bots' presence after a while). Never more than Discord's
 * 5 updates per 20 s: over it, the sync waits for a free slot and then sends whatever is live at
 * that time (never a stale update late). A row it cannot apply is logged once with its id and the
 * last good presence stays; an unchanged presence is not re-sent except on ready/resume/refresh.
 */
export class PresenceSync {
  private lastSent: string | null = null;
  private running: Promise<void> | null = null;
  private again: 'change' | 'force' | 'tick' | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryAt: number | null = null;
  private stopped = false;
  private rows: BotStatus[] | null = null;
  /** A forced send (ready/resume/refresh) that the limit held back: sent when a slot frees. */
  private forcePending = false;
  /** Problems already logged, per row version: a bad row is logged once, not at every turn. */
  private readonly reported = new Set<string>();
  private stored: { at: number; values: Pick<VariableValues, 'messages_today' | 'users_seen'> } | null = null;
  private live: LivePresence = { plan: { row: null, reason: 'none', nextChange: null }, rendered: null, problems: null, updatesSent: 0, lastSentAt: null, waitingUntil: null };
  /** When recent presence updates were sent. */
  private readonly sent: number[] = [];
  /** Called after each op 3 is handed to the gateway (for the sandbox's narration). */
  onApplied?: (presence: PresenceData, row: BotStatus | null) => void;

  private readonly onChange = (table: string) => {
    if (table === 'bot_status') void this.request('change');
  };
  private readonly onReconnect = () => void this.request('force');

  constructor(
    private readonly client: Client,
    private readonly store: BotStatusStore,
    private readonly values: PresenceValuesStore,
    private readonly feed: ChangeFeed,
    private readonly logger: Logger,
    private readonly opts: { refreshMs: number; variablesMs?: number; version: string; startedAt?: number },
  ) {}

  private get variablesMs(): number {
    return this.opts.variablesMs ?? VARIABLES_REFRESH_MS;
  }

  start(): void {
    this.feed.on('change', this.onChange);
    this.client.on(Events.ShardResume, this.onReconnect);
    this.client.on(Events.ShardReady, this.onReconnect);
    this.refreshTimer = setInterval(() => void this.request('force'), this.opts.refreshMs);
    this.refreshTimer.unref();
    if (this.client.isReady()) void this.request('force');
  }

  /** Stops following changes; waits for an apply in progress so nothing is sent after this. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.feed.off('change', this.onChange);
    this.client.off(Events.ShardResume, this.onReconnect);
    this.client.off(Events.ShardReady, this.onReconnect);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.running?.catch(() => undefined);
  }

  /** What is live now and why. */
  current(): LivePresence {
    return { ...this.live, waitingUntil: this.retryAt ? new Date(this.retryAt) : null };
  }

  /**
   * Decides and applies; coalesces requests that arrive while one is running. `change` and
   * `force` re-read `bot_status`; `tick` (a turn ended, a window moved, variables are due) uses
   * the rows read last.
   */
  request(kind: 'change' | 'force' | 'tick'): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = merge(this.again, kind);
      return this.running;
    }
    this.running = (async () => {
      let next: 'change' | 'force' | 'tick' | null = kind;
      while (next && !this.stopped) {
        this.again = null;
        await this.apply(next);
        next = this.again;
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async apply(kind: 'change' | 'force' | 'tick'): Promise<void> {
    if (kind === 'force') this.forcePending = true;
    if (kind !== 'tick' || !this.rows) {
      try {
        this.rows = await this.store.listBotStatuses();
      } catch (e) {
        this.logger.warn({ source: 'presence', err: (e as Error).message }, 'presence: could not read bot_status; keeping the current presence');
        this.schedule(null, false);
        return;
      }
    }
    const now = new Date();
    const plan = planAt(this.rows, now);
    const row = plan.row;
    const problems = row ? botStatusProblems(row) : [];
    const vars = row ? usesVariables(row.activity) : [];
    let rendered: string | null = row?.activity?.trim() ? row.activity : null;
    if (!problems.length && rendered && vars.length) rendered = renderActivity(rendered, await this.variableValues(vars, now.getTime()), row!.locale);
    this.live = { ...this.live, plan, rendered, problems: problems.length ? problems : null };
    this.schedule(plan.nextChange, vars.length > 0);
    if (row && problems.length) {
      const key = `${row.id} ${row.updatedAt.getTime()} ${problems.join('; ')}`;
      if (!this.reported.has(key)) {
        if (this.reported.size > 1000) this.reported.clear();
        this.reported.add(key);
        this.logger.warn({ source: 'presence', botStatusId: row.id, problems }, `presence: bot_status row ${row.id} cannot be applied (${problems.join('; ')}); keeping the last good presence`);
      }
      this.forcePending = false;
      return;
    }
    if (!this.client.isReady()) return;
    const presence = presenceFor(row && { ...row, activity: rendered });
    const key = JSON.stringify(presence);
    if (!this.forcePending && key === this.lastSent) return;
    // Over the limit: discord.js would queue every update and send stale ones late. Instead wait
    // for a free slot and then send whatever is live at that time.
    const t = Date.now();
    while (this.sent.length && t - this.sent[0] >= PRESENCE_LIMIT.windowMs) this.sent.shift();
    if (this.sent.length >= PRESENCE_LIMIT.updates) {
      const at = this.sent[0] + PRESENCE_LIMIT.windowMs + 10;
      if (this.retryAt !== at) {
        if (this.retryTimer) clearTimeout(this.retryTimer);
        if (this.retryAt === null)
          this.logger.info({ source: 'presence', retryInMs: at - t }, `presence: ${PRESENCE_LIMIT.updates} updates in ${PRESENCE_LIMIT.windowMs / 1000} s already (Discord's limit); sending the latest when it allows`);
        this.retryAt = at;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.retryAt = null;
          void this.request('tick');
        }, at - t);
        this.retryTimer.unref();
      }
      return;
    }
    if (this.stopped) return;
    try {
      this.client.user.setPresence(presence);
    } catch (e) {
      // The shard is between connections; ready/resume re-applies it.
      this.logger.warn({ source: 'presence', err: (e as Error).message }, 'presence: gateway not available; will apply on reconnect');
      return;
    }
    this.sent.push(t);
    this.forcePending = false;
    this.lastSent = key;
    this.live = { ...this.live, updatesSent: this.live.updatesSent + 1, lastSentAt: new Date(t) };
    this.logger.info({ source: 'presence', botStatusId: row?.id ?? null, reason: plan.reason, status: presence.status, activity: presence.activities?.[0]?.state ?? presence.activities?.[0]?.name ?? null }, 'presence applied');
    this.onApplied?.(presence, row);
  }

  /** The next look at the clock: when the plan changes, or when variables are due, whichever is first. */
  private schedule(nextChange: Date | null, variables: boolean): void {
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    if (this.stopped) return;
    const now = Date.now();
    const waits = [MAX_SLEEP_MS];
    if (nextChange) waits.push(Math.max(0, nextChange.getTime() - now) + 5);
    if (variables) waits.push(this.variablesMs);
    this.tickTimer = setTimeout(
      () => {
        this.tickTimer = null;
        void this.request('tick');
      },
      Math.min(...waits),
    );
    this.tickTimer.unref();
  }

  /** Gateway counts as they are now; the stored ones at most once per `variablesMs`. */
  private async variableValues(used: string[], now: number): Promise<VariableValues> {
    const guilds = [...this.client.guilds.cache.values()];
    if (used.some((v) => (STORED_VARIABLES as readonly string[]).includes(v)) && (!this.stored || now - this.stored.at >= this.variablesMs - 50)) {
      try {
        const [messagesToday, usersSeen] = await Promise.all([this.values.messagesToday(new Date(now)), this.values.usersSeen()]);
        this.stored = { at: now, values: { messages_today: messagesToday, users_seen: usersSeen } };
      } catch (e) {
        this.logger.warn({ source: 'presence', err: (e as Error).message }, 'presence: could not read the values of {messages_today} / {users_seen}; using the last ones');
        this.stored ??= { at: now, values: { messages_today: 0, users_seen: 0 } };
      }
    }
    return {
      guilds: guilds.length,
      members: guilds.reduce((n, g) => n + (g.memberCount || 0), 0),
      channels: guilds.reduce((n, g) => n + g.channels.cache.size, 0),
      messages_today: this.stored?.values.messages_today ?? 0,
      users_seen: this.stored?.values.users_seen ?? 0,
      uptimeMs: now - (this.opts.startedAt ?? Date.now() - process.uptime() * 1000),
      version: this.opts.version,
    };
  }
}

function merge(a: 'change' | 'force' | 'tick' | null, b: 'change' | 'force' | 'tick'): 'change' | 'force' | 'tick' {
  const rank = { tick: 0, change: 1, force: 2 };
  return a && rank[a] >= rank[b] ? a : b;
}
