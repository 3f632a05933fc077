/**
 * The sandbox's database panel for the local Discord's web view: the rows recorded for the last
 * messages (messages, their revisions, reactions, poll votes and attachments, their sessions, their users) and `bot_status`, editable. The emulator knows
 * nothing of the bot's database; it is given this provider of rows and edits.
 *
 * An edit of `bot_status` is a direct database write from a connection of its own, as an operator
 * would make it with SQL, so the presence follows through the bot's change feed (NOTIFY on
 * PostgreSQL, `PRAGMA data_version` on SQLite, which changes only when another connection commits).
 */
import type { DataPanel, PanelTable } from '@chronicle/discord-emulator';
import type { Bot } from '../bot/bot';
import type { DatabaseConfig } from '../config';
import { decodeContent } from '../database/content-codec';
import { placeholder } from '../database/sql-values';
import { ACTIVITY_TYPES, PRESENCE_STATUSES, botStatusProblems } from '../entities/BotStatus';

/** How many of the newest messages the panel shows (with their sessions and users). */
const LAST_MESSAGES = 8;

export function databasePanel(bot: Bot, config: DatabaseConfig, title: string): DataPanel {
  const { db } = bot;
  const ph = (n: number) => placeholder(db.driver, n);
  const inList = (ids: unknown[]) => ids.map((_, i) => ph(i + 1)).join(', ');
  const listeners: (() => void)[] = [];
  const changed = () => listeners.forEach((fn) => fn());
  // Told of each batch the recorder commits and of each bot_status change the bot's feed reports.
  const committed = bot.queue.onCommitted;
  bot.queue.onCommitted = (items, result) => {
    committed?.(items, result);
    changed();
  };
  db.changes.on('change', changed);

  return {
    title,
    async tables(): Promise<PanelTable[]> {
      const messages = await db.read<Record<string, unknown>>(
        `SELECT id, role, content, content_escaped, edited_at, deleted_at, discord_message_id, session_id, channel_id, reply_to_id, created_at FROM messages ORDER BY created_at DESC, id DESC LIMIT ${LAST_MESSAGES}`,
        [],
      );
      for (const m of messages) {
        m.content = decodeContent(String(m.content), Boolean(m.content_escaped));
        delete m.content_escaped;
      }
      const sessionIds = [...new Set(messages.map((m) => m.session_id))];
      const sessions = sessionIds.length
        ? await db.read<Record<string, unknown>>(`SELECT id, user_id, channel_id, created_at, updated_at, ended_at FROM sessions WHERE id IN (${inList(sessionIds)}) ORDER BY updated_at DESC`, sessionIds)
        : [];
      const userIds = [...new Set(sessions.map((s) => s.user_id))];
      const users = userIds.length ? await db.read<Record<string, unknown>>(`SELECT id, username, display_name, channel, channel_user_id, updated_at FROM users WHERE id IN (${inList(userIds)}) ORDER BY updated_at DESC`, userIds) : [];
      const messageIds = messages.map((m) => m.id);
      const forMessages = async (sql: string) => (messageIds.length ? db.read<Record<string, unknown>>(sql.replace('(?)', `(${inList(messageIds)})`), messageIds) : []);
      const revisions = await forMessages('SELECT id, message_id, content, content_escaped, edited_at, replaced_at FROM message_revisions WHERE message_id IN (?) ORDER BY replaced_at DESC');
      for (const r of revisions) {
        r.content = decodeContent(String(r.content), Boolean(r.content_escaped));
        delete r.content_escaped;
      }
      const reactions = await forMessages('SELECT message_id, emoji, emoji_name, discord_user_id, burst, created_at FROM reactions WHERE message_id IN (?) ORDER BY created_at DESC');
      for (const r of reactions) r.burst = Boolean(r.burst);
      const pollVotes = await forMessages('SELECT message_id, answer_id, discord_user_id, created_at FROM poll_votes WHERE message_id IN (?) ORDER BY created_at DESC');
      const attachments = await forMessages('SELECT message_id, filename, content_type, size, state, sha256, stored_path, error FROM attachments WHERE message_id IN (?) ORDER BY created_at DESC');
      const statuses = await db.read<Record<string, unknown>>('SELECT id, is_active, status, activity_type, activity, url, updated_at FROM bot_status ORDER BY id', []);
      for (const s of statuses) s.is_active = Boolean(s.is_active);
      const columns = (rows: Record<string, unknown>[], fallback: string[]) => (rows.length ? Object.keys(rows[0]) : fallback);
      return [
        {
          name: 'bot_status',
          note: 'A direct write from a connection of its own (as SQL would be): the presence follows. At most one row is active.',
          columns: columns(statuses, ['id', 'is_active', 'status', 'activity_type', 'activity', 'url', 'updated_at']),
          rows: statuses,
          edit: { key: 'id', fields: [{ name: 'is_active', options: ['true', 'false'] }, { name: 'status', options: [...PRESENCE_STATUSES] }, { name: 'activity_type', options: [...ACTIVITY_TYPES] }, { name: 'activity' }, { name: 'url' }] },
        },
        { name: 'messages', note: `The last ${LAST_MESSAGES} recorded, newest first.`, columns: columns(messages, ['id', 'role', 'content', 'discord_message_id', 'session_id']), rows: messages },
        { name: 'message_revisions', note: 'The earlier versions of those messages (an edit keeps what it replaced).', columns: columns(revisions, ['id', 'message_id', 'content', 'edited_at', 'replaced_at']), rows: revisions },
        { name: 'reactions', note: 'Who reacted to those messages, with what.', columns: columns(reactions, ['message_id', 'emoji', 'emoji_name', 'discord_user_id', 'burst', 'created_at']), rows: reactions },
        { name: 'poll_votes', note: 'Who voted on the polls among those messages, for which answer.', columns: columns(pollVotes, ['message_id', 'answer_id', 'discord_user_id', 'created_at']), rows: pollVotes },
        {
          name: 'attachments',
          note: 'Their files: metadata, and where the file is stored once downloaded.',
          columns: columns(attachments, ['message_id', 'filename', 'content_type', 'size', 'state', 'sha256', 'stored_path', 'error']),
          rows: attachments,
        },
        { name: 'sessions', note: 'The sessions of those messages.', columns: columns(sessions, ['id', 'user_id', 'channel_id']), rows: sessions },
        { name: 'users', note: 'The people of those sessions.', columns: columns(users, ['id', 'username', 'display_name', 'channel', 'channel_user_id']), rows: users },
      ];
    },
    async edit(table, key, values) {
      if (table !== 'bot_status') throw new Error(`${table} is shown, not edited`);
      const [row] = await db.read<Record<string, unknown>>(`SELECT status, activity_type, activity, url, is_active FROM bot_status WHERE id = ${ph(1)}`, [key]);
      if (!row) throw new Error(`no bot_status row ${key}`);
      const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
      const next = {
        status: text(values.status) ?? String(row.status),
        activityType: text(values.activity_type) ?? String(row.activity_type),
        activity: 'activity' in values ? text(values.activity) : (row.activity as string | null),
        url: 'url' in values ? text(values.url) : (row.url as string | null),
        isActive: 'is_active' in values ? values.is_active === true || values.is_active === 'true' : Boolean(row.is_active),
      };
      const problems = botStatusProblems(next);
      if (problems.length) throw new Error(`bot_status ${key} not written: ${problems.join('; ')}`);
      const statements = [{ sql: 'UPDATE bot_status SET status = ?, activity_type = ?, activity = ?, url = ?, is_active = ? WHERE id = ?', params: [next.status, next.activityType, next.activity, next.url, next.isActive, key] }];
      if (next.isActive) statements.push({ sql: 'UPDATE bot_status SET is_active = ? WHERE id <> ?', params: [false, key] });
      await writeDirectly(config, statements);
    },
    onChange(fn) {
      listeners.push(fn);
    },
  };
}

/**
 * What an operator does by hand: statements run in one transaction on a connection of the
 * process's own, not the bot's (`?` placeholders; numbered for PostgreSQL).
 */
export async function writeDirectly(db: DatabaseConfig, statements: { sql: string; params?: unknown[] }[]): Promise<void> {
  if (db.driver === 'postgres') {
    const { pgClient } = await import('../database/postgres-admin');
    const c = pgClient({ connectionString: db.url });
    await c.connect();
    try {
      await c.query('BEGIN');
      for (const s of statements) {
        let n = 0;
        await c.query(
          s.sql.replace(/\?/g, () => `$${++n}`),
          s.params ?? [],
        );
      }
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      await c.end();
    }
    return;
  }
  const sqlite3 = (await import('sqlite3')).default;
  const conn = await new Promise<import('sqlite3').Database>((resolve, reject) => {
    const c = new sqlite3.Database(db.path, (err) => (err ? reject(err) : resolve(c)));
  });
  conn.configure('busyTimeout', 10_000);
  const run = (sql: string, params: unknown[] = []) => new Promise<void>((resolve, reject) => conn.run(sql, params, (e) => (e ? reject(e) : resolve())));
  try {
    await run('BEGIN IMMEDIATE');
    try {
      for (const s of statements) await run(s.sql, s.params);
      await run('COMMIT');
    } catch (e) {
      await run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  } finally {
    await new Promise<void>((resolve) => conn.close(() => resolve()));
  }
}
