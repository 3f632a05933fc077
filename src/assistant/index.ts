import type { Client } from 'discord.js';
import type { Config } from '../config';
import type { ChangeFeed } from '../database/change-feed';
import type { Database } from '../database/database';
import type { Logger } from '../logger';
import { BUILTIN_SKILLS, SkillRegistry, type Skill } from '../skills';
import { LogRetention } from './log-retention';
import { Scheduler, type SchedulerOptions } from './scheduler';
import { TaskRunner, type TaskRunnerOptions } from './task-runner';

export { LogRetention } from './log-retention';
export { Scheduler, type SchedulerOptions } from './scheduler';
export { TaskRunner, type TaskRunnerOptions } from './task-runner';

export interface AssistantOptions {
  /** Skills besides the built-in ones (tests inject some). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  skills?: Skill<any>[];
  taskRunner?: TaskRunnerOptions;
  scheduler?: SchedulerOptions;
}

export interface Assistant {
  skills: SkillRegistry;
  tasks: TaskRunner;
  scheduler: Scheduler;
  logRetention: LogRetention;
  /** Stops the scheduler, then the task runner (running tasks end `failed`), then the retention job. */
  stop(): Promise<void>;
}

/**
 * The assistant side, started once the bot is connected: syncs the shipped skills into `skills`
 * (removed ones get removed_at), fails tasks a crash left in progress, starts the task runner
 * (follow-ups such as reminders), the scheduler and the daily log purge.
 */
export async function startAssistant(deps: { db: Database; client: Client; feed: ChangeFeed; logger: Logger; config: Config }, opts: AssistantOptions = {}): Promise<Assistant> {
  const { db, client, feed, logger, config } = deps;
  const skills = new SkillRegistry([...BUILTIN_SKILLS, ...(opts.skills ?? [])]);
  const synced = await db.skills.syncSkills(skills.definitions());
  if (synced.added.length || synced.updated.length || synced.removed.length) logger.child({ source: 'skills' }).info(synced, `skills synced: ${skills.names().join(', ')}`);
  const tasks = new TaskRunner({ db, client, skills, logger: logger.child({ source: 'tasks' }) }, opts.taskRunner);
  await tasks.recover();
  tasks.start();
  const scheduler = new Scheduler({ db, feed, runner: tasks, logger: logger.child({ source: 'scheduler' }) }, opts.scheduler);
  const logRetention = new LogRetention(db.logs, logger.child({ source: 'logs' }), { days: config.logRetentionDays });
  try {
    await scheduler.start();
    await logRetention.start();
  } catch (e) {
    await scheduler.stop();
    await tasks.stop();
    throw e;
  }
  return {
    skills,
    tasks,
    scheduler,
    logRetention,
    async stop() {
      await scheduler.stop();
      await tasks.stop();
      await scheduler.idle();
      await logRetention.stop();
    },
  };
}
