import { randomUUID } from 'node:crypto';
import { In, MoreThan, type EntityManager } from 'typeorm';
import { Schedule } from '../../entities/Schedule';
import { Task } from '../../entities/Task';
import type { StoreContext } from '../database';
import { NotFoundError } from '../errors';
import { isUuid } from './ids';

export interface NewSchedule {
  skill: string;
  cronExpression: string;
  input?: string;
  enabled?: boolean;
  channelId: string;
  guildId?: string | null;
  timezone?: string;
  createdBy?: string | null;
  nextRunAt?: Date | null;
}

export type ScheduleChanges = Partial<Pick<Schedule, 'skill' | 'cronExpression' | 'input' | 'enabled' | 'channelId' | 'timezone' | 'nextRunAt' | 'lastRunAt'>>;

/** `schedules`: cron schedules; a run is claimed in the database so several bots run it once. */
export class ScheduleStore {
  constructor(private readonly ctx: StoreContext) {}

  private get repo() {
    return this.ctx.manager.getRepository(Schedule);
  }

  /** Runs a write and, once committed, tells the change feed (the scheduler reloads). */
  private async changed<T>(what: string, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const out = await this.ctx.write(what, fn);
    this.ctx.changes.emit('change', 'schedules');
    return out;
  }

  async createSchedule(input: NewSchedule): Promise<Schedule> {
    const now = new Date();
    const row = this.repo.create({
      id: randomUUID(),
      skill: input.skill,
      cronExpression: input.cronExpression,
      input: input.input ?? '',
      enabled: input.enabled ?? true,
      channelId: input.channelId,
      guildId: input.guildId ?? null,
      timezone: input.timezone ?? 'UTC',
      createdBy: input.createdBy ?? null,
      lastRunAt: null,
      nextRunAt: input.nextRunAt ?? null,
      createdAt: now,
      updatedAt: now,
    });
    await this.changed('insert schedules', (em) => em.insert(Schedule, row));
    return row;
  }

  async getSchedule(id: string): Promise<Schedule | null> {
    if (!isUuid(id)) return null;
    return this.repo.findOneBy({ id });
  }

  async listSchedules(opts: { enabledOnly?: boolean } = {}): Promise<Schedule[]> {
    return this.repo.find({ where: opts.enabledOnly ? { enabled: true } : {}, order: { createdAt: 'ASC' } });
  }

  async updateSchedule(id: string, changes: ScheduleChanges): Promise<Schedule> {
    return this.changed('update schedules', async (em) => {
      const row = isUuid(id) ? await em.findOneBy(Schedule, { id }) : null;
      if (!row) throw new NotFoundError('schedule', id);
      Object.assign(row, changes, { updatedAt: new Date() });
      await em.update(Schedule, { id }, { ...changes, updatedAt: row.updatedAt });
      return row;
    });
  }

  async deleteSchedule(id: string): Promise<void> {
    await this.changed('delete schedules', async (em) => {
      const res = isUuid(id) ? await em.delete(Schedule, { id }) : { affected: 0 };
      if (!res.affected) throw new NotFoundError('schedule', id);
    });
  }

  /**
   * Claims the run due at `dueAt`: moves next_run_at from `dueAt` to `nextRunAt` and sets
   * last_run_at, only if no one else did. Exactly one process wins each run.
   */
  async claimRun(id: string, dueAt: Date, nextRunAt: Date | null, now = new Date()): Promise<boolean> {
    return this.ctx.write('claim schedules', async (em) => {
      const res = await em.createQueryBuilder().update(Schedule).set({ nextRunAt, lastRunAt: now, updatedAt: now }).where('id = :id AND enabled = :enabled AND next_run_at = :dueAt', { id, enabled: true, dueAt }).execute();
      return (res.affected ?? 0) > 0;
    });
  }

  /**
   * Moves next_run_at from `expected` (null: unset) to `next` without a run: the first
   * computation, a run skipped because it was missed. False when someone else moved it first.
   */
  async advanceNextRun(id: string, expected: Date | null, next: Date | null, now = new Date()): Promise<boolean> {
    return this.ctx.write('update schedules', async (em) => {
      const qb = em.createQueryBuilder().update(Schedule).set({ nextRunAt: next, updatedAt: now });
      if (expected) qb.where('id = :id AND next_run_at = :expected', { id, expected });
      else qb.where('id = :id AND next_run_at IS NULL', { id });
      const res = await qb.execute();
      return (res.affected ?? 0) > 0;
    });
  }

  /**
   * Starts a run of a schedule in one transaction:
   * - with `claim`, first claims the run due at `claim.dueAt` like `claimRun` (exactly one process
   *   wins; `claimed: false` for the others);
   * - then, unless a task of this schedule is still pending or in progress (runs never overlap:
   *   `busy` is that task and the run is skipped; tasks not updated since `opts.staleBefore` do
   *   not count), inserts the run's pending task.
   * The claim and the task commit together, so a process that sees the moved next_run_at also
   * sees the task of the run before it.
   */
  async startRun(
    id: string,
    task: { skill: string; input: string; channelId: string },
    claim?: { dueAt: Date; nextRunAt: Date | null },
    now = new Date(),
    opts: { staleBefore?: Date } = {},
  ): Promise<{ claimed: boolean; task: Task | null; busy: Task | null }> {
    return this.ctx.write('start schedule run', async (em) => {
      if (claim) {
        const res = await em
          .createQueryBuilder()
          .update(Schedule)
          .set({ nextRunAt: claim.nextRunAt, lastRunAt: now, updatedAt: now })
          .where('id = :id AND enabled = :enabled AND next_run_at = :dueAt', { id, enabled: true, dueAt: claim.dueAt })
          .execute();
        if (!(res.affected ?? 0)) return { claimed: false, task: null, busy: null };
      } else if (!isUuid(id) || !(await em.findOneBy(Schedule, { id }))) {
        throw new NotFoundError('schedule', id);
      }
      // Unfinished tasks not touched since `staleBefore` were abandoned by a dead process: they
      // do not block (the task runner's sweep fails them).
      const busy = await em.findOne(Task, {
        where: { scheduleId: id, status: In(['pending', 'in_progress']), ...(opts.staleBefore ? { updatedAt: MoreThan(opts.staleBefore) } : {}) },
        order: { createdAt: 'ASC' },
      });
      if (busy) return { claimed: true, task: null, busy };
      const row = em.create(Task, {
        id: randomUUID(),
        sessionId: null,
        scheduleId: id,
        skill: task.skill,
        input: task.input,
        output: null,
        status: 'pending',
        error: null,
        channelId: task.channelId,
        runAt: null,
        createdAt: now,
        updatedAt: now,
      });
      await em.insert(Task, row);
      return { claimed: true, task: row, busy: null };
    });
  }
}
