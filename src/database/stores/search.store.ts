import type { HasKind, Ref, SearchQuery, Term } from '../../search/query';
import type { StoreContext } from '../database';
import type { Driver } from '../data-source';
import { decodeContent } from '../content-codec';
import { dateValue, parseDbDate } from '../sql-values';

/** Where a person may look: what the command worked out from Discord's permissions. */
export interface SearchScope {
  guildId: string;
  /** Channels (and threads) the person can view and read the history of. */
  channelIds: string[];
  /** Of these, the channels whose public threads (recorded in `channels`) the person may read too. */
  threadParentIds: string[];
}

/** A position in the results: the last (or first) message shown (its time and Discord id, the order's keys). */
export interface SearchCursor {
  createdAt: Date;
  discordMessageId: string;
}

export interface SearchRequest {
  query: SearchQuery;
  scope: SearchScope;
  /** `in:` resolved to channel ids by the caller: each one and its threads. */
  inChannelIds?: string[];
  /** Older than this (the next page), or newer than `after` (the previous page). */
  before?: SearchCursor;
  after?: SearchCursor;
  /** Page size (default 10). */
  limit?: number;
}

/** A piece of a result's text: `match` marks the words the query matched. */
export interface SnippetPart {
  text: string;
  match: boolean;
}

export interface SearchHit {
  id: string;
  discordMessageId: string;
  channelId: string;
  guildId: string | null;
  authorDiscordId: string;
  authorName: string | null;
  createdAt: Date;
  edited: boolean;
  snippet: SnippetPart[];
}

export interface SearchPage {
  /** Newest first. */
  hits: SearchHit[];
  /** Whether there are more results in the direction asked (older for `before`/first page, newer for `after`). */
  more: boolean;
}

/** The PostgreSQL index's expression (migration MessageSearch): repeated exactly so the planner uses it. */
export const SEARCH_VECTOR = `to_tsvector('simple', regexp_replace(m.content, '[[:punct:]]+', ' ', 'g'))`;
const START = '\u0002';
const STOP = '\u0003';
const PLAIN_SNIPPET = 200;

/** Parameters in each driver's form: `?` (SQLite) or `$n` (PostgreSQL). */
class Params {
  readonly values: unknown[] = [];
  constructor(private readonly driver: Driver) {}
  add(v: unknown, cast = ''): string {
    this.values.push(v);
    return this.driver === 'postgres' ? `$${this.values.length}${cast}` : '?';
  }
  /** `col IN (the list)`: json_each on SQLite, `= ANY(array)` on PostgreSQL (one parameter either way). */
  inList(col: string, list: string[]): string {
    if (!list.length) return 'FALSE';
    return this.driver === 'postgres' ? `${col} = ANY(${this.add(list, '::varchar[]')})` : `${col} IN (SELECT value FROM json_each(${this.add(JSON.stringify(list))}))`;
  }
}

/** FTS5 query text: each term a quoted string (FTS5 splits it with the table's tokenizer), `*` for a prefix. */
function ftsTerm(t: Term): string {
  return `"${t.words.join(' ')}"${t.prefix ? '*' : ''}`;
}

/** tsquery text: words quoted (they hold letters, digits and marks only), phrases with <->, `:*` for a prefix. */
function tsTerm(t: Term): string {
  const inner = t.words.map((w) => `'${w}'`).join(' <-> ');
  return t.prefix ? `${inner}:*` : t.words.length > 1 ? `(${inner})` : inner;
}

/**
 * `/search`: people's messages (role `user`, never deleted ones, never the bot's replies — an
 * ephemeral one was only ever shown to one person) in the channels a person may read, matching a
 * parsed query, newest first, a page at a time (keyset on created_at, discord_message_id), with the matched words
 * marked. Ties in time (a millisecond holds several messages) are broken by the Discord id,
 * which is time-ordered (ids of one millisecond have the same length, so text order is theirs).
 * Full-text matching uses each driver's index (migration MessageSearch): FTS5
 * `messages_fts` on SQLite, the GIN index on `to_tsvector('simple', …)` on PostgreSQL; the
 * filters are plain conditions on `messages` (and `users` for `from:`, `channels` for threads).
 */
export class SearchStore {
  constructor(private readonly ctx: StoreContext) {}

  async search(req: SearchRequest): Promise<SearchPage> {
    const driver = this.ctx.driver;
    const limit = req.limit ?? 10;
    const p = new Params(driver);
    const q = req.query;
    const where: string[] = ["m.role = 'user'", 'm.deleted_at IS NULL', 'm.discord_message_id IS NOT NULL'];
    let from = 'messages m';
    let match: string | null = null;

    if (driver === 'sqlite') {
      const pos = q.terms.map(ftsTerm).join(' AND ');
      const neg = q.excluded.map((w) => ftsTerm({ words: w, prefix: false })).join(' OR ');
      if (pos) {
        match = neg ? `(${pos}) NOT (${neg})` : pos;
        from = 'messages_fts JOIN messages m ON m.rowid = messages_fts.rowid';
        where.push(`messages_fts MATCH ${p.add(match)}`);
      } else if (neg) {
        where.push(`m.rowid NOT IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ${p.add(neg)})`);
      }
    } else {
      const pos = q.terms.map(tsTerm).join(' & ');
      const neg = q.excluded.map((w) => tsTerm({ words: w, prefix: false })).join(' | ');
      const text = pos && neg ? `(${pos}) & !(${neg})` : pos || (neg ? `!(${neg})` : '');
      if (text) {
        where.push(`${SEARCH_VECTOR} @@ to_tsquery('simple', ${p.add(text)})`);
        if (pos) match = pos;
      }
    }
    if (driver === 'sqlite' && !match) {
      // Filters only: newest first down the guild's partial index (its condition is this query's
      // role and deleted_at), stopping at a page; CROSS JOIN keeps SQLite from starting at the
      // (small) users table and scanning messages for each.
      from = 'messages m INDEXED BY idx_messages_guild_created_user CROSS JOIN sessions s ON s.id = m.session_id CROSS JOIN users u ON u.id = s.user_id';
    } else from += ' JOIN sessions s ON s.id = m.session_id JOIN users u ON u.id = s.user_id';

    where.push(`m.guild_id = ${p.add(req.scope.guildId)}`);
    where.push(`(${p.inList('m.channel_id', req.scope.channelIds)} OR m.channel_id IN (SELECT c.discord_channel_id FROM channels c WHERE ${p.inList('c.parent_id', req.scope.threadParentIds)} AND c.type IN (10, 11)))`);
    if (req.inChannelIds) where.push(`(${p.inList('m.channel_id', req.inChannelIds)} OR m.channel_id IN (SELECT c.discord_channel_id FROM channels c WHERE ${p.inList('c.parent_id', req.inChannelIds)}))`);
    if (q.from.length) where.push(this.fromCondition(p, q.from));
    for (const h of q.has) where.push(hasCondition(driver, h));
    if (q.after) where.push(`m.created_at >= ${p.add(dateValue(driver, q.after))}`);
    if (q.before) where.push(`m.created_at < ${p.add(dateValue(driver, q.before))}`);
    if (q.edited) where.push('m.edited_at IS NOT NULL');

    const cursor = req.after ?? req.before;
    const newer = !!req.after;
    if (cursor) {
      const op = newer ? '>' : '<';
      const t = dateValue(driver, cursor.createdAt);
      where.push(`(m.created_at ${op} ${p.add(t)} OR (m.created_at = ${p.add(t)} AND m.discord_message_id ${op} ${p.add(cursor.discordMessageId)}))`);
    }
    const order = newer ? 'ASC' : 'DESC';
    const cols =
      'm.id, m.discord_message_id AS dmid, m.channel_id AS cid, m.guild_id AS gid, m.created_at AS at, m.edited_at AS edited, m.content, m.content_escaped AS esc, u.channel_user_id AS author, COALESCE(u.display_name, u.username) AS name';
    let sql: string;
    let rows: Row[] | null = null;
    let windowAt = -1;
    if (driver === 'sqlite') {
      const snip = match ? `, snippet(messages_fts, 0, char(2), char(3), '…', 24) AS snip` : '';
      const select = (extra: string[]) => `SELECT ${cols}${snip} FROM ${from} WHERE ${where.concat(extra).join(' AND ')} ORDER BY m.created_at ${order}, m.discord_message_id ${order} LIMIT ${limit + 1}`;
      sql = select([]);
      // Words, newest first: the newest windows of time first (see newestWindows), so a common
      // word is not joined to every message that has it before the newest ten are kept.
      if (match && !newer) rows = await this.newestWindows(req, p.values, limit + 1, select(['messages_fts.rowid >= ?', 'm.created_at >= ?']));
    } else {
      // The page first, then ts_headline for its rows only (it re-parses each text).
      // With words to match, the GIN index must drive: ordering by an expression keeps the planner
      // from walking a created_at index backwards and testing every row (it cannot estimate how
      // rare a prefix match is, and a rare word then costs a scan of the guild's messages).
      const key = match ? `(m.created_at + INTERVAL '0 seconds')` : 'm.created_at';
      // Words, newest first: the same windows of time as on SQLite (newestWindows), as a bound on
      // created_at (a parameter set per window, the epoch for all time) the planner can AND with
      // the GIN index's matches, instead of sorting every message that has a common word.
      const windowed = !!match && !newer;
      if (windowed) windowAt = p.values.length;
      if (windowed) where.push(`m.created_at >= ${p.add(new Date(0))}`);
      const inner = `SELECT ${cols} FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${key} ${order}, m.discord_message_id ${order} LIMIT ${limit + 1}`;
      const snip = match
        ? `, ts_headline('simple', r.content, to_tsquery('simple', ${p.add(match)}), 'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxWords=30, MinWords=12, ShortWord=0, MaxFragments=2, FragmentDelimiter=" … "') AS snip`
        : '';
      sql = `SELECT r.*${snip} FROM (${inner}) r ORDER BY r.at ${order}, r.dmid ${order}`;
    }
    if (driver === 'postgres' && match && !newer) rows = await this.newestWindowsPg(req, sql, p.values, windowAt, limit + 1);
    rows ??= await this.ctx.read<Row>(sql, p.values);
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    if (newer) page.reverse();
    return { hits: page.map(toHit), more };
  }

  /**
   * SQLite, words to match, newest first: FTS5 hands over every row that matches (a word in one
   * message of seven: 1.4 million on 10M messages), each joined to `messages` before the newest
   * page is kept — seconds. Instead the search runs over the last 1, 7, 30 and 180 days before
   * the page's end, then all time, stopping at the first window with a full page. Each window is
   * also a rowid bound FTS5 applies itself (`rowid >= X`, X the lowest rowid of the guild's
   * messages in the window, read from idx_messages_guild_created_user, whose condition is this
   * query's: role user, not deleted): every message of the window has a rowid ≥ X whatever order
   * they were inserted in, and the `created_at` bound removes the older ones above X. A window
   * with a full page holds the newest page overall. Null when no window filled a page (the caller
   * runs the query without bounds).
   */
  private async newestWindows(req: SearchRequest, values: unknown[], want: number, bounded: string): Promise<Row[] | null> {
    const end = Math.min(req.before?.createdAt.getTime() ?? Infinity, req.query.before?.getTime() ?? Infinity, Date.now() + 86_400_000);
    const floor = req.query.after?.getTime() ?? -Infinity;
    for (const days of [1, 7, 30, 180]) {
      const start = end - days * 86_400_000;
      if (start <= floor) return null;
      const since = dateValue('sqlite', new Date(start));
      const [low] = await this.ctx.read<{ r: number | null }>(`SELECT MIN(m.rowid) AS r FROM messages m INDEXED BY idx_messages_guild_created_user WHERE m.guild_id = ? AND m.role = 'user' AND m.deleted_at IS NULL AND m.created_at >= ?`, [
        req.scope.guildId,
        since,
      ]);
      if (low?.r === null || low?.r === undefined) continue;
      const rows = await this.ctx.read<Row>(bounded, [...values, low.r, since]);
      if (rows.length >= want) return rows;
    }
    return null;
  }

  /** PostgreSQL: the query with its window parameter (at `at`) set to 1, 7, 30 and 180 days before the page's end in turn. */
  private async newestWindowsPg(req: SearchRequest, sql: string, values: unknown[], at: number, want: number): Promise<Row[] | null> {
    if (at < 0) return null;
    const end = Math.min(req.before?.createdAt.getTime() ?? Infinity, req.query.before?.getTime() ?? Infinity, Date.now() + 86_400_000);
    const floor = req.query.after?.getTime() ?? -Infinity;
    for (const days of [1, 7, 30, 180]) {
      const start = end - days * 86_400_000;
      if (start <= floor) break;
      const rows = await this.ctx.read<Row>(
        sql,
        values.map((v, i) => (i === at ? new Date(start) : v)),
      );
      if (rows.length >= want) return rows;
    }
    return null;
  }

  /**
   * Fills the SQLite full-text index again from `messages` (FTS5 'rebuild'): for a file whose
   * rowids were renumbered (a VACUUM may do that for a table without an INTEGER PRIMARY KEY, as
   * `messages` is). PostgreSQL's index needs nothing: it is rebuilt with REINDEX if ever.
   */
  async rebuildIndex(): Promise<void> {
    if (this.ctx.driver !== 'sqlite') return;
    await this.ctx.write('rebuild messages_fts', (em) => this.ctx.execute(em, `INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')`, []));
  }

  /** `from:` any of these people: by Discord id, or by username or display name (case-insensitive). */
  private fromCondition(p: Params, refs: Ref[]): string {
    const ids = refs.flatMap((r) => ('id' in r ? [r.id] : []));
    const names = refs.flatMap((r) => ('name' in r ? [r.name.toLowerCase()] : []));
    const parts: string[] = [];
    if (ids.length) parts.push(p.inList('u.channel_user_id', ids));
    if (names.length) parts.push(p.inList('lower(u.username)', names), p.inList('lower(u.display_name)', names));
    return `(${parts.join(' OR ')})`;
  }
}

/** An attachment's JSON elements in `metadata.attachments`, per driver; `cond` is on its content type `ct`. */
function attachmentWhere(driver: Driver, cond: string): string {
  return driver === 'sqlite'
    ? `EXISTS (SELECT 1 FROM json_each(m.metadata, '$.attachments') a WHERE ${cond.replaceAll('ct', "(a.value ->> '$.contentType')")})`
    : `EXISTS (SELECT 1 FROM json_array_elements(CASE WHEN json_typeof(m.metadata -> 'attachments') = 'array' THEN m.metadata -> 'attachments' END) a WHERE ${cond.replaceAll('ct', "(a ->> 'contentType')")})`;
}

function hasCondition(driver: Driver, kind: HasKind): string {
  switch (kind) {
    case 'attachment':
      return attachmentWhere(driver, 'TRUE');
    case 'image':
      return attachmentWhere(driver, "ct LIKE 'image/%'");
    case 'file':
      return attachmentWhere(driver, "(ct IS NULL OR ct NOT LIKE 'image/%')");
    case 'link':
      return driver === 'sqlite' ? "(m.content LIKE '%http://%' OR m.content LIKE '%https://%')" : "(m.content ILIKE '%http://%' OR m.content ILIKE '%https://%')";
    case 'poll':
      return driver === 'sqlite' ? "json_extract(m.metadata, '$.poll') IS NOT NULL" : "(m.metadata -> 'poll') IS NOT NULL";
  }
}

interface Row {
  id: string;
  dmid: string;
  cid: string;
  gid: string | null;
  at: string | Date;
  edited: string | Date | null;
  content: string;
  esc: number | boolean;
  author: string;
  name: string | null;
  snip?: string;
}

function toHit(r: Row): SearchHit {
  const escaped = !!r.esc;
  return {
    id: r.id,
    discordMessageId: r.dmid,
    channelId: r.cid,
    guildId: r.gid,
    authorDiscordId: r.author,
    authorName: r.name,
    createdAt: new Date(parseDbDate(r.at)),
    edited: r.edited !== null,
    snippet: r.snip !== undefined && r.snip !== null ? parseSnippet(decodeContent(r.snip, escaped)) : plainSnippet(decodeContent(r.content, escaped)),
  };
}

/** Splits text marked with START/STOP into parts. */
export function parseSnippet(s: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let match = false;
  let buf = '';
  for (const ch of s) {
    if (ch === START || ch === STOP) {
      if (buf) parts.push({ text: buf, match });
      buf = '';
      match = ch === START;
    } else buf += ch;
  }
  if (buf) parts.push({ text: buf, match });
  return parts;
}

function plainSnippet(content: string): SnippetPart[] {
  const flat = content.replace(/\s+/g, ' ').trim();
  return flat ? [{ text: flat.length > PLAIN_SNIPPET ? `${flat.slice(0, PLAIN_SNIPPET - 1)}…` : flat, match: false }] : [];
}
