import { uuidV7 } from '../uuid-v7';
import { In } from 'typeorm';
import { fitName, User } from '../../entities/User';
import type { StoreContext } from '../database';
import { NotFoundError } from '../errors';
import { isUuid } from './ids';

export interface NewUser {
  channel: string;
  channelUserId: string;
  username?: string | null;
  displayName?: string | null;
}

/** `users`: one row per person per chat channel, unique on (channel, channel_user_id). */
export class UserStore {
  constructor(private readonly ctx: StoreContext) {}

  private get repo() {
    return this.ctx.manager.getRepository(User);
  }

  async createUser(input: NewUser): Promise<User> {
    const now = new Date();
    const row = this.repo.create({ id: uuidV7(), channel: input.channel, channelUserId: input.channelUserId, username: fitOrNull(input.username), displayName: fitOrNull(input.displayName), createdAt: now, updatedAt: now });
    await this.ctx.write('insert users', (em) => em.insert(User, row));
    return row;
  }

  async getUserById(id: string): Promise<User | null> {
    if (!isUuid(id)) return null;
    return this.repo.findOneBy({ id });
  }

  async getUserByChannel(input: { channel: string; channelUserId: string }): Promise<User | null> {
    return this.repo.findOneBy({ channel: input.channel, channelUserId: input.channelUserId });
  }

  async getUsersByChannel(channel: string, channelUserIds: string[]): Promise<User[]> {
    if (!channelUserIds.length) return [];
    return this.repo.findBy({ channel, channelUserId: In(channelUserIds) });
  }

  /** Finds the user or creates it; keeps username and display name current. */
  async ensureUser(input: NewUser): Promise<User> {
    const existing = await this.getUserByChannel(input);
    if (existing) {
      if ((input.username !== undefined && input.username !== existing.username) || (input.displayName !== undefined && input.displayName !== existing.displayName)) {
        return this.updateUser(existing.id, { username: input.username ?? existing.username, displayName: input.displayName ?? existing.displayName });
      }
      return existing;
    }
    try {
      return await this.createUser(input);
    } catch (e) {
      const raced = await this.getUserByChannel(input);
      if (raced) return raced;
      throw e;
    }
  }

  async updateUser(id: string, fields: { username?: string | null; displayName?: string | null }): Promise<User> {
    return this.ctx.write('update users', async (em) => {
      const row = isUuid(id) ? await em.findOneBy(User, { id }) : null;
      if (!row) throw new NotFoundError('user', id);
      if (fields.username !== undefined) row.username = fitOrNull(fields.username);
      if (fields.displayName !== undefined) row.displayName = fitOrNull(fields.displayName);
      row.updatedAt = new Date();
      await em.save(User, row);
      return row;
    });
  }

  async listUsers(channel?: string): Promise<User[]> {
    return this.repo.find({ where: channel ? { channel } : {}, order: { createdAt: 'ASC' } });
  }

  async countUsers(): Promise<number> {
    return this.repo.count();
  }
}

const fitOrNull = (name: string | null | undefined): string | null => (name == null ? null : fitName(name));
