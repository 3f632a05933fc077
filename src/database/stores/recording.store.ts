import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { MessageMetadata, MessageRole } from '../../entities/Message';
import { SESSION_TOUCH_MS } from '../../entities/Session';
import type { StoreContext } from '../database';
import { encodeContent } from '../content-codec';
import { boolValue, bulkRows, dateValue, jsonValue, valuesList, type BulkColumn } from '../sql-values';
import { StoreError } from '../errors';
import { LruMap } from '../lru';

/** A Discord author as the recorder sees it (no discord.js types here). */
export interface RecordedAuthor {
  id: string;
  username: string;
  displayName: string | null;
}

export interface RecordedCreate {
  kind: 'create';
  discordMessageId: string;
  channelId: string;
  guildId: string | null;
  author: RecordedAuthor;
  role: MessageRole;
  /** Whose session the message belongs to, when not the author's (the bot's replies). */
  sessionOwner?: RecordedAuthor | null;
  content: string;
  createdAt: Date;
  editedAt?: Date | null;
  replyToId?: string | null;
  metadata?: MessageMetadata | null;
  /** Fetched from channel history (backfill): its author's names are secondhand (no nickname). */
  fromHistory?: boolean;
}

export interface RecordedEdit {
  kind: 'edit';
  discordMessageId: string;
  content: string;
  editedAt: Date;
  /** The full message when Discord sent it: lets an edit of a never-recorded message create it. */
  full?: RecordedCreate | null;
}

export interface RecordedDelete {
  kind: 'delete';
  discordMessageIds: string[];
  deletedAt: Date;
}

export type RecordedEvent = RecordedCreate | RecordedEdit | RecordedDelete;

export interface BatchResult {
  inserted: number;
  duplicates: number;
  edited: number;
  deleted: number;
  usersCreated: number;
  sessionsCreated: number;
}

interface CachedUser {
  id: string;
  username: string | null;
  displayName: string | null;
}

interface CachedSession {
  id: string;
  /** ms epoch of the session's last message. */
  lastAt: number;
  /** ms epoch of `sessions.updated_at` as stored (at most SESSION_TOUCH_MS behind `lastAt`). */
  storedAt: number;
}

const CHANNEL = 'discord';
const USER_CACHE_MAX = 50_000;
const SESSION_CACHE_MAX = 50_000;
const CHUNK_ROWS = 1000;

const MESSAGE_COLUMNS: BulkColumn[] = [
  { name: 'id', type: 'uuid' },
  { name: 'session_id', type: 'uuid' },
  { name: 'role', type: 'text' },
  { name: 'content', type: 'text' },
  { name: 'content_escaped', type: 'boolean' },
  { name: 'discord_message_id', type: 'text' },
  { name: 'channel_id', type: 'text' },
  { name: 'guild_id', type: 'text' },
  { name: 'reply_to_id', type: 'text' },
  { name: 'metadata', type: 'json' },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'edited_at', type: 'timestamptz' },
];
const SESSION_COLUMNS: BulkColumn[] = [
  { name: 'id', type: 'uuid' },
  { name: 'user_id', type: 'uuid' },
  { name: 'channel_id', type: 'text' },
  { name: 'guild_id', type: 'text' },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'updated_at', type: 'timestamptz' },
];
const SESSION_COLUMN_LIST = SESSION_COLUMNS.map((c) => `"${c.name}"`).join(', ');
const SESSION_KEY_COLUMNS: BulkColumn[] = [
  { name: 'user_id', type: 'uuid' },
  { name: 'channel_id', type: 'text' },
];
const MESSAGE_COLUMN_LIST = MESSAGE_COLUMNS.map((c) => `"${c.name}"`).join(', ');
/** A session's newest message time (one step down `idx_messages_session_created`). */
const LAST_MESSAGE_AT = `(SELECT m."created_at" FROM "messages" m WHERE m."session_id" = s."id" ORDER BY m."created_at" DESC LIMIT 1)`;

/** Users and sessions a batch creates or changes, published to the caches once it commits. */
interface Staged {
  users: Map<string, CachedUser>;
  sessions: Map<string, CachedSession>;
  /** The batch's messages and their authors' user ids: what a bot reply in a later batch may answer. */
  messages?: { creates: RecordedCreate[]; userIds: Map<string, string> };
}

/** A batch worked out and turned into statements, ready to run in one transaction. */
interface Plan {
  events: RecordedEvent[];
  freshUsers: { discordId: string; user: CachedUser }[];
  renames: { id: string; a: RecordedAuthor }[];
  statements: { sql: string; params: unknown[]; messages?: number }[];
  result: BatchResult;
}

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

/**
 * Writes what the bot records, in batches: one transaction per batch resolves authors to `users`
 * (created or kept current), messages to the owner's open session in that channel (a new session
 * after `idleMs` without messages), inserts messages idempotently (a Discord message id already
 * stored is skipped) and applies edits and deletes. Users and open sessions are cached in memory
 * (bounded LRU) with the database as the truth: a cache miss reads the database, and cache
 * updates are published only after the transaction commits.
 *
 * A batch is prepared (worked out and turned into statements, on the event loop, with reads for
 * cache misses) and then committed (the statements in one transaction). The write queue prepares
 * the next batch while the previous one commits, so the event loop's share and the database's
 * share of the work overlap; a batch prepared while others are uncommitted sees their users and
 * sessions as if they had been written, and if one of them fails it becomes stale and is prepared
 * again.
 */
export class RecordingStore {
  private readonly users = new LruMap<string, CachedUser>(USER_CACHE_MAX);
  private readonly sessions = new LruMap<string, CachedSession>(SESSION_CACHE_MAX);
  /** Changes of batches prepared but not yet committed, oldest first. */
  private pending: Staged[] = [];
  /** Bumped when a batch fails or is discarded: every batch prepared before that is stale. */
  private generation = 0;

  constructor(
    private readonly ctx: StoreContext,
    private readonly opts: { idleMs: number },
  ) {}

  get idleMs(): number {
    return this.opts.idleMs;
  }

  /** Drops cached state for a user (after `/mydata forget` or an outside change). */
  invalidateUser(discordUserId: string): void {
    const u = this.users.get(discordUserId);
    this.users.delete(discordUserId);
    if (u) for (const key of [...this.sessions.keys()]) if (key.startsWith(`${u.id}:`)) this.sessions.delete(key);
  }

  /** Drops the cached open session of a user in a channel (after `/session new|end`). */
  invalidateSession(userId: string, channelId: string): void {
    this.sessions.delete(`${userId}:${channelId}`);
  }

  clearCaches(): void {
    this.users.clear();
    this.sessions.clear();
  }

  async writeBatch(events: RecordedEvent[]): Promise<BatchResult> {
    return (await this.prepare(events)).commit();
  }

  async prepare(events: RecordedEvent[]): Promise<PreparedBatch> {
    const generation = this.generation;
    const staged: Staged = { users: new Map(), sessions: new Map() };
    const plan = await this.plan(events, staged);
    if (generation !== this.generation) throw new StaleBatchError('a batch prepared before it failed');
    this.pending.push(staged);
    let settled = false;
    const giveUp = () => {
      this.generation++;
      this.pending = [];
    };
    return {
      commit: async (onIssued) => {
        if (settled) throw new Error('record batch: already committed or discarded');
        settled = true;
        if (generation !== this.generation || this.pending[0] !== staged) {
          // Whatever was planned on top of this batch cannot stand either.
          if (generation === this.generation) giveUp();
          throw new StaleBatchError('a batch prepared before it failed or is not committed yet');
        }
        let result: BatchResult;
        let failed = false;
        const issued = () => setImmediate(() => failed || onIssued?.());
        try {
          result = await this.ctx.write('record batch', (em) => this.execute(em, plan, issued), { plain: true });
        } catch (e) {
          failed = true;
          giveUp();
          throw e;
        }
        this.pending.shift();
        for (const [k, v] of staged.users) this.users.set(k, v);
        for (const [k, v] of staged.sessions) this.sessions.set(k, v);
        return result;
      },
      discard: () => {
        if (settled) return;
        settled = true;
        if (generation === this.generation) giveUp();
      },
    };
  }

  /** A cached user, as the batches prepared but not committed yet leave it. */
  private cachedUser(discordId: string): CachedUser | undefined {
    return this.latest((st) => st.users.get(discordId)) ?? this.users.get(discordId);
  }

  /** A cached open session (`user:channel`), as the batches prepared but not committed yet leave it. */
  private cachedSession(key: string): CachedSession | undefined {
    return this.latest((st) => st.sessions.get(key)) ?? this.sessions.get(key);
  }

  /** The newest of the pending batches' answers. */
  private latest<T>(find: (st: Staged) => T | undefined): T | undefined {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const v = find(this.pending[i]);
      if (v) return v;
    }
    return undefined;
  }

  /** Works a batch out (reading the database for cache misses) into the statements that write it. */
  private async plan(events: RecordedEvent[], staged: Staged): Promise<Plan> {
    // Reads (ctx.read) see committed rows only; what the batches prepared before this one write is in `pending`.
    const driver = this.ctx.driver;
    const result: BatchResult = { inserted: 0, duplicates: 0, edited: 0, deleted: 0, usersCreated: 0, sessionsCreated: 0 };

    // Edits of messages never recorded become creates (with edited_at) when Discord sent the full message.
    const creates: RecordedCreate[] = [];
    for (const e of events) if (e.kind === 'create') creates.push(e);
    const edits = events.filter((e): e is RecordedEdit => e.kind === 'edit');
    if (edits.some((e) => e.full)) {
      const known = await this.existingDiscordIds(edits.filter((e) => e.full).map((e) => e.discordMessageId));
      const createdHere = new Set(creates.map((c) => c.discordMessageId));
      for (const e of edits) {
        if (e.full && !known.has(e.discordMessageId) && !createdHere.has(e.discordMessageId)) {
          creates.push({ ...e.full, content: e.content, editedAt: e.editedAt });
          createdHere.add(e.discordMessageId);
        }
      }
    }

    // 1. Users: every author and session owner. Names are kept current from authors only: a
    // session owner (the person a bot reply answers) comes secondhand, from an interaction that
    // may not carry their server nickname, so it creates a missing user but never renames one.
    const authors = new Map<string, RecordedAuthor>();
    const sessionOwners = new Map<string, RecordedAuthor>();
    for (const c of creates) {
      // History copies carry no server nickname either: like session owners, they never rename.
      if (c.fromHistory) sessionOwners.set(c.author.id, c.author);
      else authors.set(c.author.id, c.author);
      if (c.sessionOwner) sessionOwners.set(c.sessionOwner.id, c.sessionOwner);
    }
    const renameable = new Set(authors.keys());
    for (const [id, o] of sessionOwners) if (!authors.has(id)) authors.set(id, o);
    const createdUsers = new Set<string>();
    const { ids: userIds, fresh: freshUsers, renames } = await this.resolveUsers(authors, renameable, staged.users, createdUsers);
    result.usersCreated = freshUsers.length;
    staged.messages = { creates, userIds };

    // 2. Sessions: the owner's open session in the channel, in message order.
    const owners = await this.resolveReplyOwners(creates, userIds);
    const { sessionOf, sessionRows, sessionKeeps } = await this.resolveSessions(creates, owners, staged.sessions, result, createdUsers);

    // 3. Sessions (new ones and the last-message time of continued ones, in one upsert; the rest
    // only made sure of), then messages, idempotent on discord_message_id. Each is one statement
    // per chunk with the rows bound as one JSON text (SQLite) or one array per column
    // (PostgreSQL), not a placeholder per value.
    const statements: Plan['statements'] = [];
    for (const [rows, onConflict] of [
      [sessionRows, `DO UPDATE SET "updated_at" = excluded."updated_at" WHERE "sessions"."updated_at" < excluded."updated_at"`],
      [sessionKeeps, 'DO NOTHING'],
    ] as const) {
      for (let i = 0; i < rows.length; i += CHUNK_ROWS) {
        const { from, params } = bulkRows(driver, SESSION_COLUMNS, rows.slice(i, i + CHUNK_ROWS));
        statements.push({ sql: `INSERT INTO "sessions" (${SESSION_COLUMN_LIST}, "ended_at") SELECT ${SESSION_COLUMN_LIST}, NULL FROM ${from} WHERE true ON CONFLICT ("id") ${onConflict}`, params });
      }
    }
    for (let i = 0; i < creates.length; i += CHUNK_ROWS) {
      const part = creates.slice(i, i + CHUNK_ROWS);
      const rows: unknown[][] = new Array(part.length);
      for (let k = 0; k < part.length; k++) {
        const c = part[k];
        const { content, escaped } = encodeContent(c.content);
        rows[k] = [uuidV7(), sessionOf.get(c)!, c.role, content, escaped, c.discordMessageId, c.channelId, c.guildId, c.replyToId ?? null, jsonValue(c.metadata), c.createdAt, c.editedAt ?? null];
      }
      const { from, params } = bulkRows(driver, MESSAGE_COLUMNS, rows);
      statements.push({ sql: `INSERT INTO "messages" (${MESSAGE_COLUMN_LIST}, "deleted_at") SELECT ${MESSAGE_COLUMN_LIST}, NULL FROM ${from} WHERE true ON CONFLICT ("discord_message_id") DO NOTHING`, params, messages: part.length });
    }
    return { events, freshUsers, renames, statements, result };
  }

  /** Runs a plan inside the batch's transaction. */
  private async execute(em: EntityManager, plan: Plan, issued: () => void): Promise<BatchResult> {
    const driver = this.ctx.driver;
    const result = { ...plan.result };
    const now = new Date();
    for (let i = 0; i < plan.freshUsers.length; i += CHUNK_ROWS) {
      const part = plan.freshUsers.slice(i, i + CHUNK_ROWS);
      const params: unknown[] = [];
      for (const f of part) params.push(f.user.id, CHANNEL, f.discordId, f.user.username, f.user.displayName, dateValue(driver, now), dateValue(driver, now));
      const inserted = await this.execCount(
        em,
        `INSERT INTO "users" ("id", "channel", "channel_user_id", "username", "display_name", "created_at", "updated_at") VALUES ${valuesList(driver, part.length, 7, ['uuid', '', '', '', '', 'timestamptz', 'timestamptz'])} ` +
          `ON CONFLICT ("channel", "channel_user_id") DO NOTHING`,
        params,
      );
      // Someone else (a command) made one of these users since the batch was prepared.
      if (inserted < part.length) throw new StaleBatchError('a user it was to create was created meanwhile');
    }
    for (const { id, a } of plan.renames) {
      await em.query(
        driver === 'postgres' ? 'UPDATE "users" SET "username" = $1, "display_name" = $2, "updated_at" = $3 WHERE "id" = $4' : 'UPDATE "users" SET "username" = ?, "display_name" = ?, "updated_at" = ? WHERE "id" = ?',
        [a.username, a.displayName, dateValue(driver, now), id],
      );
    }
    // On PostgreSQL the statements are sent back to back (the connection runs them in order)
    // instead of waiting for each answer on the event loop; sqlite3 does not promise the order of
    // statements issued together, so there each is awaited.
    const pending: Promise<void>[] = [];
    for (let i = 0; i < plan.statements.length; i++) {
      const st = plan.statements[i];
      // Bulk statements: their text is the same in every batch.
      const p = this.execCount(em, st.sql, st.params, true).then((n) => {
        if (st.messages === undefined) return;
        result.inserted += n;
        result.duplicates += st.messages - n;
      });
      if (i === plan.statements.length - 1) issued();
      if (driver === 'postgres') {
        p.catch(() => undefined); // observed below, by Promise.all
        pending.push(p);
      } else await p;
    }
    if (!plan.statements.length) issued();
    await Promise.all(pending);

    // 4. Edits and deletes, in the order they came.
    for (const e of plan.events) {
      if (e.kind === 'edit') {
        const { content, escaped } = encodeContent(e.content);
        result.edited += await this.execCount(
          em,
          driver === 'postgres'
            ? 'UPDATE "messages" SET "content" = $1, "content_escaped" = $2, "edited_at" = $3 WHERE "discord_message_id" = $4'
            : 'UPDATE "messages" SET "content" = ?, "content_escaped" = ?, "edited_at" = ? WHERE "discord_message_id" = ?',
          [content, boolValue(driver, escaped), dateValue(driver, e.editedAt), e.discordMessageId],
        );
      } else if (e.kind === 'delete' && e.discordMessageIds.length) {
        for (let i = 0; i < e.discordMessageIds.length; i += CHUNK_ROWS) {
          const ids = e.discordMessageIds.slice(i, i + CHUNK_ROWS);
          const ph = driver === 'postgres' ? ids.map((_, k) => `$${k + 2}`) : ids.map(() => '?');
          result.deleted += await this.execCount(
            em,
            `UPDATE "messages" SET "deleted_at" = ${driver === 'postgres' ? '$1' : '?'} WHERE "deleted_at" IS NULL AND "discord_message_id" IN (${ph.join(', ')})`,
            [dateValue(driver, e.deletedAt), ...ids],
          );
        }
      }
    }
    return result;
  }

  private async existingDiscordIds(ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK_ROWS) {
      const part = ids.slice(i, i + CHUNK_ROWS);
      const ph = this.ctx.driver === 'postgres' ? part.map((_, k) => `$${k + 1}`) : part.map(() => '?');
      const rows: { id: string }[] = await this.ctx.read(`SELECT "discord_message_id" AS id FROM "messages" WHERE "discord_message_id" IN (${ph.join(', ')})`, part);
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  /**
   * Maps Discord user ids to `users.id`: from the cache, else the database, else a new user (in
   * `fresh`, to insert); `renames` are known users whose names changed.
   */
  private async resolveUsers(
    authors: Map<string, RecordedAuthor>,
    renameable: Set<string>,
    staged: Map<string, CachedUser>,
    created: Set<string>,
  ): Promise<{ ids: Map<string, string>; fresh: Plan['freshUsers']; renames: Plan['renames'] }> {
    const driver = this.ctx.driver;
    const ids = new Map<string, string>();
    const missing: string[] = [];
    const renames: Plan['renames'] = [];
    const fresh: Plan['freshUsers'] = [];
    const rename = (id: string, a: RecordedAuthor) => {
      renames.push({ id, a });
      staged.set(a.id, { id, username: a.username, displayName: a.displayName });
    };
    for (const [discordId, a] of authors) {
      const cached = this.cachedUser(discordId);
      if (!cached) {
        missing.push(discordId);
        continue;
      }
      ids.set(discordId, cached.id);
      if (renameable.has(discordId) && (cached.username !== a.username || cached.displayName !== a.displayName)) rename(cached.id, a);
    }
    if (missing.length) {
      const found = new Map<string, CachedUser>();
      for (let i = 0; i < missing.length; i += CHUNK_ROWS) {
        const part = missing.slice(i, i + CHUNK_ROWS);
        const ph = driver === 'postgres' ? part.map((_, k) => `$${k + 2}`) : part.map(() => '?');
        const rows: { id: string; cuid: string; username: string | null; display_name: string | null }[] = await this.ctx.read(
          `SELECT "id", "channel_user_id" AS cuid, "username", "display_name" FROM "users" WHERE "channel" = ${driver === 'postgres' ? '$1' : '?'} AND "channel_user_id" IN (${ph.join(', ')})`,
          [CHANNEL, ...part],
        );
        for (const r of rows) found.set(r.cuid, { id: r.id, username: r.username, displayName: r.display_name });
      }
      for (const discordId of missing) {
        const a = authors.get(discordId)!;
        const row = found.get(discordId);
        if (row) {
          ids.set(discordId, row.id);
          staged.set(discordId, row);
          if (renameable.has(discordId) && (row.username !== a.username || row.displayName !== a.displayName)) rename(row.id, a);
        } else {
          const user = { id: randomUUID(), username: a.username, displayName: a.displayName };
          fresh.push({ discordId, user });
          created.add(user.id);
          ids.set(discordId, user.id);
          staged.set(discordId, user);
        }
      }
    }
    return { ids, fresh, renames };
  }

  /**
   * The user whose session each message goes in: its session owner when given; for the bot's
   * replies to a message, the author of that message (looked up when it is stored); else the author.
   */
  private async resolveReplyOwners(creates: RecordedCreate[], userIds: Map<string, string>): Promise<Map<RecordedCreate, string>> {
    const owners = new Map<RecordedCreate, string>();
    const lookups: RecordedCreate[] = [];
    for (const c of creates) {
      if (c.sessionOwner) owners.set(c, userIds.get(c.sessionOwner.id)!);
      else if (c.role === 'assistant' && c.replyToId) lookups.push(c);
      else owners.set(c, userIds.get(c.author.id)!);
    }
    if (lookups.length) {
      // Authors of referenced messages in this batch or one prepared before it and not yet
      // committed (the newest wins), then in the database.
      const inBatch = new Map<string, string>();
      for (const { creates: earlier, userIds: ids } of [...this.pending.map((p) => p.messages!), { creates, userIds }]) {
        for (const c of earlier) if (c.role !== 'assistant') inBatch.set(c.discordMessageId, ids.get(c.author.id)!);
      }
      const need = [...new Set(lookups.map((c) => c.replyToId!).filter((id) => !inBatch.has(id)))];
      const fromDb = new Map<string, string>();
      for (let i = 0; i < need.length; i += CHUNK_ROWS) {
        const part = need.slice(i, i + CHUNK_ROWS);
        const ph = this.ctx.driver === 'postgres' ? part.map((_, k) => `$${k + 1}`) : part.map(() => '?');
        const rows: { mid: string; uid: string }[] = await this.ctx.read(
          `SELECT m."discord_message_id" AS mid, s."user_id" AS uid FROM "messages" m JOIN "sessions" s ON s."id" = m."session_id" WHERE m."discord_message_id" IN (${ph.join(', ')})`,
          part,
        );
        for (const r of rows) fromDb.set(r.mid, r.uid);
      }
      for (const c of lookups) owners.set(c, inBatch.get(c.replyToId!) ?? fromDb.get(c.replyToId!) ?? userIds.get(c.author.id)!);
    }
    return owners;
  }

  /**
   * Each message's session: the owner's open session in the channel, continued while its last
   * message is younger than `idleMs`, else a new one. Returns the session of each message and the
   * session rows to upsert (new sessions, and continued ones with their new last-message time).
   * Users created in this batch (`createdUsers`) have no sessions yet: they are not looked up.
   */
  private async resolveSessions(
    creates: RecordedCreate[],
    owners: Map<RecordedCreate, string>,
    staged: Map<string, CachedSession>,
    result: BatchResult,
    createdUsers: Set<string>,
  ): Promise<{ sessionOf: Map<RecordedCreate, string>; sessionRows: unknown[][]; sessionKeeps: unknown[][] }> {
    const driver = this.ctx.driver;
    const idle = this.opts.idleMs;
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
      // Latest open session per (user, channel) among the misses.
      const pairs = [...misses.values()];
      for (let i = 0; i < pairs.length; i += CHUNK_ROWS) {
        const { from, params } = bulkRows(driver, SESSION_KEY_COLUMNS, pairs.slice(i, i + CHUNK_ROWS));
        // updated_at may lag the last message by up to SESSION_TOUCH_MS: the newest message says exactly.
        const rows: { id: string; user_id: string; channel_id: string; updated_at: string | Date; last_message_at: string | Date | null }[] = await this.ctx.read(
          `SELECT s."id", s."user_id", s."channel_id", s."updated_at", ${LAST_MESSAGE_AT} AS "last_message_at" FROM ${from} CROSS JOIN "sessions" s ` +
            `WHERE s."user_id" = v."user_id" AND s."channel_id" = v."channel_id" AND s."ended_at" IS NULL`,
          params,
        );
        for (const r of rows) {
          const key = `${r.user_id}:${r.channel_id}`;
          const storedAt = parseDbDate(r.updated_at);
          const lastAt = r.last_message_at === null ? storedAt : Math.max(storedAt, parseDbDate(r.last_message_at));
          const cur = working.get(key);
          if (!cur || cur.lastAt < lastAt) working.set(key, { id: r.id, lastAt, storedAt });
        }
      }
      for (const k of misses.keys()) if (!working.has(k)) working.set(k, null);
    }

    const sessionOf = new Map<RecordedCreate, string>();
    // Per session written: [id, user_id, channel_id, guild_id, created_at, updated_at (filled below)].
    const rowOf = new Map<CachedSession, unknown[]>();
    for (let i = 0; i < creates.length; i++) {
      const c = creates[i];
      const key = keys[i];
      const t = c.createdAt.getTime();
      let s = working.get(key) ?? null;
      if (!s || t - s.lastAt >= idle) {
        s = { id: uuidV7(), lastAt: t, storedAt: -Infinity };
        rowOf.set(s, [s.id, owners.get(c)!, c.channelId, c.guildId, c.createdAt, null]);
        result.sessionsCreated++;
        working.set(key, s);
      } else {
        if (t > s.lastAt) s.lastAt = t;
        // A continued session: created_at is only used if the row has gone meanwhile (then it comes back).
        if (!rowOf.has(s)) rowOf.set(s, [s.id, owners.get(c)!, c.channelId, c.guildId, c.createdAt, null]);
      }
      sessionOf.set(c, s.id);
    }
    // Written: new sessions, and continued ones whose stored updated_at is SESSION_TOUCH_MS or more
    // behind their last message, so a busy session's row is rewritten about once a minute, not in
    // every batch. The others are only made sure of (inserted if the row has gone meanwhile).
    const sessionRows: unknown[][] = [];
    const sessionKeeps: unknown[][] = [];
    for (const [s, row] of rowOf) {
      if (s.lastAt - s.storedAt < SESSION_TOUCH_MS) {
        row[5] = new Date(s.storedAt);
        sessionKeeps.push(row);
      } else {
        s.storedAt = s.lastAt;
        row[5] = new Date(s.lastAt);
        sessionRows.push(row);
      }
    }
    for (const [key, s] of working) if (s) staged.set(key, s);
    return { sessionOf, sessionRows, sessionKeeps };
  }

  /** Runs a write and returns how many rows it changed, on either driver. */
  private execCount(em: EntityManager, sql: string, params: unknown[], keep = false): Promise<number> {
    return this.ctx.execute(em, sql, params, { keep });
  }
}

/**
 * A UUIDv7 (RFC 9562): a millisecond timestamp, then random bits; still a plain UUID to every
 * reader. Ids made in time order are appended at the right edge of the `messages` and `sessions`
 * primary keys and of `(session_id, created_at)`, where random ids touch pages all over them, and on
 * SQLite every page a batch touches is written to the WAL and checkpointed: inserting and
 * committing 100,000 flood messages took 4.0 s with random ids and 1.6 s with these.
 */
function uuidV7(): string {
  const now = Date.now();
  if (now !== v7Ms) {
    v7Ms = now;
    const hex = now.toString(16).padStart(12, '0');
    v7Prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7`;
  }
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; keep everything after the version digit.
  return v7Prefix + randomUUID().slice(15);
}
let v7Ms = -1;
let v7Prefix = '';

/** SQLite returns 'YYYY-MM-DD HH:MM:SS.SSS' (UTC); PostgreSQL a Date. */
export function parseDbDate(v: string | Date): number {
  if (v instanceof Date) return v.getTime();
  return Date.parse(v.includes('T') ? v : `${v.replace(' ', 'T')}Z`);
}
