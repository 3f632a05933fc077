import { randomBytes } from 'node:crypto';
import { IsNull, Not, type EntityManager } from 'typeorm';
import { BotStatus, botStatusProblems, type ActivityKind, type PresenceStatus } from '../../entities/BotStatus';
import type { StoreContext } from '../database';
import { NotFoundError, ValidationError } from '../errors';

export interface NewBotStatus {
  id?: string;
  status?: PresenceStatus;
  activityType?: ActivityKind;
  activity?: string | null;
  url?: string | null;
  isActive?: boolean;
  rotationPosition?: number | null;
  rotationSeconds?: number;
  startsAt?: Date | null;
  endsAt?: Date | null;
  cronExpression?: string | null;
  timezone?: string;
  durationSeconds?: number | null;
  locale?: string | null;
}

const BOT_STATUS_LOCK_KEY = 727_001_043;

/** `bot_status`: the bot's presence rows. At most one row is active, enforced in one transaction. */
export class BotStatusStore {
  constructor(private readonly ctx: StoreContext) {}

  private get repo() {
    return this.ctx.manager.getRepository(BotStatus);
  }

  /** Runs a write and, once committed, tells the change feed (presence follows). */
  private async changed<T>(what: string, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const out = await this.ctx.write(what, async (em) => {
      // Serialise writers of bot_status: under READ COMMITTED two concurrent activations could
      // otherwise each clear the old row and both leave theirs active. (SQLite writers are
      // already serialised.)
      if (this.ctx.driver === 'postgres') await em.query('SELECT pg_advisory_xact_lock($1)', [BOT_STATUS_LOCK_KEY]);
      return fn(em);
    });
    this.ctx.changes.emit('change', 'bot_status');
    return out;
  }

  /** The active row, or null (the bot then shows online with no activity). */
  async getActiveBotStatus(): Promise<BotStatus | null> {
    return this.repo.findOne({ where: { isActive: true }, order: { updatedAt: 'DESC' } });
  }

  async getBotStatus(id: string): Promise<BotStatus | null> {
    return this.repo.findOneBy({ id });
  }

  async listBotStatuses(): Promise<BotStatus[]> {
    return this.repo.find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Creates a row (id `bot-xxxxxx` unless given); with `isActive` it becomes the only active one. */
  async createBotStatus(input: NewBotStatus): Promise<BotStatus> {
    const now = new Date();
    const row = this.repo.create({
      id: input.id ?? `bot-${randomBytes(3).toString('hex')}`,
      status: input.status ?? 'online',
      activityType: input.activityType ?? 'playing',
      activity: input.activity ?? null,
      url: input.url ?? null,
      isActive: input.isActive ?? false,
      rotationPosition: input.rotationPosition ?? null,
      rotationSeconds: input.rotationSeconds ?? 60,
      startsAt: input.startsAt ?? null,
      endsAt: input.endsAt ?? null,
      cronExpression: input.cronExpression ?? null,
      timezone: input.timezone ?? 'UTC',
      durationSeconds: input.durationSeconds ?? null,
      locale: input.locale ?? null,
      createdAt: now,
      updatedAt: now,
    });
    assertValid(row);
    return this.changed('insert bot_status', async (em) => {
      if (row.isActive) await em.update(BotStatus, { isActive: true }, { isActive: false, updatedAt: now });
      await em.insert(BotStatus, row);
      return row;
    });
  }

  /** Changes a row's activity text (and, optionally, its other fields). */
  async updateBotActivity(input: { id: string; activity: string | null; activityType?: ActivityKind; status?: PresenceStatus; url?: string | null }): Promise<BotStatus> {
    return this.changed('update bot_status', async (em) => {
      const row = await em.findOneBy(BotStatus, { id: input.id });
      if (!row) throw new NotFoundError('bot_status', input.id);
      row.activity = input.activity;
      if (input.activityType !== undefined) row.activityType = input.activityType;
      if (input.status !== undefined) row.status = input.status;
      if (input.url !== undefined) row.url = input.url;
      assertValid(row);
      row.updatedAt = new Date();
      await em.save(BotStatus, row);
      return row;
    });
  }

  /** Makes `id` the only active row, in one transaction. */
  async activateBotStatus(id: string): Promise<BotStatus> {
    return this.changed('activate bot_status', async (em) => {
      const row = await em.findOneBy(BotStatus, { id });
      if (!row) throw new NotFoundError('bot_status', id);
      const now = new Date();
      await em.update(BotStatus, { isActive: true }, { isActive: false, updatedAt: now });
      await em.update(BotStatus, { id }, { isActive: true, updatedAt: now });
      return { ...row, isActive: true, updatedAt: now };
    });
  }

  /** No active row: the bot shows online with no activity. Returns how many rows were deactivated. */
  async clearActiveBotStatus(): Promise<number> {
    return this.changed('clear bot_status', async (em) => {
      const res = await em.update(BotStatus, { isActive: true }, { isActive: false, updatedAt: new Date() });
      return res.affected ?? 0;
    });
  }

  /** The rotation's rows in turn order (position, then id). */
  async listRotation(): Promise<BotStatus[]> {
    return this.repo.find({ where: { rotationPosition: Not(IsNull()) }, order: { rotationPosition: 'ASC', id: 'ASC' } });
  }

  /**
   * Puts a row in the rotation (at `position`, default after the last) for `seconds` a turn
   * (default: what the row has). Returns the row as stored.
   */
  async addToRotation(input: { id: string; seconds?: number; position?: number }): Promise<BotStatus> {
    return this.changed('rotation add bot_status', async (em) => {
      const row = await em.findOneBy(BotStatus, { id: input.id });
      if (!row) throw new NotFoundError('bot_status', input.id);
      if (input.seconds !== undefined) row.rotationSeconds = input.seconds;
      if (input.position !== undefined) row.rotationPosition = input.position;
      else if (row.rotationPosition == null) {
        const last: { max: number | string | null } | undefined = await em.createQueryBuilder(BotStatus, 'b').select('MAX(b.rotation_position)', 'max').getRawOne();
        row.rotationPosition = last?.max == null ? 1 : Number(last.max) + 1;
      }
      assertValid(row);
      row.updatedAt = new Date();
      await em.save(BotStatus, row);
      return row;
    });
  }

  /** Takes a row out of the rotation (it stays in the table). False when it was not in it. */
  async removeFromRotation(id: string): Promise<boolean> {
    return this.changed('rotation remove bot_status', async (em) => {
      const row = await em.findOneBy(BotStatus, { id });
      if (!row) throw new NotFoundError('bot_status', id);
      if (row.rotationPosition == null) return false;
      await em.update(BotStatus, { id }, { rotationPosition: null, updatedAt: new Date() });
      return true;
    });
  }

  /** Sets (or, with nulls, clears) a row's one-off window. Returns the row as stored. */
  async setWindow(input: { id: string; startsAt: Date | null; endsAt: Date | null }): Promise<BotStatus> {
    return this.changed('window bot_status', async (em) => {
      const row = await em.findOneBy(BotStatus, { id: input.id });
      if (!row) throw new NotFoundError('bot_status', input.id);
      row.startsAt = input.startsAt;
      row.endsAt = input.endsAt;
      assertValid(row);
      row.updatedAt = new Date();
      await em.save(BotStatus, row);
      return row;
    });
  }

  async deleteBotStatus(id: string): Promise<void> {
    await this.changed('delete bot_status', async (em) => {
      const res = await em.delete(BotStatus, { id });
      if (!res.affected) throw new NotFoundError('bot_status', id);
    });
  }
}

function assertValid(row: BotStatus): void {
  const problems = botStatusProblems(row);
  if (problems.length) throw new ValidationError('bot_status', problems.join('; '));
}
