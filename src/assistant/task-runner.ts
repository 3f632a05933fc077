import type { Client } from 'discord.js';
import type { Database } from '../database/database';
import { ActivityStore } from '../database/stores/activity.store';
import type { Task } from '../entities/Task';
import { DISCORD_CHANNEL } from '../entities/User';
import type { Logger } from '../logger';
import { SkillInputError, SkillPermissionError, type Skill, type SkillContext, type SkillPermission, type SkillRegistry } from '../skills';
import { postToChannel } from './post';

/** Who and where a task runs for. */
export interface RunFor {
  /** The Discord user it runs for; null for scheduled runs. */
  userId: string | null;
  /** Admin rights: the asker passed the admin check, or it is a schedule (only admins make those). */
  isAdmin: boolean;
  guildId: string | null;
  /** IANA zone for presenting times (the schedule's); UTC when absent. */
  timezone?: string;
  /** Post the output in the task's channel when done (schedules, reminders); `/run` replies instead. */
  post?: boolean;
}

export interface TaskRunnerOptions {
  /** How often pending follow-up tasks (run_at) are looked for. Default 1000 ms. */
  pollMs?: number;
  /** How often tasks abandoned by a dead process are failed. Default 60 s. */
  sweepMs?: number;
}

export class TaskTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms (the skill's time limit); the run was aborted`);
    this.name = 'TaskTimeoutError';
  }
}

class StoppingError extends Error {
  constructor() {
    super('the bot stopped while this task was running');
    this.name = 'StoppingError';
  }
}

/**
 * Runs tasks: pending → in_progress (claimed in the database, so one process runs each) →
 * completed with the output, or failed with the error. A skill that throws, breaks its declared
 * permissions or passes its time limit (its AbortSignal fires) leaves a `failed` task; a task is
 * never left `in_progress` by a live process. Also polls for pending follow-up tasks whose
 * `run_at` has come (reminders) and runs them, after a restart too; and fails tasks abandoned by
 * a process that died (a sweep every minute).
 */
export class TaskRunner {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<Task> }>();
  private readonly starting = new Set<string>();
  private readonly activity: ActivityStore;
  private readonly pollMs: number;
  private readonly sweepMs: number;
  private timer: NodeJS.Timeout | null = null;
  private lastSweep = 0;
  private stopped = false;
  private polling: Promise<void> | null = null;

  constructor(
    private readonly deps: { db: Database; client: Client; skills: SkillRegistry; logger: Logger },
    opts: TaskRunnerOptions = {},
  ) {
    this.activity = new ActivityStore(deps.db);
    this.pollMs = opts.pollMs ?? 1000;
    this.sweepMs = opts.sweepMs ?? 60_000;
  }

  /** Fails what a crash left `in_progress` (nothing runs it any more); returns how many. */
  async recover(): Promise<number> {
    const n = await this.deps.db.tasks.failInProgress('interrupted: the bot stopped (crash or kill) while this task was running');
    if (n) this.deps.logger.warn({ tasks: n }, `${n} task(s) left in progress by a previous run were marked failed`);
    return n;
  }

  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  /** Stops polling, aborts running tasks (they end `failed`) and waits for them to be written. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const r of this.running.values()) r.controller.abort(new StoppingError());
    await this.polling;
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  get skills(): SkillRegistry {
    return this.deps.skills;
  }

  /** Tasks running in this process now. */
  get active(): number {
    return this.running.size;
  }

  private arm(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.polling = this.poll().finally(() => {
        this.polling = null;
        this.arm(this.pollMs);
      });
    }, delay);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const { db, logger } = this.deps;
    try {
      const now = new Date();
      if (now.getTime() - this.lastSweep >= this.sweepMs) {
        this.lastSweep = now.getTime();
        await this.sweep(now);
      }
      for (const t of await db.tasks.listDueDeferred(now, 20)) {
        if (this.stopped) break;
        if (this.running.has(t.id) || this.starting.has(t.id)) continue;
        this.starting.add(t.id);
        void this.runFollowUp(t)
          .catch((e: Error) => logger.error({ task: t.id, err: e.message }, 'follow-up task could not be run'))
          .finally(() => this.starting.delete(t.id));
      }
    } catch (e) {
      if (!this.stopped) logger.warn({ err: (e as Error).message }, 'task runner: could not look for due tasks; retrying');
    }
  }

  /** Fails tasks a dead process left behind (with several processes on one database). */
  private async sweep(now: Date): Promise<void> {
    const { db, logger, skills } = this.deps;
    const longest = Math.max(0, ...skills.list().map((s) => skills.timeoutOf(s)));
    const stuck = await db.tasks.failStale({ status: 'in_progress', updatedBefore: new Date(now.getTime() - longest - 60_000), error: 'abandoned: the process running it stopped before it finished' });
    const unstarted = await db.tasks.failStale({ status: 'pending', updatedBefore: new Date(now.getTime() - 5 * 60_000), error: 'never started: the process that created it stopped before running it' });
    if (stuck + unstarted) logger.warn({ stuck, unstarted }, `failed ${stuck + unstarted} abandoned task(s)`);
  }

  private async runFollowUp(task: Task): Promise<Task> {
    const { db } = this.deps;
    let userId: string | null = null;
    let guildId: string | null = null;
    if (task.sessionId) {
      const session = await db.sessions.getSession(task.sessionId);
      guildId = session?.guildId ?? null;
      const user = session ? await db.users.getUserById(session.userId) : null;
      if (user?.channel === DISCORD_CHANNEL) userId = user.channelUserId;
    }
    return this.execute(task, { userId, isAdmin: false, guildId, post: true }, 'later');
  }

  /**
   * Runs one task to its end and returns the final row. Claims it first (pending → in_progress);
   * when another process got it, returns the row as it is. A follow-up (`later`) runs the skill's
   * `runLater`; the permission check was made when the run that asked for it was made.
   */
  async execute(task: Task, runFor: RunFor, phase: 'run' | 'later' = 'run'): Promise<Task> {
    const { db } = this.deps;
    if (this.stopped) return db.tasks.updateTask({ id: task.id, status: 'failed', error: 'the bot is stopping; not started' });
    let claimed: boolean;
    try {
      claimed = await db.tasks.claimTask(task.id);
    } catch (e) {
      // Never leave it pending for nothing to pick up (a schedule would see it as still running).
      const error = `could not start: ${(e as Error).message}`;
      this.deps.logger.warn({ task: task.id, skill: task.skill, err: error }, `task ${task.id.slice(0, 8)} (${task.skill}) ${error}`);
      return db.tasks.updateTask({ id: task.id, status: 'failed', error }).catch(() => Object.assign(task, { status: 'failed', error }));
    }
    if (!claimed) return (await db.tasks.getTask(task.id)) ?? task;
    const controller = new AbortController();
    const done = this.runClaimed(task, runFor, phase, controller);
    this.running.set(task.id, { controller, done });
    try {
      return await done;
    } finally {
      this.running.delete(task.id);
    }
  }

  private async runClaimed(task: Task, runFor: RunFor, phase: 'run' | 'later', controller: AbortController): Promise<Task> {
    const { db, skills, client } = this.deps;
    const log = this.deps.logger.child({ task: task.id, skill: task.skill });
    const skill = skills.get(task.skill);
    try {
      if (!skill) throw new Error(`no skill named "${task.skill}" in this version of the bot`);
      if (phase === 'run') {
        const refusal = skills.refusal(skill, { isAdmin: runFor.isAdmin });
        if (refusal) throw new SkillPermissionError(refusal);
      } else if (!skill.runLater) {
        throw new Error(`the ${skill.name} skill has no follow-up step`);
      }
      const timeoutMs = skills.timeoutOf(skill);
      const ctx = this.context(task, skill, runFor, phase, controller.signal, log);
      const work = (async () => {
        if (phase === 'later') return skill.runLater!(task.input, ctx);
        const input = skill.parse(task.input, { now: ctx.now, timezone: ctx.timezone });
        return skill.run(input, ctx);
      })();
      const result = await withTimeout(work, timeoutMs, controller);
      const output = typeof result === 'string' ? result : String(result ?? '');
      if (runFor.post && task.channelId) {
        try {
          await postToChannel(client, task.channelId, output, phase === 'later' ? runFor.userId : null);
        } catch (e) {
          // The skill did its work; keep the output with the reason it was not delivered.
          const error = `could not post the output in channel ${task.channelId}: ${(e as Error).message}`;
          log.warn({ err: error, scheduleId: task.scheduleId ?? undefined }, `task ${task.id.slice(0, 8)} (${task.skill}) failed: ${error}`);
          return await db.tasks.updateTask({ id: task.id, status: 'failed', output, error });
        }
      }
      const row = await db.tasks.updateTask({ id: task.id, status: 'completed', output, error: null });
      log.debug({}, `task ${task.id.slice(0, 8)} (${task.skill}) completed`);
      return row;
    } catch (e) {
      const error = errorText(e);
      const expected = e instanceof SkillInputError || e instanceof SkillPermissionError;
      log[expected ? 'info' : 'warn']({ err: error, scheduleId: task.scheduleId ?? undefined }, `task ${task.id.slice(0, 8)} (${task.skill}) failed: ${error}`);
      try {
        return await db.tasks.updateTask({ id: task.id, status: 'failed', error });
      } catch (e2) {
        // Left in_progress only if the database is gone; the next start (failInProgress) or sweep fails it.
        log.error({ err: (e2 as Error).message }, 'could not mark the task failed');
        return Object.assign(task, { status: 'failed', error });
      }
    }
  }

  private context(task: Task, skill: Skill<unknown>, runFor: RunFor, phase: 'run' | 'later', signal: AbortSignal, logger: Logger): SkillContext {
    const { db, client } = this.deps;
    const activity = this.activity;
    const need = (p: SkillPermission) => {
      if (!skill.permissions.includes(p)) throw new SkillPermissionError(`the ${skill.name} skill did not declare the ${p} permission`);
    };
    const channel = () => {
      if (!task.channelId) throw new Error('this run has no channel to post in');
      return task.channelId;
    };
    return {
      taskId: task.id,
      phase,
      channelId: task.channelId,
      guildId: runFor.guildId,
      user: runFor.userId ? { id: runFor.userId } : null,
      isAdmin: runFor.isAdmin,
      timezone: runFor.timezone ?? 'UTC',
      now: new Date(),
      stores: {
        get activity() {
          need('read_messages');
          return activity;
        },
      },
      logger,
      signal,
      post: async (content) => {
        need('post_messages');
        signal.throwIfAborted();
        await postToChannel(client, channel(), content);
      },
      later: async (runAt, input) => {
        need('post_messages');
        signal.throwIfAborted();
        const t = await db.tasks.createTask({ sessionId: task.sessionId, skill: skill.name, input, channelId: channel(), runAt });
        return { taskId: t.id, runAt };
      },
    };
  }
}

/** Settles with `work`, or rejects when the time limit passes or the controller is aborted (the skill's signal fires either way). */
function withTimeout<T>(work: Promise<T>, ms: number, controller: AbortController): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const { signal } = controller;
    const onAbort = () => reject(signal.reason);
    const timer = setTimeout(() => controller.abort(new TaskTimeoutError(ms)), ms);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

function errorText(e: unknown): string {
  if (e instanceof SkillInputError) return `input: ${e.message}`;
  if (e instanceof SkillPermissionError) return `not allowed: ${e.message}`;
  const msg = e instanceof Error ? e.message : String(e);
  return (msg || (e as Error)?.name || 'unknown error').slice(0, 2000);
}
