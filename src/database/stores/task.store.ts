import { randomUUID } from 'node:crypto';
import { In, IsNull, LessThan, LessThanOrEqual } from 'typeorm';
import { Session } from '../../entities/Session';
import { Task, TASK_STATUSES, type TaskStatus } from '../../entities/Task';
import type { StoreContext } from '../database';
import { NotFoundError, ValidationError } from '../errors';
import { isUuid } from './ids';

export interface NewTask {
  sessionId?: string | null;
  scheduleId?: string | null;
  skill: string;
  input: string;
  channelId?: string | null;
  runAt?: Date | null;
  status?: TaskStatus;
}

/** `tasks`: skill runs and their lifecycle pending → in_progress → completed | failed. */
export class TaskStore {
  constructor(private readonly ctx: StoreContext) {}

  private get repo() {
    return this.ctx.manager.getRepository(Task);
  }

  async createTask(input: NewTask): Promise<Task> {
    const now = new Date();
    const row = this.repo.create({
      id: randomUUID(),
      sessionId: input.sessionId ?? null,
      scheduleId: input.scheduleId ?? null,
      skill: input.skill,
      input: input.input,
      output: null,
      status: input.status ?? 'pending',
      error: null,
      channelId: input.channelId ?? null,
      runAt: input.runAt ?? null,
      createdAt: now,
      updatedAt: now,
    });
    assertStatus(row.status);
    await this.ctx.write('insert tasks', (em) => em.insert(Task, row));
    return row;
  }

  async updateTask(input: { id: string; status?: TaskStatus; output?: string | null; error?: string | null }): Promise<Task> {
    if (input.status) assertStatus(input.status);
    return this.ctx.write('update tasks', async (em) => {
      const row = isUuid(input.id) ? await em.findOneBy(Task, { id: input.id }) : null;
      if (!row) throw new NotFoundError('task', input.id);
      if (input.status !== undefined) row.status = input.status;
      if (input.output !== undefined) row.output = input.output;
      if (input.error !== undefined) row.error = input.error;
      row.updatedAt = new Date();
      await em.update(Task, { id: row.id }, { status: row.status, output: row.output, error: row.error, updatedAt: row.updatedAt });
      return row;
    });
  }

  /** Moves a pending task to in_progress; false if another process took it first. */
  async claimTask(id: string): Promise<boolean> {
    return this.ctx.write('claim tasks', async (em) => {
      const res = await em.update(Task, { id, status: 'pending' }, { status: 'in_progress', updatedAt: new Date() });
      return (res.affected ?? 0) > 0;
    });
  }

  async getTask(id: string): Promise<Task | null> {
    if (!isUuid(id)) return null;
    return this.repo.findOneBy({ id });
  }

  async listTasksByStatus(status: TaskStatus, limit = 100): Promise<Task[]> {
    return this.repo.find({ where: { status }, order: { createdAt: 'ASC' }, take: limit });
  }

  async listTasksForSessions(sessionIds: string[], limit = 10): Promise<Task[]> {
    if (!sessionIds.length) return [];
    return this.repo.find({ where: { sessionId: In(sessionIds) }, order: { createdAt: 'DESC' }, take: limit });
  }

  async listTasksForSchedule(scheduleId: string, limit = 100): Promise<Task[]> {
    return this.repo.find({ where: { scheduleId }, order: { createdAt: 'ASC' }, take: limit });
  }

  /** Pending tasks whose run_at has come (or that have none), oldest first. */
  async listDueTasks(now = new Date(), limit = 50): Promise<Task[]> {
    return this.repo.find({
      where: [
        { status: 'pending', runAt: LessThanOrEqual(now) },
        { status: 'pending', runAt: IsNull() },
      ],
      order: { createdAt: 'ASC' },
      take: limit,
    });
  }

  /** A user's recent tasks (through their sessions), newest first. */
  async listTasksForUser(userId: string, limit = 10): Promise<Task[]> {
    if (!isUuid(userId)) return [];
    return this.repo.createQueryBuilder('t').innerJoin(Session, 's', 's.id = t.session_id').where('s.user_id = :userId', { userId }).orderBy('t.createdAt', 'DESC').limit(limit).getMany();
  }

  /** Pending follow-up tasks (with run_at, e.g. reminders) whose time has come, earliest first. */
  async listDueDeferred(now = new Date(), limit = 50): Promise<Task[]> {
    return this.repo.find({ where: { status: 'pending', runAt: LessThanOrEqual(now) }, order: { runAt: 'ASC' }, take: limit });
  }

  /**
   * Fails tasks nothing will finish: `in_progress` ones not updated since `updatedBefore` (their
   * process died), or `pending` ones without run_at not updated since then (created, never
   * started). Returns how many.
   */
  async failStale(input: { status: 'pending' | 'in_progress'; updatedBefore: Date; error: string }): Promise<number> {
    return this.ctx.write('update tasks', async (em) => {
      const where = { status: input.status, updatedAt: LessThan(input.updatedBefore), ...(input.status === 'pending' ? { runAt: IsNull() } : {}) };
      const res = await em.update(Task, where, { status: 'failed', error: input.error, updatedAt: new Date() });
      return res.affected ?? 0;
    });
  }

  /** Marks every in_progress task failed (after a crash: nothing is running them). */
  async failInProgress(error: string): Promise<number> {
    return this.ctx.write('update tasks', async (em) => {
      const res = await em.update(Task, { status: 'in_progress' }, { status: 'failed', error, updatedAt: new Date() });
      return res.affected ?? 0;
    });
  }
}

function assertStatus(status: string): void {
  if (!(TASK_STATUSES as readonly string[]).includes(status)) throw new ValidationError('status', `must be one of ${TASK_STATUSES.join(', ')}`);
}
