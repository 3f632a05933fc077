import { Message } from '../../entities/Message';
import { User } from '../../entities/User';
import type { StoreContext } from '../database';
import { dateValue } from '../sql-values';

/**
 * The values of the presence's `{variables}` that live in the database (read only). The presence
 * sync asks for them only when the live row uses them, at most once a refresh interval.
 */
export class PresenceValuesStore {
  constructor(private readonly ctx: StoreContext) {}

  /** `{messages_today}`: people's messages recorded since UTC midnight, deleted ones left out. */
  async messagesToday(now = new Date()): Promise<number> {
    const midnight = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    return this.ctx.manager
      .createQueryBuilder(Message, 'm')
      .where("m.role = 'user'")
      .andWhere('m.deleted_at IS NULL')
      .andWhere('m.created_at >= :since', { since: dateValue(this.ctx.driver, midnight) })
      .getCount();
  }

  /** `{users_seen}`: the people the bot has recorded (`users` rows). */
  async usersSeen(): Promise<number> {
    return this.ctx.manager.getRepository(User).count();
  }
}
