import type { Cron } from 'croner';
import type { ChangeFeed, WatchedTable } from '../database/change-feed';
import type { Database } from '../database/database';
import type { Schedule } from '../entities/Schedule';
import type { Task } from '../entities/Task';
import type { Logger } from '../logger';
import { compileCron, CronInputError } from './cron';
import type { TaskRunner } from './task-runner';

export interface SchedulerOptions {
  /**
   * A run overdue by more than this (the bot was down, or the schedule was disabled and enabled
   * again) is skipped, not run late. Default 60 s. Several missed runs are never replayed.
   */
  missedGraceMs?: number;
  /** Longest sleep between looks at the table (safety net for lost notifications). Default 60 s. */
  maxSleepMs?: number;
}

/**
 * Runs enabled schedules. `schedules.next_run_at` is the single source of truth: on every wake
 * the scheduler reads the enabled rows, and for each one whose next_run_at has come it claims the
 * run in the database (UPDATE … WHERE next_run_at = <the due time>, together with the run's task —
 * `db.schedules.startRun`), so with several bot processes on one database each run happens once;
 * a process that loses the claim just reads again. The winner runs the skill as a task and posts
 * its output in the schedule's channel. Croner computes the times (seconds supported) in the
 * schedule's time zone; nothing is kept in memory but one timer for the earliest next_run_at.
 * Changes (commands, or SQL from anywhere) arrive through the change feed and re-arm the timer.
 * Runs of one schedule never overlap (a run due while the previous one is unfinished is skipped),
 * and missed runs are skipped, not replayed.
 */
export class Scheduler {
  private readonly grace: number;
  private readonly maxSleep: number;
  private readonly crons = new Map<string, { key: string; cron: Cron | null }>();
  private readonly runs = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private waking: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private readonly onChange = (t: WatchedTable) => {
    if (t === 'schedules') this.wake();
  };

  constructor(
    private readonly deps: { db: Database; feed: ChangeFeed; runner: TaskRunner; logger: Logger },
    opts: SchedulerOptions = {},
  ) {
    this.grace = opts.missedGraceMs ?? 60_000;
    this.maxSleep = opts.maxSleepMs ?? 60_000;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.deps.feed.on('change', this.onChange);
    this.wake();
    await this.waking;
  }

  /** Stops waking; waits for runs in flight (the task runner aborts them when it stops). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.feed.off('change', this.onChange);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.waking;
  }

  /** Runs in flight in this process, settled when they end (for stop and tests). */
  async idle(): Promise<void> {
    await this.waking;
    await Promise.allSettled([...this.runs]);
  }

  /** Looks at the table now (coalesced: a wake during a wake runs one more after it). */
  wake(): void {
    if (this.stopped) return;
    if (this.waking) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.waking = this.tick()
      .catch((e: Error) => {
        this.deps.logger.warn({ err: e.message }, 'scheduler: could not read schedules; retrying in 1 s');
        return 1000;
      })
      .then((sleep) => {
        this.waking = null;
        if (this.stopped) return;
        if (this.again) {
          // Another look soon (a change arrived, or a claim was lost); a short pause keeps a
          // misbehaving row from spinning the loop.
          this.again = false;
          this.arm(10);
        } else {
          this.arm(sleep);
        }
      });
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.wake();
      },
      Math.max(0, Math.min(ms, this.maxSleep)),
    );
    this.timer.unref();
  }

  /** Cron for a row, compiled once per (expression, zone); null (and one warning) when unusable. */
  private cronFor(s: Schedule): Cron | null {
    const key = `${s.cronExpression}\u0000${s.timezone}`;
    const cached = this.crons.get(s.id);
    if (cached?.key === key) return cached.cron;
    let cron: Cron | null = null;
    try {
      cron = compileCron(s.cronExpression, s.timezone || 'UTC');
    } catch (e) {
      const why = e instanceof CronInputError ? e.message : (e as Error).message;
      this.deps.logger.warn({ scheduleId: s.id }, `schedule ${s.id} cannot run: ${why}`);
    }
    this.crons.set(s.id, { key, cron });
    return cron;
  }

  /** One look at the table: runs what is due; returns ms until the earliest next run. */
  private async tick(): Promise<number> {
    const { db } = this.deps;
    const schedules = await db.schedules.listSchedules({ enabledOnly: true });
    const live = new Set(schedules.map((s) => s.id));
    for (const id of this.crons.keys()) if (!live.has(id)) this.crons.delete(id);
    let earliest = Infinity;
    for (const s of schedules) {
      if (this.stopped) break;
      const cron = this.cronFor(s);
      if (!cron) continue;
      const now = new Date();
      let next: Date | null;
      if (!s.nextRunAt) {
        // Made without a next run (SQL, or enabled in the table): compute it from now.
        next = cron.nextRun(now);
        if (!next) continue; // no time left to run (a cron with a past year): nothing to write
        if (!(await db.schedules.advanceNextRun(s.id, null, next))) {
          this.again = true;
          continue;
        }
      } else if (s.nextRunAt.getTime() <= now.getTime()) {
        const moved = await this.due(s, s.nextRunAt, cron, now);
        if (moved === undefined) {
          this.again = true; // lost the claim: read the row again
          continue;
        }
        next = moved;
      } else {
        next = s.nextRunAt;
      }
      if (next) earliest = Math.min(earliest, next.getTime());
    }
    return earliest === Infinity ? this.maxSleep : earliest - Date.now();
  }

  /** Handles the run due at `dueAt`: skipped when missed, else claimed and run. Returns the new next run (undefined: someone else moved it). */
  private async due(s: Schedule, dueAt: Date, cron: Cron, now: Date): Promise<Date | null | undefined> {
    const { db, logger } = this.deps;
    if (now.getTime() - dueAt.getTime() > this.grace) {
      const next = cron.nextRun(now);
      if (!(await db.schedules.advanceNextRun(s.id, dueAt, next))) return this.lost(s.id, dueAt);
      logger.info(
        { scheduleId: s.id, missed: dueAt.toISOString(), next: next?.toISOString() ?? null },
        `schedule ${s.id.slice(0, 8)}: skipped the run due at ${dueAt.toISOString()} (missed while the bot was down or the schedule was off); next at ${next?.toISOString() ?? 'never'}`,
      );
      return next;
    }
    let next = cron.nextRun(dueAt);
    // Running late: the runs in between are skipped, never replayed in a burst.
    if (next && next.getTime() <= now.getTime()) next = cron.nextRun(now);
    const r = await db.schedules.startRun(s.id, { skill: s.skill, input: s.input, channelId: s.channelId }, { dueAt, nextRunAt: next }, now, { staleBefore: this.staleBefore(s, now) });
    if (!r.claimed) return this.lost(s.id, dueAt);
    if (r.busy) {
      logger.info({ scheduleId: s.id, busyTask: r.busy.id }, `schedule ${s.id.slice(0, 8)}: skipped the run due at ${dueAt.toISOString()}: the previous run (task ${r.busy.id.slice(0, 8)}) has not finished`);
    } else if (r.task) {
      this.track(this.run(s, r.task));
    }
    return next;
  }

  /**
   * A claim was lost: normally another process took the run. If the row still says `dueAt`, the
   * stored value only differs in form (written by hand with microseconds, or another text format
   * on SQLite) and equality can never match: store it again in the canonical form.
   */
  private async lost(id: string, dueAt: Date): Promise<undefined> {
    const row = await this.deps.db.schedules.getSchedule(id);
    if (row?.enabled && row.nextRunAt?.getTime() === dueAt.getTime()) {
      this.deps.logger.warn({ scheduleId: id }, `schedule ${id}: next_run_at is stored in an unexpected form; rewriting it`);
      await this.deps.db.schedules.updateSchedule(id, { nextRunAt: new Date(dueAt.getTime()) });
    }
    return undefined;
  }

  /** Runs "now" (`/schedule run`): not counted against the cron times; still never overlaps. */
  async runNow(s: Schedule): Promise<{ task: Task | null; busy: Task | null; done: Promise<Task> | null }> {
    const now = new Date();
    const r = await this.deps.db.schedules.startRun(s.id, { skill: s.skill, input: s.input, channelId: s.channelId }, undefined, now, { staleBefore: this.staleBefore(s, now) });
    if (!r.task) return { task: null, busy: r.busy, done: null };
    const done = this.run(s, r.task);
    this.track(done);
    return { task: r.task, busy: null, done };
  }

  /** An unfinished task of the schedule older than the skill's time limit plus a minute was abandoned. */
  private staleBefore(s: Schedule, now: Date): Date {
    const skill = this.deps.runner.skills.get(s.skill);
    return new Date(now.getTime() - (skill ? this.deps.runner.skills.timeoutOf(skill) : 60_000) - 60_000);
  }

  private run(s: Schedule, task: Task): Promise<Task> {
    return this.deps.runner.execute(task, { userId: null, isAdmin: true, guildId: s.guildId, timezone: s.timezone || 'UTC', post: true });
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch((e: Error) => this.deps.logger.error({ err: e.message }, 'scheduled run failed unexpectedly'));
    this.runs.add(q);
    void q.finally(() => this.runs.delete(q));
  }
}
