import type { EntityManager } from 'typeorm';
import type { Session } from '../entities/Session';
import { DISCORD_CHANNEL, type User } from '../entities/User';
import type { StoreContext } from '../database/database';
import { encodeContent } from '../database/content-codec';
import { StoreError } from '../database/errors';
import { boolValue, dateValue, jsonValue, parseDbDate } from '../database/sql-values';
import type { ForgetResult, PrivacyStore } from '../database/stores/privacy.store';
import type { SessionStore } from '../database/stores/session.store';
import type { UserStore } from '../database/stores/user.store';
import { uuidV7 } from '../database/uuid-v7';
import type { RecordedEvent, RecordingRequest, SessionRequest } from './events';
import { channelStatement } from './channels';
import { pollVoteStatement } from './poll-votes';
import { reactionStatement } from './reactions';
import { keepRevision } from './revisions';
import { attachmentRows, insertAttachments } from './attachments/statements';
import { RecordingPlanner, type BatchPlan, type BatchResult, type CachedSession, type CachedUser, type PlannerLookups } from './planner';
import { chunks, statementsFor, type RecordingStatements } from './statements';

export type { BatchResult } from './planner';

/** A batch planned by RecordingStore.prepare, to be committed (or discarded) in the order prepared. */
export interface PreparedBatch {
  /**
   * Writes the batch in one transaction. `onIssued` is called (on a later turn of the event loop)
   * once its big statements have gone to the database, while they run: the moment to prepare the
   * next batch, without holding up the statements of this one.
   */
  commit(onIssued?: () => void): Promise<BatchResult>;
  /** Gives the batch up without writing; batches prepared after it become stale too. */
  discard(): void;
}

/** What a session request did: the person's user row, their session now, and the one it ended. */
export interface SessionChange {
  user: User | null;
  session: Session | null;
  ended: Session | null;
}

/**
 * The plan of a batch no longer holds: a batch prepared before it failed or was discarded, or a
 * user it was to create was created meanwhile by someone else. Nothing was written; preparing the
 * batch again works it out afresh.
 */
export class StaleBatchError extends StoreError {
  constructor(reason: string) {
    super(`record batch: ${reason}; prepare it again`);
    this.name = 'StaleBatchError';
  }
}

/** The database as the recording store uses it: transactions, and the stores a request calls. */
export type RecordingDatabase = StoreContext & { privacy: PrivacyStore; users: UserStore; sessions: SessionStore };

/**
 * The one writer of users, sessions and messages. Message events are written in batches, one
 * transaction each: authors resolved to `users` (created or kept current), messages to the
 * owner's open session in that channel (a new session after `idleMs` without messages), inserted
 * idempotently (a Discord message id already stored is skipped), edits and deletes applied. The
 * planner (planner.ts) works a batch out with its caches; the statements (statements.ts) write
 * it. Commands' requests (an erasure, a session change) are applied here too, between batches, and
 * the caches follow them.
 *
 * A batch is prepared (planned, with reads for cache misses) and then committed. The write queue
 * prepares the next batch while the previous one commits, so the event loop's share and the
 * database's share of the work overlap; if a batch fails, the ones prepared after it are stale
 * and are prepared again.
 */
export class RecordingStore {
  private readonly planner: RecordingPlanner;
  private readonly sql: RecordingStatements;
  /** Bumped when a batch fails or is discarded: every batch prepared before that is stale. */
  private generation = 0;
  private readonly lookups: PlannerLookups;
  /** Called after a batch with attachments to download commits (the download queue's cue). */
  onAttachments?: () => void;
  /** Deletes the stored files of an erasure that no other attachment uses (the attachment store). */
  releaseFiles?: (sha256s: string[]) => Promise<void>;

  constructor(
    private readonly db: RecordingDatabase,
    opts: { idleMs: number },
  ) {
    this.planner = new RecordingPlanner(opts.idleMs);
    this.sql = statementsFor(db.driver);
    this.lookups = {
      storedMessageIds: (ids) => this.storedMessageIds(ids),
      users: (ids) => this.users(ids),
      sessionOwners: (ids) => this.sessionOwners(ids),
      openSessions: (pairs) => this.openSessions(pairs),
    };
  }

  get idleMs(): number {
    return this.planner.idleMs;
  }

  /** Drops every cached user and session (after an outside change to the tables). */
  clearCaches(): void {
    this.planner.clear();
  }

  async writeBatch(events: RecordedEvent[]): Promise<BatchResult> {
    return (await this.prepare(events)).commit();
  }

  async prepare(events: RecordedEvent[]): Promise<PreparedBatch> {
    const generation = this.generation;
    const plan = await this.planner.plan(events, this.lookups);
    if (generation !== this.generation) throw new StaleBatchError('a batch prepared before it failed');
    this.planner.accept(plan);
    let settled = false;
    const giveUp = () => {
      this.generation++;
      this.planner.reset();
    };
    return {
      commit: async (onIssued) => {
        if (settled) throw new Error('record batch: already committed or discarded');
        settled = true;
        if (generation !== this.generation || !this.planner.isNext(plan)) {
          // Whatever was planned on top of this batch cannot stand either.
          if (generation === this.generation) giveUp();
          throw new StaleBatchError('a batch prepared before it failed or is not committed yet');
        }
        let failed = false;
        const issued = () => setImmediate(() => failed || onIssued?.());
        let result: BatchResult;
        try {
          result = await this.db.write('record batch', (em) => this.execute(em, plan, issued), { plain: true });
        } catch (e) {
          failed = true;
          giveUp();
          throw e;
        }
        this.planner.committed(plan);
        if (plan.creates.some((c) => c.create.attachments?.some((a) => a.state === 'pending'))) this.onAttachments?.();
        return result;
      },
      discard: () => {
        if (settled) return;
        settled = true;
        if (generation === this.generation) giveUp();
      },
    };
  }

  /**
   * Applies a command's request. The write queue calls this only between batches (none prepared
   * or committing), so dropping the cached rows it changes is all the caches need.
   */
  async apply(request: RecordingRequest): Promise<ForgetResult | SessionChange> {
    if (request.kind === 'forget') {
      const result = await this.db.privacy.forgetPerson(request.person);
      // What was dropped from the queue is erased as surely as what was deleted.
      result.messages += request.dropped ?? 0;
      // The files' names (their SHA-256) are for the store only, not for the command's reply or logs.
      const files = result.files ?? [];
      delete result.files;
      if (files.length) await this.releaseFiles?.(files);
      if (request.person.channel === DISCORD_CHANNEL) this.planner.forgetUser(request.person.channelUserId);
      return result;
    }
    const change = await this.changeSession(request);
    this.planner.forgetUser(request.person.id);
    return change;
  }

  private async changeSession(r: SessionRequest): Promise<SessionChange> {
    const { users, sessions } = this.db;
    const person = { channel: DISCORD_CHANNEL, channelUserId: r.person.id };
    if (r.action === 'end') {
      const user = await users.getUserByChannel(person);
      const open = user ? await sessions.findOpenSession({ userId: user.id, channelId: r.channelId, idleMs: this.idleMs }) : null;
      return { user, session: null, ended: open ? await sessions.endSession(open.id) : null };
    }
    const user = await users.ensureUser({ ...person, username: r.person.username, displayName: r.person.displayName });
    const open = await sessions.findOpenSession({ userId: user.id, channelId: r.channelId, idleMs: this.idleMs });
    if (r.action === 'ensure') {
      return { user, session: open ?? (await sessions.createSession({ userId: user.id, channelId: r.channelId, guildId: r.guildId })), ended: null };
    }
    const session = await sessions.startFreshSession({ userId: user.id, channelId: r.channelId, guildId: r.guildId, endSessionId: open?.id });
    return { user, session, ended: open };
  }

  /** Runs a plan inside the batch's transaction. */
  private async execute(em: EntityManager, plan: BatchPlan, issued: () => void): Promise<BatchResult> {
    const driver = this.db.driver;
    const result = { ...plan.result };
    const now = new Date();
    for (const part of chunks(plan.freshUsers)) {
      const st = this.sql.insertUsers(part.map((f) => [f.user.id, DISCORD_CHANNEL, f.discordId, f.user.username, f.user.displayName, now, now]));
      // Someone else made one of these users since the batch was prepared.
      if ((await this.run(em, st.sql, st.params)) < part.length) throw new StaleBatchError('a user it was to create was created meanwhile');
    }
    for (const { id, author } of plan.renames) {
      const st = this.sql.renameUser(id, author.username, author.displayName, dateValue(driver, now));
      await em.query(st.sql, st.params);
    }
    const bulk: { sql: string; params: unknown[]; messages?: number }[] = [];
    for (const part of chunks(plan.sessionUpserts)) bulk.push(this.sql.upsertSessions(part));
    for (const part of chunks(plan.sessionKeeps)) bulk.push(this.sql.keepSessions(part));
    for (const part of chunks(plan.creates)) {
      const rows = part.map(({ create: c, id, sessionId }) => {
        const { content, escaped } = encodeContent(c.content);
        return [id, sessionId, c.role, content, escaped, c.discordMessageId, c.channelId, c.guildId, c.replyToId ?? null, jsonValue(c.metadata), c.createdAt, c.editedAt ?? null];
      });
      bulk.push({ ...this.sql.insertMessages(rows), messages: part.length });
    }
    // One statement at a time, each awaited: pg 8 only queues a query issued while another runs
    // (and warns; pg 9 refuses it), and sqlite3 does not promise the order of statements issued
    // together.
    for (let i = 0; i < bulk.length; i++) {
      const st = bulk[i];
      if (i === bulk.length - 1) issued();
      const n = await this.run(em, st.sql, st.params, true);
      if (st.messages === undefined) continue;
      result.inserted += n;
      result.duplicates += st.messages - n;
    }
    if (!bulk.length) issued();
    for (const part of chunks(
      attachmentRows(
        plan.creates.map((c) => c.create),
        now,
      ),
    )) {
      const st = insertAttachments(driver, part);
      await this.run(em, st.sql, st.params);
    }

    // Edits (the text they replace kept first: revisions.ts), metadata changes, deletes, reactions, poll votes and channels, in the order they came.
    for (const e of plan.events) {
      if (e.kind === 'edit') {
        const { content, escaped } = encodeContent(e.content);
        const rev = keepRevision(driver, uuidV7(), e.discordMessageId, content, boolValue(driver, escaped), dateValue(driver, e.editedAt));
        result.revisions += await this.run(em, rev.sql, rev.params, true);
        const st = this.sql.editMessage(e.discordMessageId, content, boolValue(driver, escaped), dateValue(driver, e.editedAt));
        result.edited += await this.run(em, st.sql, st.params);
      } else if (e.kind === 'metadata') {
        const st = this.sql.updateMetadata(e.discordMessageId, jsonValue(e.metadata)!);
        result.metadata += await this.run(em, st.sql, st.params);
      } else if (e.kind === 'reaction') {
        const st = reactionStatement(driver, e, uuidV7());
        result.reactions += await this.run(em, st.sql, st.params, true);
      } else if (e.kind === 'poll_vote') {
        const st = pollVoteStatement(driver, e, uuidV7());
        result.pollVotes += await this.run(em, st.sql, st.params, true);
      } else if (e.kind === 'channel') {
        for (const c of e.channels) {
          const st = channelStatement(driver, e, c, uuidV7());
          result.channels += await this.run(em, st.sql, st.params);
        }
      } else if (e.kind === 'delete') {
        for (const ids of chunks(e.discordMessageIds)) {
          const st = this.sql.deleteMessages(ids, dateValue(driver, e.deletedAt));
          result.deleted += await this.run(em, st.sql, st.params);
        }
      }
    }
    return result;
  }

  // ---- the planner's lookups (committed rows; reads never wait for the batch committing) ----

  private async storedMessageIds(ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of chunks(ids)) {
      const st = this.sql.storedMessageIds(part);
      for (const r of await this.db.read<{ id: string }>(st.sql, st.params)) found.add(r.id);
    }
    return found;
  }

  private async users(discordIds: string[]): Promise<Map<string, CachedUser>> {
    const found = new Map<string, CachedUser>();
    for (const part of chunks(discordIds)) {
      const st = this.sql.usersByChannelId(DISCORD_CHANNEL, part);
      const rows = await this.db.read<{ id: string; cuid: string; username: string | null; display_name: string | null }>(st.sql, st.params);
      for (const r of rows) found.set(r.cuid, { id: r.id, username: r.username, displayName: r.display_name });
    }
    return found;
  }

  private async sessionOwners(ids: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const part of chunks(ids)) {
      const st = this.sql.sessionOwners(part);
      for (const r of await this.db.read<{ mid: string; uid: string }>(st.sql, st.params)) found.set(r.mid, r.uid);
    }
    return found;
  }

  private async openSessions(pairs: [string, string][]): Promise<{ userId: string; channelId: string; session: CachedSession }[]> {
    const out: { userId: string; channelId: string; session: CachedSession }[] = [];
    for (const part of chunks(pairs)) {
      const st = this.sql.openSessions(part);
      const rows = await this.db.read<{ id: string; user_id: string; channel_id: string; updated_at: string | Date; last_message_at: string | Date | null }>(st.sql, st.params);
      for (const r of rows) {
        const storedAt = parseDbDate(r.updated_at);
        const lastAt = r.last_message_at === null ? storedAt : Math.max(storedAt, parseDbDate(r.last_message_at));
        out.push({ userId: r.user_id, channelId: r.channel_id, session: { id: r.id, lastAt, storedAt } });
      }
    }
    return out;
  }

  /** Runs a write and returns how many rows it changed, on either driver. */
  private run(em: EntityManager, sql: string, params: unknown[], keep = false): Promise<number> {
    return this.db.execute(em, sql, params, { keep });
  }
}
