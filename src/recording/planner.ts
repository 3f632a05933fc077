import { SESSION_TOUCH_MS } from '../entities/Session';
import { LruMap } from '../database/lru';
import { uuidV7 } from '../database/uuid-v7';
import type { RecordedAuthor, RecordedCreate, RecordedEdit, RecordedEvent } from './events';

/**
 * The recording store's thinking, without its SQL: which users a batch creates or renames, whose
 * session each message goes in, which sessions start, continue or are only made sure of. It keeps
 * users and open sessions cached (bounded LRU, the database is the truth: a miss asks `lookups`)
 * and the changes of batches planned but not committed yet, so the next batch can be planned while
 * one commits. Unit-testable with in-memory lookups (test/recording/planner.test.ts).
 */

export interface CachedUser {
  id: string;
  username: string | null;
  displayName: string | null;
}

export interface CachedSession {
  id: string;
  /** ms epoch of the session's last message. */
  lastAt: number;
  /** ms epoch of `sessions.updated_at` as stored (at most SESSION_TOUCH_MS behind `lastAt`). */
  storedAt: number;
}

/** What the planner asks the database on a cache miss (committed rows only). */
export interface PlannerLookups {
  /** Which of these Discord message ids are stored. */
  storedMessageIds(ids: string[]): Promise<Set<string>>;
  /** Users by Discord user id. */
  users(discordIds: string[]): Promise<Map<string, CachedUser>>;
  /** The session owner (`users.id`) of stored messages, by Discord message id. */
  sessionOwners(discordMessageIds: string[]): Promise<Map<string, string>>;
  /** Open sessions (not ended) of these (user id, channel id) pairs; several per pair may come back. */
  openSessions(pairs: [userId: string, channelId: string][]): Promise<{ userId: string; channelId: string; session: CachedSession }[]>;
}

export interface BatchResult {
  inserted: number;
  duplicates: number;
  edited: number;
  /** Earlier versions kept by edits (`message_revisions`). */
  revisions: number;
  /** Messages whose metadata Discord changed without an edit (a poll's results). */
  metadata: number;
  /** Reaction rows added or removed. */
  reactions: number;
  /** Poll vote rows added or removed. */
  pollVotes: number;
  /** Channel rows written (channels.ts). */
  channels: number;
  deleted: number;
  usersCreated: number;
  sessionsCreated: number;
  /** Bot replies not recorded: the person they answer has no record (never wrote, or was erased). */
  unanswered: number;
  /** Their Discord message ids, when there are any. */
  unansweredIds?: string[];
}

/** Users and sessions a batch creates or changes, published to the caches once it commits. */
export interface Staged {
  users: Map<string, CachedUser>;
  sessions: Map<string, CachedSession>;
  /** The batch's messages and their authors' user ids: what a bot reply in a later batch may answer. */
  messages: { creates: RecordedCreate[]; userIds: Map<string, string> };
}

/** A session row to write: [id, user_id, channel_id, guild_id, created_at, updated_at]. */
export type SessionRow = [id: string, userId: string, channelId: string, guildId: string | null, createdAt: Date, updatedAt: Date];

/** A batch worked out: the rows to write, in order, and what its commit publishes. */
export interface BatchPlan {
  events: RecordedEvent[];
  /** Users to insert. */
  freshUsers: { discordId: string; user: CachedUser }[];
  /** Known users whose names changed. */
  renames: { id: string; author: RecordedAuthor }[];
  /** New sessions and continued ones whose stored last-message time is due for an update. */
  sessionUpserts: SessionRow[];
  /** Continued sessions only made sure of (inserted again if the row has gone meanwhile). */
  sessionKeeps: SessionRow[];
  /** Messages to insert (edits of never-recorded messages included) and the session of each. */
  creates: { create: RecordedCreate; id: string; sessionId: string }[];
  result: BatchResult;
  staged: Staged;
}

export const USER_CACHE_MAX = 50_000;
export const SESSION_CACHE_MAX = 50_000;

export class RecordingPlanner {
  private readonly users = new LruMap<string, CachedUser>(USER_CACHE_MAX);
  private readonly sessions = new LruMap<string, CachedSession>(SESSION_CACHE_MAX);
  /** Changes of batches planned but not yet committed, oldest first. */
  private pending: Staged[] = [];

  constructor(readonly idleMs: number) {}

  /** Plans a batch on top of the batches planned before it; `accept` it once it is staged. */
  async plan(events: RecordedEvent[], lookups: PlannerLookups): Promise<BatchPlan> {
    const result: BatchResult = { inserted: 0, duplicates: 0, edited: 0, revisions: 0, metadata: 0, reactions: 0, pollVotes: 0, channels: 0, deleted: 0, usersCreated: 0, sessionsCreated: 0, unanswered: 0 };
    const staged: Staged = { users: new Map(), sessions: new Map(), messages: { creates: [], userIds: new Map() } };

    // Edits of messages never recorded become creates (with edited_at) when Discord sent the full message.
    const creates: RecordedCreate[] = [];
    for (const e of events) if (e.kind === 'create') creates.push(e);
    const edits = events.filter((e): e is RecordedEdit => e.kind === 'edit' && !!e.full);
    if (edits.length) {
      const known = await lookups.storedMessageIds(edits.map((e) => e.discordMessageId));
      const createdHere = new Set(creates.map((c) => c.discordMessageId));
      for (const e of edits) {
        if (!known.has(e.discordMessageId) && !createdHere.has(e.discordMessageId)) {
          creates.push({ ...e.full!, content: e.content, editedAt: e.editedAt });
          createdHere.add(e.discordMessageId);
        }
      }
    }

    // 1. Users: every author and session owner. Names are kept current from authors only: a
    // session owner (the person a bot reply answers) comes secondhand, from an interaction that
    // may not carry their server nickname, so it never renames a user, and never creates one: a
    // reply to a person with no record (who never wrote, or was erased) is not recorded, so that
    // asking the bot what it stores does not store them again.
    const authors = new Map<string, RecordedAuthor>();
    const secondhand = new Map<string, RecordedAuthor>();
    const history = new Set<string>();
    for (const c of creates) {
      // History copies carry no server nickname either: like session owners, they never rename.
      if (c.fromHistory) {
        secondhand.set(c.author.id, c.author);
        history.add(c.author.id);
      } else authors.set(c.author.id, c.author);
      if (c.sessionOwner) secondhand.set(c.sessionOwner.id, c.sessionOwner);
    }
    const renameable = new Set(authors.keys());
    const creatable = new Set([...authors.keys(), ...history]);
    for (const [id, o] of secondhand) if (!authors.has(id)) authors.set(id, o);
    const { ids: userIds, fresh: freshUsers, renames } = await this.resolveUsers(authors, renameable, creatable, staged.users, lookups);
    result.usersCreated = freshUsers.length;
    // Most batches answer everyone: only then is the list rewritten.
    if (creates.some((c) => c.sessionOwner && !userIds.has(c.sessionOwner.id))) {
      const answered = creates.filter((c) => !c.sessionOwner || userIds.has(c.sessionOwner.id));
      result.unanswered = creates.length - answered.length;
      result.unansweredIds = creates.filter((c) => c.sessionOwner && !userIds.has(c.sessionOwner.id)).map((c) => c.discordMessageId);
      creates.length = 0;
      for (const c of answered) creates.push(c);
    }
    staged.messages = { creates, userIds };

    // 2. Sessions: the owner's open session in the channel, in message order.
    const owners = await this.resolveOwners(creates, userIds, lookups);
    const createdUsers = new Set(freshUsers.map((f) => f.user.id));
    const { sessionOf, sessionUpserts, sessionKeeps } = await this.resolveSessions(creates, owners, staged.sessions, result, createdUsers, lookups);
    return {
      events,
      freshUsers,
      renames,
      sessionUpserts,
      sessionKeeps,
      creates: creates.map((c) => ({ create: c, id: uuidV7(), sessionId: sessionOf.get(c)! })),
      result,
      staged,
    };
  }

  /** The plan is going to be committed after those planned before it: later plans build on it. */
  accept(plan: BatchPlan): void {
    this.pending.push(plan.staged);
  }

  /** The oldest accepted plan committed: its users and sessions go to the caches. */
  committed(plan: BatchPlan): void {
    if (this.pending[0] === plan.staged) this.pending.shift();
    for (const [k, v] of plan.staged.users) this.users.set(k, v);
    for (const [k, v] of plan.staged.sessions) this.sessions.set(k, v);
  }

  /** Whether the plan is the oldest not committed yet (the one to commit next). */
  isNext(plan: BatchPlan): boolean {
    return this.pending[0] === plan.staged;
  }

  /** A plan failed or was given up: every plan accepted after it is void too. */
  reset(): void {
    this.pending = [];
  }

  /** Forgets what is cached about a Discord user (after an erasure or a command's session change). */
  forgetUser(discordUserId: string): void {
    const u = this.users.get(discordUserId);
    this.users.delete(discordUserId);
    if (u) for (const key of [...this.sessions.keys()]) if (key.startsWith(`${u.id}:`)) this.sessions.delete(key);
  }

  /** Forgets the cached open session of a user in a channel. */
  forgetSession(userId: string, channelId: string): void {
    this.sessions.delete(`${userId}:${channelId}`);
  }

  clear(): void {
    this.users.clear();
    this.sessions.clear();
  }

  /** A cached user, as the plans not committed yet leave it. */
  private cachedUser(discordId: string): CachedUser | undefined {
    return this.latest((st) => st.users.get(discordId)) ?? this.users.get(discordId);
  }

  /** A cached open session (`user:channel`), as the plans not committed yet leave it. */
  private cachedSession(key: string): CachedSession | undefined {
    return this.latest((st) => st.sessions.get(key)) ?? this.sessions.get(key);
  }

  private latest<T>(find: (st: Staged) => T | undefined): T | undefined {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const v = find(this.pending[i]);
      if (v) return v;
    }
    return undefined;
  }

  /**
   * Maps Discord user ids to `users.id`: from the cache, else the database, else (when
   * `creatable`) a new user (in `fresh`, to insert); `renames` are known users whose names changed.
   */
  private async resolveUsers(authors: Map<string, RecordedAuthor>, renameable: Set<string>, creatable: Set<string>, staged: Map<string, CachedUser>, lookups: PlannerLookups) {
    const ids = new Map<string, string>();
    const missing: string[] = [];
    const renames: BatchPlan['renames'] = [];
    const fresh: BatchPlan['freshUsers'] = [];
    const known = (discordId: string, u: CachedUser) => {
      ids.set(discordId, u.id);
      const a = authors.get(discordId)!;
      if (renameable.has(discordId) && (u.username !== a.username || u.displayName !== a.displayName)) {
        renames.push({ id: u.id, author: a });
        staged.set(discordId, { id: u.id, username: a.username, displayName: a.displayName });
      }
    };
    for (const discordId of authors.keys()) {
      const cached = this.cachedUser(discordId);
      if (cached) known(discordId, cached);
      else missing.push(discordId);
    }
    if (missing.length) {
      const found = await lookups.users(missing);
      for (const discordId of missing) {
        const row = found.get(discordId);
        if (row) {
          staged.set(discordId, row);
          known(discordId, row);
        } else if (creatable.has(discordId)) {
          const a = authors.get(discordId)!;
          const user = { id: uuidV7(), username: a.username, displayName: a.displayName };
          fresh.push({ discordId, user });
          ids.set(discordId, user.id);
          staged.set(discordId, user);
        }
      }
    }
    return { ids, fresh, renames };
  }

  /**
   * The user whose session each message goes in: its session owner when given; for the bot's
   * replies to a message, the author of that message (in this batch, one planned before it, or
   * the database); else the author.
   */
  private async resolveOwners(creates: RecordedCreate[], userIds: Map<string, string>, lookups: PlannerLookups): Promise<Map<RecordedCreate, string>> {
    const owners = new Map<RecordedCreate, string>();
    const lookup: RecordedCreate[] = [];
    for (const c of creates) {
      if (c.sessionOwner) owners.set(c, userIds.get(c.sessionOwner.id)!);
      else if (c.role === 'assistant' && c.replyToId) lookup.push(c);
      else owners.set(c, userIds.get(c.author.id)!);
    }
    if (!lookup.length) return owners;
    const inBatch = new Map<string, string>();
    for (const { creates: earlier, userIds: ids } of [...this.pending.map((p) => p.messages), { creates, userIds }]) {
      for (const c of earlier) if (c.role !== 'assistant') inBatch.set(c.discordMessageId, ids.get(c.author.id)!);
    }
    const need = [...new Set(lookup.map((c) => c.replyToId!).filter((id) => !inBatch.has(id)))];
    const stored = need.length ? await lookups.sessionOwners(need) : new Map<string, string>();
    for (const c of lookup) owners.set(c, inBatch.get(c.replyToId!) ?? stored.get(c.replyToId!) ?? userIds.get(c.author.id)!);
    return owners;
  }

  /**
   * Each message's session: the owner's open session in the channel, continued while its last
   * message is younger than `idleMs`, else a new one. Users created in this batch have no
   * sessions yet: they are not looked up.
   */
  private async resolveSessions(
    creates: RecordedCreate[],
    owners: Map<RecordedCreate, string>,
    staged: Map<string, CachedSession>,
    result: BatchResult,
    createdUsers: Set<string>,
    lookups: PlannerLookups,
  ): Promise<{ sessionOf: Map<RecordedCreate, string>; sessionUpserts: SessionRow[]; sessionKeeps: SessionRow[] }> {
    const working = new Map<string, CachedSession | null>();
    const misses = new Map<string, [userId: string, channelId: string]>();
    const keys: string[] = new Array(creates.length);
    for (let i = 0; i < creates.length; i++) {
      const c = creates[i];
      const owner = owners.get(c)!;
      const key = `${owner}:${c.channelId}`;
      keys[i] = key;
      if (working.has(key) || misses.has(key)) continue;
      const cached = this.cachedSession(key);
      if (cached) working.set(key, { ...cached });
      else if (createdUsers.has(owner)) working.set(key, null);
      else misses.set(key, [owner, c.channelId]);
    }
    if (misses.size) {
      for (const { userId, channelId, session } of await lookups.openSessions([...misses.values()])) {
        const key = `${userId}:${channelId}`;
        const cur = working.get(key);
        if (!cur || cur.lastAt < session.lastAt) working.set(key, session);
      }
      for (const k of misses.keys()) if (!working.has(k)) working.set(k, null);
    }

    const sessionOf = new Map<RecordedCreate, string>();
    const rowOf = new Map<CachedSession, SessionRow>();
    for (let i = 0; i < creates.length; i++) {
      const c = creates[i];
      const key = keys[i];
      const t = c.createdAt.getTime();
      let s = working.get(key) ?? null;
      if (!s || t - s.lastAt >= this.idleMs) {
        s = { id: uuidV7(), lastAt: t, storedAt: -Infinity };
        rowOf.set(s, [s.id, owners.get(c)!, c.channelId, c.guildId, c.createdAt, c.createdAt]);
        result.sessionsCreated++;
        working.set(key, s);
      } else {
        if (t > s.lastAt) s.lastAt = t;
        // A continued session: created_at is only used if the row has gone meanwhile (then it comes back).
        if (!rowOf.has(s)) rowOf.set(s, [s.id, owners.get(c)!, c.channelId, c.guildId, c.createdAt, c.createdAt]);
      }
      sessionOf.set(c, s.id);
    }
    // Written: new sessions, and continued ones whose stored updated_at is SESSION_TOUCH_MS or more
    // behind their last message, so a busy session's row is rewritten about once a minute, not in
    // every batch. The others are only made sure of.
    const sessionUpserts: SessionRow[] = [];
    const sessionKeeps: SessionRow[] = [];
    for (const [s, row] of rowOf) {
      if (s.lastAt - s.storedAt < SESSION_TOUCH_MS) {
        row[5] = new Date(s.storedAt);
        sessionKeeps.push(row);
      } else {
        s.storedAt = s.lastAt;
        row[5] = new Date(s.lastAt);
        sessionUpserts.push(row);
      }
    }
    for (const [key, s] of working) if (s) staged.set(key, s);
    return { sessionOf, sessionUpserts, sessionKeeps };
  }
}
