import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { PurgeRun } from '../../entities/PurgeRun';
import { RetentionRule } from '../../entities/RetentionRule';
import type { Driver } from '../data-source';
import type { StoreContext } from '../database';
import { UniqueViolationError, ValidationError } from '../errors';
import { dateValue, placeholder } from '../sql-values';

/** The longest retention a rule may set (ten years); 0 = for ever. */
export const MAX_RETENTION_DAYS = 3650;

export interface NewRetentionRule {
  channelId: string;
  guildId?: string | null;
  days: number;
  setBy?: string | null;
}

/** What one purge batch (or a whole run) deleted. */
export interface PurgeCounts {
  messages: number;
  revisions: number;
  reactions: number;
  attachments: number;
  sessions: number;
}

export const NO_PURGE: PurgeCounts = { messages: 0, revisions: 0, reactions: 0, attachments: 0, sessions: 0 };

export interface PurgeBatch extends PurgeCounts {
  /**
   * The SHA-256 of the stored files the deleted attachments had: the caller deletes the ones no
   * other attachment uses (the attachment store), then drops the list.
   */
  files: string[];
}

const EMPTY_SESSIONS = (p: (i: number) => string) =>
  `DELETE FROM sessions WHERE id IN (SELECT s.id FROM sessions s WHERE s.channel_id = ${p(1)} AND s.updated_at < ${p(2)}` +
  ` AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id) AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.session_id = s.id) LIMIT ${p(3)})`;

/** The purge's statements per driver; `ids` makes the one parameter a list of message ids is bound as. */
const PURGE_SQL = {
  sqlite: {
    ids: (ids: string[]) => JSON.stringify(ids),
    pick: 'SELECT id FROM messages WHERE channel_id = ? AND created_at < ? ORDER BY created_at, id LIMIT ?',
    files: 'SELECT DISTINCT sha256 FROM attachments WHERE message_id IN (SELECT value FROM json_each(?)) AND sha256 IS NOT NULL',
    revisions: 'DELETE FROM message_revisions WHERE message_id IN (SELECT value FROM json_each(?))',
    reactions: 'DELETE FROM reactions WHERE message_id IN (SELECT value FROM json_each(?))',
    pollVotes: 'DELETE FROM poll_votes WHERE message_id IN (SELECT value FROM json_each(?))',
    attachments: 'DELETE FROM attachments WHERE message_id IN (SELECT value FROM json_each(?))',
    messages: 'DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))',
    sessions: EMPTY_SESSIONS(() => '?'),
  },
  postgres: {
    ids: (ids: string[]) => ids,
    pick: 'SELECT id FROM messages WHERE channel_id = $1 AND created_at < $2 ORDER BY created_at, id LIMIT $3',
    files: 'SELECT DISTINCT sha256 FROM attachments WHERE message_id = ANY($1::uuid[]) AND sha256 IS NOT NULL',
    revisions: 'DELETE FROM message_revisions WHERE message_id = ANY($1::uuid[])',
    reactions: 'DELETE FROM reactions WHERE message_id = ANY($1::uuid[])',
    pollVotes: 'DELETE FROM poll_votes WHERE message_id = ANY($1::uuid[])',
    attachments: 'DELETE FROM attachments WHERE message_id = ANY($1::uuid[])',
    messages: 'DELETE FROM messages WHERE id = ANY($1::uuid[])',
    sessions: EMPTY_SESSIONS((i) => `$${i}`),
  },
} satisfies Record<Driver, Record<string, unknown>>;

/**
 * `retention_rules` and `purge_runs`: per-channel message retention and the daily purge.
 *
 * A purge deletes in bounded batches (one short transaction each), oldest messages first through
 * `idx_messages_channel_created`: a message, its earlier versions, its reactions and its
 * attachment rows go together; sessions left empty and idle since before the cut-off go too. The
 * day's run is claimed by inserting its `purge_runs` row, so one process purges each day however
 * many run; a claim left unfinished (its process died) can be taken over after `staleMs`.
 */
export class RetentionStore {
  constructor(private readonly ctx: StoreContext) {}

  private get rules() {
    return this.ctx.manager.getRepository(RetentionRule);
  }

  async listRules(): Promise<RetentionRule[]> {
    return this.rules.find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async getRule(channelId: string): Promise<RetentionRule | null> {
    return this.rules.findOneBy({ channelId });
  }

  /** Sets (or replaces) a channel's rule; `created` says which. */
  async setRule(input: NewRetentionRule, now = new Date()): Promise<{ rule: RetentionRule; created: boolean }> {
    if (!Number.isInteger(input.days) || input.days < 0 || input.days > MAX_RETENTION_DAYS) throw new ValidationError('days', `must be a whole number from 0 (keep for ever) to ${MAX_RETENTION_DAYS}`);
    return this.ctx.write('set retention_rules', async (em) => {
      const existing = await em.findOneBy(RetentionRule, { channelId: input.channelId });
      if (existing) {
        await em.update(RetentionRule, { id: existing.id }, { days: input.days, setBy: input.setBy ?? null, guildId: input.guildId ?? existing.guildId, updatedAt: now });
        return { rule: { ...existing, days: input.days, setBy: input.setBy ?? null, guildId: input.guildId ?? existing.guildId, updatedAt: now }, created: false };
      }
      const rule = em.create(RetentionRule, { id: randomUUID(), channelId: input.channelId, guildId: input.guildId ?? null, days: input.days, setBy: input.setBy ?? null, createdAt: now, updatedAt: now });
      await em.insert(RetentionRule, rule);
      return { rule, created: true };
    });
  }

  /** Removes a channel's rule (it follows RETENTION_DAYS again); false when it had none. */
  async clearRule(channelId: string): Promise<boolean> {
    return this.ctx.write('clear retention_rules', async (em) => ((await em.delete(RetentionRule, { channelId })).affected ?? 0) > 0);
  }

  /** Rules set by this person lose the link (the rule stays: it is the channel's, not theirs). */
  async unlinkRules(em: EntityManager, discordUserId: string): Promise<number> {
    return (await em.update(RetentionRule, { setBy: discordUserId }, { setBy: null })).affected ?? 0;
  }

  /** Every channel that holds messages (from `sessions`, far smaller than `messages`). */
  async recordedChannels(): Promise<string[]> {
    const rows = await this.ctx.read<{ channel_id: string }>('SELECT DISTINCT channel_id FROM sessions', []);
    return rows.map((r) => r.channel_id);
  }

  /**
   * Claims the purge of `day` (YYYY-MM-DD): the run's id, or null when another process has it
   * (running for less than `staleMs`, or finished).
   */
  async claimDay(day: string, now = new Date(), staleMs = 30 * 60_000): Promise<string | null> {
    const id = randomUUID();
    try {
      await this.ctx.write('claim purge_runs', (em) => em.insert(PurgeRun, { id, day, startedAt: now, finishedAt: null, messages: 0, revisions: 0, reactions: 0, attachments: 0 }));
      return id;
    } catch (e) {
      if (!(e instanceof UniqueViolationError)) throw e;
    }
    return this.ctx.write('claim purge_runs', async (em) => {
      const res = await em
        .createQueryBuilder()
        .update(PurgeRun)
        .set({ startedAt: now })
        .where('day = :day AND finished_at IS NULL AND started_at < :stale', { day, stale: dateValue(this.ctx.driver, new Date(now.getTime() - staleMs)) })
        .execute();
      if (!res.affected) return null;
      return (await em.findOneByOrFail(PurgeRun, { day })).id;
    });
  }

  /** The run is over: what it deleted (added to what a run it took over had counted). */
  async finishRun(id: string, counts: PurgeCounts, now = new Date()): Promise<void> {
    await this.ctx.write('finish purge_runs', (em) =>
      em
        .createQueryBuilder()
        .update(PurgeRun)
        .set({
          finishedAt: now,
          messages: () => `messages + ${Math.trunc(counts.messages)}`,
          revisions: () => `revisions + ${Math.trunc(counts.revisions)}`,
          reactions: () => `reactions + ${Math.trunc(counts.reactions)}`,
          attachments: () => `attachments + ${Math.trunc(counts.attachments)}`,
        })
        .where('id = :id', { id })
        .execute(),
    );
  }

  async lastRun(): Promise<PurgeRun | null> {
    return this.ctx.manager.getRepository(PurgeRun).findOne({ where: {}, order: { day: 'DESC' } });
  }

  /** How many messages of these channels are older than `before` (what a purge would delete). */
  async countOlder(channelIds: string[], before: Date): Promise<number> {
    if (!channelIds.length) return 0;
    const p = (i: number) => placeholder(this.ctx.driver, i);
    const ids = channelIds.map((_, i) => p(i + 2)).join(', ');
    const [row] = await this.ctx.read<{ n: string | number }>(`SELECT COUNT(*) AS n FROM messages WHERE created_at < ${p(1)} AND channel_id IN (${ids})`, [dateValue(this.ctx.driver, before), ...channelIds]);
    return Number(row?.n ?? 0);
  }

  /**
   * Deletes up to `limit` of the channel's messages created before `before`, oldest first, with
   * what hangs off them, in one transaction; then, when none is left, the channel's sessions that
   * are empty and idle since before `sessionsBefore`. Fewer than `limit` messages: the channel is done.
   */
  async purgeBatch(channelId: string, before: Date, limit: number, sessionsBefore: Date = before): Promise<PurgeBatch> {
    const d = this.ctx.driver;
    const sql = PURGE_SQL[d];
    const n = Math.trunc(limit);
    // Constant statement text (the ids go as one parameter): SQLite keeps each one prepared, so a
    // batch holds the write connection for its statements only, not for their preparing.
    return this.ctx.write(
      'purge messages',
      async (em) => {
        const picked: { id: string }[] = await em.queryRunner!.query(sql.pick, [channelId, dateValue(d, before), n]);
        const ids = picked.map((r) => r.id);
        const out: PurgeBatch = { ...NO_PURGE, files: [] };
        if (ids.length) {
          const list = sql.ids(ids);
          const files: { sha256: string }[] = await em.queryRunner!.query(sql.files, [list]);
          out.files = files.map((f) => f.sha256);
          out.revisions = await this.ctx.execute(em, sql.revisions, [list], { keep: true });
          out.reactions = await this.ctx.execute(em, sql.reactions, [list], { keep: true });
          // A purged poll's votes go with it (not counted apart in purge_runs).
          await this.ctx.execute(em, sql.pollVotes, [list], { keep: true });
          out.attachments = await this.ctx.execute(em, sql.attachments, [list], { keep: true });
          out.messages = await this.ctx.execute(em, sql.messages, [list], { keep: true });
        }
        if (ids.length < limit) out.sessions = await this.ctx.execute(em, sql.sessions, [channelId, dateValue(d, sessionsBefore), n], { keep: true });
        return out;
      },
      { plain: true },
    );
  }
}
