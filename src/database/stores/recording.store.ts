import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { MessageMetadata, MessageRole } from '../../entities/Message';
import type { StoreContext } from '../database';
import { encodeContent } from '../content-codec';
import { boolValue, dateValue, jsonValue, valuesList } from '../sql-values';
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
}

const CHANNEL = 'discord';
const USER_CACHE_MAX = 50_000;
const SESSION_CACHE_MAX = 50_000;
const CHUNK_ROWS = 1000;

/**
 * Writes what the bot records, in batches: one transaction per batch resolves authors to `users`
 * (created or kept current), messages to the owner's open session in that channel (a new session
 * after `idleMs` without messages), inserts messages idempotently (a Discord message id already
 * stored is skipped) and applies edits and deletes. Users and open sessions are cached in memory
 * (bounded LRU) with the database as the truth: a cache miss reads the database, and cache
 * updates are published only after the transaction commits.
 */
export class RecordingStore {
  private readonly users = new LruMap<string, CachedUser>(USER_CACHE_MAX);
  private readonly sessions = new LruMap<string, CachedSession>(SESSION_CACHE_MAX);

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
    const staged = { users: new Map<string, CachedUser>(), sessions: new Map<string, CachedSession>() };
    const result = await this.ctx.write('record batch', (em) => this.writeInTransaction(em, events, staged));
    for (const [k, v] of staged.users) this.users.set(k, v);
    for (const [k, v] of staged.sessions) this.sessions.set(k, v);
    return result;
  }

  private async writeInTransaction(em: EntityManager, events: RecordedEvent[], staged: { users: Map<string, CachedUser>; sessions: Map<string, CachedSession> }): Promise<BatchResult> {
    const driver = this.ctx.driver;
    const result: BatchResult = { inserted: 0, duplicates: 0, edited: 0, deleted: 0, usersCreated: 0, sessionsCreated: 0 };

    // Edits of messages never recorded become creates (with edited_at) when Discord sent the full message.
    const creates: RecordedCreate[] = [];
    for (const e of events) if (e.kind === 'create') creates.push(e);
    const edits = events.filter((e): e is RecordedEdit => e.kind === 'edit');
    if (edits.some((e) => e.full)) {
      const known = await this.existingDiscordIds(em, edits.filter((e) => e.full).map((e) => e.discordMessageId));
      const createdHere = new Set(creates.map((c) => c.discordMessageId));
      for (const e of edits) {
        if (e.full && !known.has(e.discordMessageId) && !createdHere.has(e.discordMessageId)) {
          creates.push({ ...e.full, content: e.content, editedAt: e.editedAt });
          createdHere.add(e.discordMessageId);
        }
      }
    }

    // 1. Users: every author and session owner.
    const authors = new Map<string, RecordedAuthor>();
    for (const c of creates) {
      authors.set(c.author.id, c.author);
      if (c.sessionOwner) authors.set(c.sessionOwner.id, c.sessionOwner);
    }
    const userIds = await this.resolveUsers(em, authors, staged.users, result);

    // 2. Sessions: the owner's open session in the channel, in message order.
    const owners = await this.resolveReplyOwners(em, creates, userIds);
    const sessionOf = await this.resolveSessions(em, creates, owners, staged.sessions, result);

    // 3. Messages, idempotent on discord_message_id.
    if (creates.length) {
      const cols = ['id', 'session_id', 'role', 'content', 'content_escaped', 'discord_message_id', 'channel_id', 'guild_id', 'reply_to_id', 'metadata', 'created_at', 'edited_at', 'deleted_at'];
      const casts = ['uuid', 'uuid', '', '', '', '', '', '', '', 'json', 'timestamptz', 'timestamptz', 'timestamptz'];
      for (let i = 0; i < creates.length; i += CHUNK_ROWS) {
        const part = creates.slice(i, i + CHUNK_ROWS);
        const params: unknown[] = [];
        for (const c of part) {
          const { content, escaped } = encodeContent(c.content);
          params.push(randomUUID(), sessionOf.get(c)!, c.role, content, boolValue(driver, escaped), c.discordMessageId, c.channelId, c.guildId, c.replyToId ?? null, jsonValue(c.metadata), dateValue(driver, c.createdAt), dateValue(driver, c.editedAt ?? null), null);
        }
        const sql = `INSERT INTO "messages" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES ${valuesList(driver, part.length, cols.length, casts)} ON CONFLICT ("discord_message_id") DO NOTHING`;
        const inserted = await this.execCount(em, sql, params);
        result.inserted += inserted;
        result.duplicates += part.length - inserted;
      }
    }

    // 4. Edits and deletes, in the order they came.
    for (const e of events) {
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

  private async existingDiscordIds(em: EntityManager, ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK_ROWS) {
      const part = ids.slice(i, i + CHUNK_ROWS);
      const ph = this.ctx.driver === 'postgres' ? part.map((_, k) => `$${k + 1}`) : part.map(() => '?');
      const rows: { id: string }[] = await em.query(`SELECT "discord_message_id" AS id FROM "messages" WHERE "discord_message_id" IN (${ph.join(', ')})`, part);
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  /** Maps Discord user ids to `users.id`, creating or refreshing rows as needed. */
  private async resolveUsers(em: EntityManager, authors: Map<string, RecordedAuthor>, staged: Map<string, CachedUser>, result: BatchResult): Promise<Map<string, string>> {
    const driver = this.ctx.driver;
    const ids = new Map<string, string>();
    const missing: string[] = [];
    const changed: { id: string; a: RecordedAuthor }[] = [];
    for (const [discordId, a] of authors) {
      const cached = this.users.get(discordId);
      if (!cached) {
        missing.push(discordId);
        continue;
      }
      ids.set(discordId, cached.id);
      if (cached.username !== a.username || cached.displayName !== a.displayName) changed.push({ id: cached.id, a });
    }
    if (missing.length) {
      const found = new Map<string, CachedUser>();
      for (let i = 0; i < missing.length; i += CHUNK_ROWS) {
        const part = missing.slice(i, i + CHUNK_ROWS);
        const ph = driver === 'postgres' ? part.map((_, k) => `$${k + 2}`) : part.map(() => '?');
        const rows: { id: string; cuid: string; username: string | null; display_name: string | null }[] = await em.query(
          `SELECT "id", "channel_user_id" AS cuid, "username", "display_name" FROM "users" WHERE "channel" = ${driver === 'postgres' ? '$1' : '?'} AND "channel_user_id" IN (${ph.join(', ')})`,
          [CHANNEL, ...part],
        );
        for (const r of rows) found.set(r.cuid, { id: r.id, username: r.username, displayName: r.display_name });
      }
      const now = new Date();
      const fresh: { discordId: string; user: CachedUser }[] = [];
      for (const discordId of missing) {
        const a = authors.get(discordId)!;
        const row = found.get(discordId);
        if (row) {
          ids.set(discordId, row.id);
          staged.set(discordId, row);
          if (row.username !== a.username || row.displayName !== a.displayName) changed.push({ id: row.id, a });
        } else {
          const user = { id: randomUUID(), username: a.username, displayName: a.displayName };
          fresh.push({ discordId, user });
          ids.set(discordId, user.id);
          staged.set(discordId, user);
        }
      }
      for (let i = 0; i < fresh.length; i += CHUNK_ROWS) {
        const part = fresh.slice(i, i + CHUNK_ROWS);
        const params: unknown[] = [];
        for (const f of part) params.push(f.user.id, CHANNEL, f.discordId, f.user.username, f.user.displayName, dateValue(driver, now), dateValue(driver, now));
        await em.query(`INSERT INTO "users" ("id", "channel", "channel_user_id", "username", "display_name", "created_at", "updated_at") VALUES ${valuesList(driver, part.length, 7, ['uuid', '', '', '', '', 'timestamptz', 'timestamptz'])}`, params);
        result.usersCreated += part.length;
      }
    }
    const now = new Date();
    for (const { id, a } of changed) {
      await em.query(
        driver === 'postgres' ? 'UPDATE "users" SET "username" = $1, "display_name" = $2, "updated_at" = $3 WHERE "id" = $4' : 'UPDATE "users" SET "username" = ?, "display_name" = ?, "updated_at" = ? WHERE "id" = ?',
        [a.username, a.displayName, dateValue(driver, now), id],
      );
      staged.set(a.id, { id, username: a.username, displayName: a.displayName });
    }
    return ids;
  }

  /**
   * The user whose session each message goes in: its session owner when given; for the bot's
   * replies to a message, the author of that message (looked up when it is stored); else the author.
   */
  private async resolveReplyOwners(em: EntityManager, creates: RecordedCreate[], userIds: Map<string, string>): Promise<Map<RecordedCreate, string>> {
    const owners = new Map<RecordedCreate, string>();
    const lookups: RecordedCreate[] = [];
    for (const c of creates) {
      if (c.sessionOwner) owners.set(c, userIds.get(c.sessionOwner.id)!);
      else if (c.role === 'assistant' && c.replyToId) lookups.push(c);
      else owners.set(c, userIds.get(c.author.id)!);
    }
    if (lookups.length) {
      // Authors of referenced messages in this same batch, then in the database.
      const inBatch = new Map<string, string>();
      for (const c of creates) if (c.role !== 'assistant') inBatch.set(c.discordMessageId, userIds.get(c.author.id)!);
      const need = [...new Set(lookups.map((c) => c.replyToId!).filter((id) => !inBatch.has(id)))];
      const fromDb = new Map<string, string>();
      for (let i = 0; i < need.length; i += CHUNK_ROWS) {
        const part = need.slice(i, i + CHUNK_ROWS);
        const ph = this.ctx.driver === 'postgres' ? part.map((_, k) => `$${k + 1}`) : part.map(() => '?');
        const rows: { mid: string; uid: string }[] = await em.query(
          `SELECT m."discord_message_id" AS mid, s."user_id" AS uid FROM "messages" m JOIN "sessions" s ON s."id" = m."session_id" WHERE m."discord_message_id" IN (${ph.join(', ')})`,
          part,
        );
        for (const r of rows) fromDb.set(r.mid, r.uid);
      }
      for (const c of lookups) owners.set(c, inBatch.get(c.replyToId!) ?? fromDb.get(c.replyToId!) ?? userIds.get(c.author.id)!);
    }
    return owners;
  }

  private async resolveSessions(em: EntityManager, creates: RecordedCreate[], owners: Map<RecordedCreate, string>, staged: Map<string, CachedSession>, result: BatchResult): Promise<Map<RecordedCreate, string>> {
    const driver = this.ctx.driver;
    const idle = this.opts.idleMs;
    const working = new Map<string, CachedSession | null>();
    const misses = new Set<string>();
    for (const c of creates) {
      const key = `${owners.get(c)}:${c.channelId}`;
      if (working.has(key)) continue;
      const cached = this.sessions.get(key);
      if (cached) working.set(key, { ...cached });
      else misses.add(key);
    }
    if (misses.size) {
      // Latest open session per (user, channel) among the misses.
      const keys = [...misses];
      for (let i = 0; i < keys.length; i += 400) {
        const part = keys.slice(i, i + 400);
        const params: unknown[] = [];
        const conds = part.map((k) => {
          const [userId, channelId] = k.split(':');
          params.push(userId, channelId);
          return driver === 'postgres' ? `("user_id" = $${params.length - 1} AND "channel_id" = $${params.length})` : '("user_id" = ? AND "channel_id" = ?)';
        });
        const rows: { id: string; user_id: string; channel_id: string; updated_at: string | Date }[] = await em.query(
          `SELECT "id", "user_id", "channel_id", "updated_at" FROM "sessions" WHERE "ended_at" IS NULL AND (${conds.join(' OR ')})`,
          params,
        );
        for (const r of rows) {
          const key = `${r.user_id}:${r.channel_id}`;
          const lastAt = parseDbDate(r.updated_at);
          const cur = working.get(key);
          if (!cur || cur.lastAt < lastAt) working.set(key, { id: r.id, lastAt });
        }
      }
      for (const k of keys) if (!working.has(k)) working.set(k, null);
    }

    const sessionOf = new Map<RecordedCreate, string>();
    const newSessions: { id: string; userId: string; channelId: string; guildId: string | null; at: Date }[] = [];
    const touched = new Map<string, number>();
    for (const c of creates) {
      const key = `${owners.get(c)}:${c.channelId}`;
      const t = c.createdAt.getTime();
      let s = working.get(key) ?? null;
      if (!s || t - s.lastAt >= idle) {
        s = { id: randomUUID(), lastAt: t };
        newSessions.push({ id: s.id, userId: owners.get(c)!, channelId: c.channelId, guildId: c.guildId, at: c.createdAt });
        working.set(key, s);
      } else if (t > s.lastAt) {
        s.lastAt = t;
      }
      touched.set(s.id, Math.max(touched.get(s.id) ?? 0, s.lastAt));
      sessionOf.set(c, s.id);
    }
    const newIds = new Set(newSessions.map((s) => s.id));
    for (let i = 0; i < newSessions.length; i += CHUNK_ROWS) {
      const part = newSessions.slice(i, i + CHUNK_ROWS);
      const params: unknown[] = [];
      for (const s of part) params.push(s.id, s.userId, s.channelId, s.guildId, dateValue(driver, s.at), dateValue(driver, new Date(touched.get(s.id)!)), null);
      await em.query(`INSERT INTO "sessions" ("id", "user_id", "channel_id", "guild_id", "created_at", "updated_at", "ended_at") VALUES ${valuesList(driver, part.length, 7, ['uuid', 'uuid', '', '', 'timestamptz', 'timestamptz', 'timestamptz'])}`, params);
      result.sessionsCreated += part.length;
    }
    const updates = [...touched].filter(([id]) => !newIds.has(id));
    if (updates.length) {
      if (driver === 'postgres') {
        for (let i = 0; i < updates.length; i += CHUNK_ROWS) {
          const part = updates.slice(i, i + CHUNK_ROWS);
          const params: unknown[] = [];
          for (const [id, at] of part) params.push(id, new Date(at));
          await em.query(
            `UPDATE "sessions" AS s SET "updated_at" = v.t FROM (VALUES ${valuesList(driver, part.length, 2, ['uuid', 'timestamptz'])}) AS v(id, t) WHERE s."id" = v.id AND s."updated_at" < v.t`,
            params,
          );
        }
      } else {
        for (const [id, at] of updates) await em.query('UPDATE "sessions" SET "updated_at" = ? WHERE "id" = ? AND "updated_at" < ?', [dateValue(driver, new Date(at)), id, dateValue(driver, new Date(at))]);
      }
    }
    for (const [key, s] of working) if (s) staged.set(key, s);
    return sessionOf;
  }

  /** Runs a write and returns how many rows it changed, on either driver. */
  private async execCount(em: EntityManager, sql: string, params: unknown[]): Promise<number> {
    const runner = em.queryRunner!;
    const res = await runner.query(sql, params, true);
    return Number(res.affected ?? 0);
  }
}

/** SQLite returns 'YYYY-MM-DD HH:MM:SS.SSS' (UTC); PostgreSQL a Date. */
export function parseDbDate(v: string | Date): number {
  if (v instanceof Date) return v.getTime();
  return Date.parse(v.includes('T') ? v : `${v.replace(' ', 'T')}Z`);
}
