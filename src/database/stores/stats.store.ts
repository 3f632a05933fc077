import type { SelectQueryBuilder } from 'typeorm';
import { Message } from '../../entities/Message';
import { Session } from '../../entities/Session';
import { User } from '../../entities/User';
import type { StoreContext } from '../database';
import type { Driver } from '../data-source';
import { dateValue } from '../sql-values';

export type StatsBucket = 'day' | 'hour';

export interface StatsQuery {
  /** One channel, or every channel of one guild. */
  scope: { channelId: string } | { guildId: string };
  /** Inclusive start; align it to the bucket (UTC midnight or a whole hour) for whole buckets. */
  since: Date;
  /** Exclusive end. */
  until: Date;
  bucket: StatsBucket;
  /** How many top posters to return (default 5). */
  top?: number;
}

export interface MessageStats {
  messages: number;
  activeUsers: number;
  /** Most messages first; `name` is the display name, else the username. */
  topPosters: { userId: string; discordUserId: string; name: string | null; messages: number }[];
  /** Messages per hour of the day (UTC), index 0–23. */
  byHourOfDay: number[];
  /** Messages per bucket from `since` to `until`, every bucket present (zeros too). Keys: `YYYY-MM-DD` or `YYYY-MM-DD HH:00` (UTC). */
  series: { bucket: string; messages: number }[];
}

interface BucketSql {
  /** `YYYY-MM-DD HH:00` (UTC) of m.created_at. */
  hour: string;
}

/** UTC bucketing per driver: SQLite keeps `datetime` as UTC text, PostgreSQL `timestamptz`. */
const BUCKETS: Record<Driver, BucketSql> = {
  sqlite: {
    hour: "strftime('%Y-%m-%d %H:00', m.created_at)",
  },
  postgres: {
    hour: "to_char(date_trunc('hour', m.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:00')",
  },
};

/**
 * Read-only aggregates over `messages` for `/stats`, computed in SQL (GROUP BY) on either driver.
 * Counts people's messages only (role `user`), never deleted ones; a message's author is its
 * session's user (the recorder puts a person's messages in their own session).
 */
export class StatsStore {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Two passes over the window (idx_messages_channel_created for a channel; the partial covering
   * idx_messages_guild_created_user for a server): messages per UTC hour, from which the total, the
   * hours of the day and the day series are summed here; and messages per person, of which the top
   * posters are joined to `users` (only they, not every message) and the window function counts the people.
   */
  async messageStats(q: StatsQuery): Promise<MessageStats> {
    const sql = BUCKETS[this.ctx.driver];
    const perHour = await this.base(q).select(sql.hour, 'b').addSelect('COUNT(*)', 'n').groupBy(sql.hour).getRawMany<{ b: string; n: string | number }>();
    // Per session first (read from the index alone), then each session once to its person: the
    // join to `sessions` costs a lookup per session, not per message.
    const perSession = this.base(q).select('m.session_id', 'sid').addSelect('COUNT(*)', 'n').groupBy('m.session_id');
    const perUser = this.ctx.manager
      .createQueryBuilder()
      .select('s.user_id', 'uid')
      .addSelect('SUM(x.n)', 'n')
      .from(`(${perSession.getQuery()})`, 'x')
      .innerJoin(Session, 's', 's.id = x.sid')
      .groupBy('s.user_id')
      .setParameters(perSession.getParameters());
    const top = await this.ctx.manager
      .createQueryBuilder()
      .select('u.id', 'id')
      .addSelect('u.channel_user_id', 'cuid')
      .addSelect('COALESCE(u.display_name, u.username)', 'name')
      .addSelect('t.n', 'n')
      .addSelect('COUNT(*) OVER ()', 'people')
      .from(`(${perUser.getQuery()})`, 't')
      .innerJoin(User, 'u', 'u.id = t.uid')
      .setParameters(perUser.getParameters())
      .orderBy('t.n', 'DESC')
      .addOrderBy('u.channel_user_id', 'ASC')
      .limit(q.top ?? 5)
      .getRawMany<{ id: string; cuid: string; name: string | null; n: string | number; people: string | number }>();

    const byHourOfDay = new Array<number>(24).fill(0);
    const counted = new Map<string, number>();
    let messages = 0;
    for (const r of perHour) {
      const n = Number(r.n);
      messages += n;
      byHourOfDay[Number(r.b.slice(11, 13))] += n;
      const key = q.bucket === 'day' ? r.b.slice(0, 10) : r.b;
      counted.set(key, (counted.get(key) ?? 0) + n);
    }
    return {
      messages,
      activeUsers: Number(top[0]?.people ?? 0),
      topPosters: top.map((r) => ({ userId: r.id, discordUserId: r.cuid, name: r.name, messages: Number(r.n) })),
      byHourOfDay,
      series: bucketKeys(q.since, q.until, q.bucket).map((bucket) => ({ bucket, messages: counted.get(bucket) ?? 0 })),
    };
  }

  /**
   * messages m, filtered to the scope, the window, role user and not deleted (every message has a
   * session: `session_id` is NOT NULL with a foreign key, so no join is needed to count them).
   */
  private base(q: StatsQuery): SelectQueryBuilder<Message> {
    const driver = this.ctx.driver;
    const qb = this.ctx.manager
      .createQueryBuilder(Message, 'm')
      .where("m.role = 'user'")
      .andWhere('m.deleted_at IS NULL')
      .andWhere('m.created_at >= :since', { since: dateValue(driver, q.since) })
      .andWhere('m.created_at < :until', { until: dateValue(driver, q.until) });
    if ('channelId' in q.scope) qb.andWhere('m.channel_id = :channelId', { channelId: q.scope.channelId });
    else qb.andWhere('m.guild_id = :guildId', { guildId: q.scope.guildId });
    return qb;
  }
}

/** Every bucket key from `since` (floored to the bucket) up to `until`, in the SQL's format. */
export function bucketKeys(since: Date, until: Date, bucket: StatsBucket): string[] {
  const step = bucket === 'day' ? 86_400_000 : 3_600_000;
  const keys: string[] = [];
  for (let t = Math.floor(since.getTime() / step) * step; t < until.getTime(); t += step) {
    const iso = new Date(t).toISOString();
    keys.push(bucket === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00`);
  }
  return keys;
}
