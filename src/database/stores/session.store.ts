import { uuidV7 } from '../uuid-v7';
import { IsNull, MoreThan } from 'typeorm';
import { Message } from '../../entities/Message';
import { Session, SESSION_TOUCH_MS } from '../../entities/Session';
import type { StoreContext } from '../database';
import { NotFoundError } from '../errors';
import { isUuid } from './ids';

export interface NewSession {
  userId: string;
  channelId: string;
  guildId?: string | null;
  createdAt?: Date;
}

/** `sessions`: a user's conversation in one channel. */
export class SessionStore {
  constructor(private readonly ctx: StoreContext) {}

  private get repo() {
    return this.ctx.manager.getRepository(Session);
  }

  async createSession(input: NewSession): Promise<Session> {
    const at = input.createdAt ?? new Date();
    const row = this.repo.create({ id: uuidV7(), userId: input.userId, channelId: input.channelId, guildId: input.guildId ?? null, createdAt: at, updatedAt: at, endedAt: null });
    await this.ctx.write('insert sessions', (em) => em.insert(Session, row));
    return row;
  }

  async getSession(id: string): Promise<Session | null> {
    if (!isUuid(id)) return null;
    return this.repo.findOneBy({ id });
  }

  /**
   * The user's open session in the channel: not ended, last message younger than `idleMs`. Its
   * `updatedAt` is the exact time of that last message (the stored column may lag it by up to
   * SESSION_TOUCH_MS, so candidates are taken by the column and decided by their newest message).
   */
  async findOpenSession(input: { userId: string; channelId: string; idleMs: number; now?: Date }): Promise<Session | null> {
    const since = (input.now ?? new Date()).getTime() - input.idleMs;
    const candidates = await this.repo.find({
      where: { userId: input.userId, channelId: input.channelId, endedAt: IsNull(), updatedAt: MoreThan(new Date(since - SESSION_TOUCH_MS)) },
      order: { updatedAt: 'DESC' },
    });
    let open: Session | null = null;
    for (const s of candidates) {
      const last = await this.ctx.manager.getRepository(Message).findOne({ where: { sessionId: s.id }, order: { createdAt: 'DESC' }, select: { id: true, createdAt: true } });
      if (last && last.createdAt > s.updatedAt) s.updatedAt = last.createdAt;
      if (s.updatedAt.getTime() > since && (!open || s.updatedAt > open.updatedAt)) open = s;
    }
    return open;
  }

  async endSession(id: string, at = new Date()): Promise<Session> {
    return this.ctx.write('end sessions', async (em) => {
      const row = isUuid(id) ? await em.findOneBy(Session, { id }) : null;
      if (!row) throw new NotFoundError('session', id);
      if (!row.endedAt) {
        row.endedAt = at;
        await em.update(Session, { id }, { endedAt: at });
      }
      return row;
    });
  }

  /**
   * Ends `endSessionId` (when given and still open) and starts a new session, in one transaction
   * (`/session new`). The recorder's cached session must be invalidated afterwards.
   */
  async startFreshSession(input: NewSession & { endSessionId?: string | null }): Promise<Session> {
    const at = input.createdAt ?? new Date();
    const row = this.repo.create({ id: uuidV7(), userId: input.userId, channelId: input.channelId, guildId: input.guildId ?? null, createdAt: at, updatedAt: at, endedAt: null });
    return this.ctx.write('restart sessions', async (em) => {
      if (input.endSessionId && isUuid(input.endSessionId)) await em.update(Session, { id: input.endSessionId, endedAt: IsNull() }, { endedAt: at });
      await em.insert(Session, row);
      return row;
    });
  }

  /** Ends every open session of the user in the channel; returns how many. */
  async endOpenSessions(userId: string, channelId: string, at = new Date()): Promise<number> {
    return this.ctx.write('end sessions', async (em) => {
      const res = await em.update(Session, { userId, channelId, endedAt: IsNull() }, { endedAt: at });
      return res.affected ?? 0;
    });
  }

  async listSessionsForUser(userId: string): Promise<Session[]> {
    if (!isUuid(userId)) return [];
    return this.repo.find({ where: { userId }, order: { createdAt: 'ASC' } });
  }
}
