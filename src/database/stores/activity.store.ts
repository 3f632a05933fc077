import { Message } from '../../entities/Message';
import { Session } from '../../entities/Session';
import { User } from '../../entities/User';
import { decodeContent } from '../content-codec';
import type { StoreContext } from '../database';
import { parseDbDate } from '../sql-values';

/** Where and when: one channel, or a whole server, over [since, until). */
export interface ActivityScope {
  channelId?: string;
  guildId?: string;
  since: Date;
  until: Date;
}

export interface ActivityThread {
  /** Discord id of the first message of the chain seen in the period. */
  rootMessageId: string;
  channelId: string;
  /** Who wrote the root; its first line, trimmed ('' when content is not recorded). */
  author: string;
  snippet: string;
  messages: number;
  people: number;
  startedAt: Date;
}

export interface ActivitySummary {
  /** People's messages (role `user`, not deleted) in the period. */
  messages: number;
  /** Distinct people who wrote them. */
  people: number;
  /** Hour of day (0–23, in `timezone`) with the most messages, and how many; null when none. */
  busiestHour: { hour: number; messages: number } | null;
  /** Reply chains (messages.reply_to_id) with at least one reply, largest first. */
  threads: ActivityThread[];
  /** True when the period had more rows than were loaded for threads and hours (the newest were used). */
  truncated: boolean;
}

interface Row {
  mid: string | null;
  rid: string | null;
  cid: string;
  at: string | Date;
  uid: string;
}

const MAX_ROWS = 20_000;

/**
 * Read-only aggregations over recorded messages, for skills (`digest`). Totals are SQL (COUNT,
 * COUNT DISTINCT: portable); reply chains and the busiest hour of day are computed in TypeScript
 * from at most 20,000 narrow rows (ids, time, author — no content), since walking reply chains and
 * bucketing hours in a time zone are not portable SQL. Content is read only for the top threads.
 */
export class ActivityStore {
  constructor(private readonly ctx: StoreContext) {}

  private base(scope: ActivityScope) {
    const qb = this.ctx.manager
      .createQueryBuilder()
      .from(Message, 'm')
      .innerJoin(Session, 's', 's.id = m.session_id')
      .where('m.role = :role', { role: 'user' })
      .andWhere('m.deleted_at IS NULL')
      .andWhere('m.created_at >= :since', { since: scope.since })
      .andWhere('m.created_at < :until', { until: scope.until });
    if (scope.channelId) qb.andWhere('m.channel_id = :channelId', { channelId: scope.channelId });
    if (scope.guildId) qb.andWhere('m.guild_id = :guildId', { guildId: scope.guildId });
    return qb;
  }

  async summarize(scope: ActivityScope, opts: { timezone?: string; topThreads?: number; maxRows?: number } = {}): Promise<ActivitySummary> {
    if (!scope.channelId && !scope.guildId) throw new Error('activity: a channel or a guild is required');
    const totals = await this.base(scope).select('COUNT(*)', 'messages').addSelect('COUNT(DISTINCT s.user_id)', 'people').getRawOne<{ messages: string | number; people: string | number }>();
    const messages = Number(totals?.messages ?? 0);
    const people = Number(totals?.people ?? 0);
    if (!messages) return { messages: 0, people: 0, busiestHour: null, threads: [], truncated: false };

    const maxRows = opts.maxRows ?? MAX_ROWS;
    const rows = await this.base(scope)
      .select('m.discord_message_id', 'mid')
      .addSelect('m.reply_to_id', 'rid')
      .addSelect('m.channel_id', 'cid')
      .addSelect('m.created_at', 'at')
      .addSelect('s.user_id', 'uid')
      .orderBy('m.created_at', 'DESC')
      .limit(maxRows)
      .getRawMany<Row>();

    const busiestHour = busiest(rows, opts.timezone ?? 'UTC');
    const threads = await this.threads(rows, opts.topThreads ?? 3);
    return { messages, people, busiestHour, threads, truncated: rows.length < messages };
  }

  /** Groups messages into reply chains: each message joins the chain of the message it replies to. */
  private async threads(rows: Row[], top: number): Promise<ActivityThread[]> {
    const byId = new Map<string, Row>();
    for (const r of rows) if (r.mid) byId.set(r.mid, r);
    const rootOf = new Map<string, string>();
    const findRoot = (r: Row): string => {
      const seen: string[] = [];
      let cur = r;
      // Walk up while the parent is in the period; iterative, and cycle-safe.
      for (;;) {
        const known = cur.mid ? rootOf.get(cur.mid) : undefined;
        if (known) {
          for (const s of seen) rootOf.set(s, known);
          return known;
        }
        if (cur.mid) seen.push(cur.mid);
        const parent = cur.rid ? byId.get(cur.rid) : undefined;
        if (!parent || !parent.mid || seen.includes(parent.mid)) break;
        cur = parent;
      }
      const root = cur.mid ?? '';
      for (const s of seen) rootOf.set(s, root);
      return root;
    };
    const groups = new Map<string, { rows: Row[]; people: Set<string> }>();
    for (const r of rows) {
      if (!r.mid) continue;
      const root = findRoot(r);
      let g = groups.get(root);
      if (!g) groups.set(root, (g = { rows: [], people: new Set() }));
      g.rows.push(r);
      g.people.add(r.uid);
    }
    const ranked = [...groups.entries()]
      .filter(([, g]) => g.rows.length >= 2)
      .map(([root, g]) => ({ root, g, start: Math.min(...g.rows.map((r) => parseDbDate(r.at))) }))
      .sort((a, b) => b.g.rows.length - a.g.rows.length || b.g.people.size - a.g.people.size || a.start - b.start)
      .slice(0, top);
    if (!ranked.length) return [];
    const roots = await this.ctx.manager
      .createQueryBuilder()
      .from(Message, 'm')
      .innerJoin(Session, 's', 's.id = m.session_id')
      .innerJoin(User, 'u', 'u.id = s.user_id')
      .select('m.discord_message_id', 'mid')
      .addSelect('m.content', 'content')
      .addSelect('m.content_escaped', 'escaped')
      .addSelect('u.display_name', 'displayName')
      .addSelect('u.username', 'username')
      .where('m.discord_message_id IN (:...ids)', { ids: ranked.map((r) => r.root) })
      .getRawMany<{ mid: string; content: string; escaped: boolean | number; displayName: string | null; username: string | null }>();
    const info = new Map(roots.map((r) => [r.mid, r]));
    return ranked.map(({ root, g, start }) => {
      const r = info.get(root);
      const content = r ? decodeContent(r.content, !!r.escaped) : '';
      return {
        rootMessageId: root,
        channelId: byId.get(root)?.cid ?? g.rows[0].cid,
        author: r?.displayName ?? r?.username ?? 'someone',
        snippet: snippet(content),
        messages: g.rows.length,
        people: g.people.size,
        startedAt: new Date(start),
      };
    });
  }
}

function busiest(rows: Row[], timezone: string): { hour: number; messages: number } | null {
  if (!rows.length) return null;
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', hourCycle: 'h23' });
  const counts = new Array<number>(24).fill(0);
  for (const r of rows) counts[Number(fmt.format(new Date(parseDbDate(r.at)))) % 24]++;
  let hour = 0;
  for (let h = 1; h < 24; h++) if (counts[h] > counts[hour]) hour = h;
  return { hour, messages: counts[hour] };
}

function snippet(content: string): string {
  const line = content.split('\n').find((l) => l.trim()) ?? '';
  const t = line.trim().replace(/\s+/g, ' ');
  return t.length > 80 ? `${t.slice(0, 79)}…` : t;
}
