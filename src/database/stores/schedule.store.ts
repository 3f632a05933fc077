import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Schedule } from '../../entities/Schedule';
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
      const res = await em
        .createQueryBuilder()
        .update(Schedule)
        .set({ nextRunAt, lastRunAt: now, updatedAt: now })
        .where('id = :id AND enabled = :enabled AND next_run_at = :dueAt', { id, enabled: true, dueAt })
        .execute();
      return (res.affected ?? 0) > 0;
    });
  }
}
