import { randomUUID } from 'node:crypto';
import { In, LessThan } from 'typeorm';
import { Log, LOG_ROW_LEVELS, type LogRowLevel } from '../../entities/Log';
import type { StoreContext } from '../database';
import { ValidationError } from '../errors';

export interface NewLog {
  level: LogRowLevel;
  source: string;
  message: string;
  metadata?: Log['metadata'];
  createdAt?: Date;
}

/** `logs`: warnings and errors kept for `/logs`, written in batches by the logger's sink. */
export class LogStore {
  constructor(private readonly ctx: StoreContext) {}

  private get repo() {
    return this.ctx.manager.getRepository(Log);
  }

  async createLog(input: NewLog): Promise<Log> {
    const [row] = await this.insertLogs([input]);
    return row;
  }

  async insertLogs(inputs: NewLog[]): Promise<Log[]> {
    const rows = inputs.map((i) => {
      if (!(LOG_ROW_LEVELS as readonly string[]).includes(i.level)) throw new ValidationError('level', `must be one of ${LOG_ROW_LEVELS.join(', ')}`);
      return this.repo.create({ id: randomUUID(), level: i.level, source: i.source.slice(0, 64), message: i.message, metadata: i.metadata ?? null, createdAt: i.createdAt ?? new Date() });
    });
    if (rows.length) await this.ctx.write('insert logs', (em) => em.createQueryBuilder().insert().into(Log).values(rows).updateEntity(false).execute());
    return rows;
  }

  /** Newest first, at `minLevel` and above. */
  async listLogs(opts: { minLevel?: LogRowLevel; limit?: number; source?: string } = {}): Promise<Log[]> {
    const levels = LOG_ROW_LEVELS.slice(LOG_ROW_LEVELS.indexOf(opts.minLevel ?? 'debug'));
    return this.repo.find({ where: { level: In(levels), ...(opts.source ? { source: opts.source } : {}) }, order: { createdAt: 'DESC' }, take: opts.limit ?? 20 });
  }

  /** Deletes rows older than `before`; returns how many. */
  async purgeLogs(before: Date): Promise<number> {
    return this.ctx.write('purge logs', async (em) => {
      const res = await em.delete(Log, { createdAt: LessThan(before) });
      return res.affected ?? 0;
    });
  }
}
