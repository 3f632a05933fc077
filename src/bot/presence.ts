import { ActivityType, Events, type ActivitiesOptions, type Client, type PresenceData, type PresenceStatusData } from 'discord.js';
import type { BotStatus } from '../entities/BotStatus';
import { botStatusProblems } from '../entities/BotStatus';
import type { ChangeFeed } from '../database/change-feed';
import type { BotStatusStore } from '../database/stores/bot-status.store';
import type { Logger } from '../logger';

const ACTIVITY: Record<string, ActivityType> = {
  playing: ActivityType.Playing,
  streaming: ActivityType.Streaming,
  listening: ActivityType.Listening,
  watching: ActivityType.Watching,
  competing: ActivityType.Competing,
  custom: ActivityType.Custom,
};

/**
 * Presence updates a minute the bot allows itself: Discord's gateway allows 120 sends a minute,
 * heartbeats included, and discord.js queues (rather than drops) what goes over its own ~114.
 */
export const PRESENCE_BUDGET = 110;
const PRESENCE_WINDOW_MS = 60_000;

/** The presence a row means; no row → online with no activity. */
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

/**
 * database change → presence. Applies the active `bot_status` row with one presence update at
 * ready, after every RESUME or reconnect, on every change the feed reports, and every
 * `refreshMs` (Discord drops some bots' presence after a while). A row it cannot apply is logged
 * with its id and the last good presence stays; an unchanged presence is not re-sent on a change
 * report (Discord limits gateway sends), only on ready/resume/refresh.
 */
export class PresenceSync {
  private lastSent: string | null = null;
  private running: Promise<void> | null = null;
  private again: 'change' | 'force' | null = null;
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** When recent presence updates were sent (Discord allows 120 gateway sends a minute in all). */
  private readonly sent: number[] = [];
  /** Called after each op 3 is handed to the gateway (for the sandbox's narration). */
  onApplied?: (presence: PresenceData, row: BotStatus | null) => void;

  private readonly onChange = (table: string) => {
    if (table === 'bot_status') this.request('change');
  };
  private readonly onReconnect = () => this.request('force');

  constructor(
    private readonly client: Client,
    private readonly store: BotStatusStore,
    private readonly feed: ChangeFeed,
    private readonly logger: Logger,
    private readonly opts: { refreshMs: number; budget?: number; windowMs?: number },
  ) {}

  start(): void {
    this.feed.on('change', this.onChange);
    this.client.on(Events.ShardResume, this.onReconnect);
    this.client.on(Events.ShardReady, this.onReconnect);
    this.timer = setInterval(() => this.request('force'), this.opts.refreshMs);
    this.timer.unref();
    if (this.client.isReady()) this.request('force');
  }

  /** Stops following changes; waits for an apply in progress so nothing is sent after this. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.feed.off('change', this.onChange);
    this.client.off(Events.ShardResume, this.onReconnect);
    this.client.off(Events.ShardReady, this.onReconnect);
    if (this.timer) clearInterval(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.running?.catch(() => undefined);
  }

  /** Re-reads and applies; coalesces requests that arrive while one is running. */
  request(kind: 'change' | 'force'): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      if (this.again !== 'force') this.again = kind;
      return this.running;
    }
    this.running = (async () => {
      let next: 'change' | 'force' | null = kind;
      while (next && !this.stopped) {
        this.again = null;
        await this.apply(next === 'force');
        next = this.again;
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async apply(force: boolean): Promise<void> {
    if (!this.client.isReady()) return;
    let row: BotStatus | null;
    try {
      row = await this.store.getActiveBotStatus();
    } catch (e) {
      this.logger.warn({ source: 'presence', err: (e as Error).message }, 'presence: could not read bot_status; keeping the current presence');
      return;
    }
    if (row) {
      const problems = botStatusProblems(row);
      if (problems.length) {
        this.logger.warn({ source: 'presence', botStatusId: row.id, problems }, `presence: bot_status row ${row.id} cannot be applied (${problems.join('; ')}); keeping the last good presence`);
        return;
      }
    }
    const presence = presenceFor(row);
    const key = JSON.stringify(presence);
    if (!force && key === this.lastSent) return;
    if (this.stopped || !this.client.isReady()) return;
    // Over budget: discord.js would queue every update and send stale ones late. Instead wait for
    // a free slot and then send whatever the row says at that time.
    const now = Date.now();
    const budget = this.opts.budget ?? PRESENCE_BUDGET;
    const windowMs = this.opts.windowMs ?? PRESENCE_WINDOW_MS;
    while (this.sent.length && now - this.sent[0] > windowMs) this.sent.shift();
    if (this.sent.length >= budget) {
      if (!this.retryTimer) {
        const wait = windowMs - (now - this.sent[0]) + 50;
        this.logger.warn({ source: 'presence', retryInMs: wait }, `presence: more than ${budget} updates in ${windowMs / 1000} s; sending the latest when Discord allows`);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          void this.request('force');
        }, wait);
        this.retryTimer.unref();
      }
      return;
    }
    try {
      this.sent.push(now);
      this.client.user.setPresence(presence);
    } catch (e) {
      // The shard is between connections; ready/resume re-applies it.
      this.logger.warn({ source: 'presence', err: (e as Error).message }, 'presence: gateway not available; will apply on reconnect');
      return;
    }
    this.lastSent = key;
    this.logger.info({ source: 'presence', botStatusId: row?.id ?? null, status: presence.status, activity: presence.activities?.[0]?.name ?? null }, 'presence applied');
    this.onApplied?.(presence, row);
  }
}
