/**
 * The `/search` query language, parsed into a plain value (no Discord, no SQL): words, quoted
 * phrases, `-excluded` words or phrases, and Discord-like filters:
 *
 * | filter | meaning |
 * |---|---|
 * | `from:<@id>`, `from:@name`, `from:name` | written by this person (a username or display name; `"Two Words"` quoted) |
 * | `in:<#id>`, `in:#name`, `in:name` | in this channel or its threads |
 * | `has:attachment\|link\|image\|file\|poll` | with an attachment (any), a link, an image, a file that is not an image, a poll |
 * | `before:YYYY-MM-DD`, `after:YYYY-MM-DD`, `during:YYYY-MM-DD` | sent before that day, after it, on it (UTC days) |
 * | `is:edited` | edited since it was sent |
 *
 * Several `from:` (or `in:`) mean any of them; several `has:` mean all of them. Words are matched
 * as Discord does, case-insensitively, a word of 3 letters or more also as the start of a longer
 * one (`recor` finds `recording`); a phrase matches its words exactly, in order. Words are runs of
 * letters, digits and marks in any script (`tokens`), the same split both databases' indexes make.
 */

export const HAS_KINDS = ['attachment', 'link', 'image', 'file', 'poll'] as const;
export type HasKind = (typeof HAS_KINDS)[number];

/** A person or a channel named in a filter: by Discord id (a mention) or by name. */
export type Ref = { id: string } | { name: string };

/** One positive term: a word (`prefix` when it may start a longer word) or a phrase. */
export interface Term {
  /** The term's words, lowercased, in order (one for a plain word). */
  words: string[];
  /** Matches words starting with the last one too (plain words of 3 or more characters). */
  prefix: boolean;
}

export interface SearchQuery {
  /** Every one must match. */
  terms: Term[];
  /** None may match (each a word or a phrase, exact). */
  excluded: string[][];
  from: Ref[];
  in: Ref[];
  has: HasKind[];
  /** created_at >= after (inclusive instant). */
  after: Date | null;
  /** created_at < before (exclusive instant). */
  before: Date | null;
  edited: boolean;
}

/** A query that cannot be run; the message says what is wrong and how to write it. */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

/** Longest query accepted (Discord's option limit is 6000; a search needs far less). */
export const MAX_QUERY_LENGTH = 500;
/** At most this many words and phrases, each side. */
export const MAX_TERMS = 16;
const MIN_PREFIX = 3;

const FILTERS = ['from', 'in', 'has', 'before', 'after', 'during', 'is'] as const;
type FilterKey = (typeof FILTERS)[number];
/** Discord filters this bot does not offer: named, so they are not silently searched as words. */
const UNSUPPORTED = ['mentions', 'pinned', 'author', 'sort'];

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** The words of a text: runs of letters, digits and marks, lowercased. */
export function tokens(text: string): string[] {
  return (text.match(WORD) ?? []).map((w) => w.toLowerCase());
}

const DAY = 86_400_000;

/** `YYYY-MM-DD` as the UTC midnight starting that day; a QueryError naming the filter otherwise. */
function parseDay(key: string, value: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !d || d.getUTCFullYear() !== Number(m[1]) || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
    throw new QueryError(`\`${key}:${value}\` is not a date: write it as YYYY-MM-DD, e.g. \`${key}:2024-05-31\``);
  }
  return d;
}

function person(value: string): Ref {
  const mention = /^<@!?(\d{15,20})>$/.exec(value);
  if (mention) return { id: mention[1] };
  if (/^\d{15,20}$/.test(value)) return { id: value };
  const name = value.replace(/^@/, '').trim();
  if (!name) throw new QueryError('`from:` needs someone: `from:@name` or a mention');
  return { name };
}

function channel(value: string): Ref {
  const mention = /^<#(\d{15,20})>$/.exec(value);
  if (mention) return { id: mention[1] };
  if (/^\d{15,20}$/.test(value)) return { id: value };
  const name = value.replace(/^#/, '').trim();
  if (!name) throw new QueryError('`in:` needs a channel: `in:#name` or a channel mention');
  return { name };
}

/** One lexical item: a filter, a word or a phrase, maybe negated. */
interface Item {
  negated: boolean;
  key: string | null;
  value: string;
  quoted: boolean;
}

/** Splits the input into items: `-`? (`key:`)? (`"…"` | non-space run). */
function lex(input: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  while (i < input.length) {
    if (/\s/.test(input[i])) {
      i++;
      continue;
    }
    let negated = false;
    if (input[i] === '-' && i + 1 < input.length && !/\s/.test(input[i + 1])) {
      negated = true;
      i++;
    }
    let key: string | null = null;
    const k = /^([a-z]+):/i.exec(input.slice(i));
    if (k && ((FILTERS as readonly string[]).includes(k[1].toLowerCase()) || UNSUPPORTED.includes(k[1].toLowerCase()))) {
      key = k[1].toLowerCase();
      i += k[0].length;
    }
    if (input[i] === '"') {
      const end = input.indexOf('"', i + 1);
      if (end < 0) throw new QueryError('a quote is not closed: put a `"` at the end of the phrase');
      items.push({ negated, key, value: input.slice(i + 1, end), quoted: true });
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < input.length && !/\s/.test(input[j])) j++;
    items.push({ negated, key, value: input.slice(i, j), quoted: false });
    i = j;
  }
  return items;
}

/** Parses a query; throws QueryError with a message for the person who wrote it. */
export function parseQuery(input: string): SearchQuery {
  const text = input.trim();
  if (text.length > MAX_QUERY_LENGTH) throw new QueryError(`the query is too long: at most ${MAX_QUERY_LENGTH} characters`);
  const q: SearchQuery = { terms: [], excluded: [], from: [], in: [], has: [], after: null, before: null, edited: false };
  for (const it of lex(text)) {
    if (it.key) {
      if (it.negated) throw new QueryError(`\`-${it.key}:\` is not supported: filters cannot be negated`);
      applyFilter(q, it.key as FilterKey, it.value.trim());
      continue;
    }
    const words = tokens(it.value);
    if (!words.length) continue; // punctuation only: nothing to match
    if (it.negated) q.excluded.push(words);
    else q.terms.push({ words, prefix: !it.quoted && words.length === 1 && words[0].length >= MIN_PREFIX });
  }
  if (q.terms.length > MAX_TERMS || q.excluded.length > MAX_TERMS) throw new QueryError(`too many words: at most ${MAX_TERMS} words or phrases (and ${MAX_TERMS} excluded)`);
  if (q.after && q.before && q.after >= q.before) throw new QueryError('the dates leave no day: `after:` (or `during:`) must come before `before:`');
  if (!q.terms.length && !q.from.length && !q.in.length && !q.has.length && !q.after && !q.before && !q.edited) {
    throw new QueryError(q.excluded.length ? 'a search needs something to look for, not only `-excluded` words: add a word or a filter' : 'the query is empty: give words, a "phrase" or a filter such as `from:@name`');
  }
  return q;
}

function applyFilter(q: SearchQuery, key: FilterKey | string, value: string): void {
  if (UNSUPPORTED.includes(key)) throw new QueryError(`\`${key}:\` is not supported; use from:, in:, has:, before:, after:, during: or is:edited`);
  if (!value) throw new QueryError(`\`${key}:\` needs a value, e.g. ${example(key as FilterKey)}`);
  switch (key as FilterKey) {
    case 'from':
      q.from.push(person(value));
      return;
    case 'in':
      q.in.push(channel(value));
      return;
    case 'has': {
      const kind = value.toLowerCase();
      if (!(HAS_KINDS as readonly string[]).includes(kind)) throw new QueryError(`\`has:${value}\` is not a filter: use has:${HAS_KINDS.join(', has:')}`);
      if (!q.has.includes(kind as HasKind)) q.has.push(kind as HasKind);
      return;
    }
    case 'before': {
      const d = parseDay(key, value);
      if (!q.before || d < q.before) q.before = d;
      return;
    }
    case 'after': {
      const d = new Date(parseDay(key, value).getTime() + DAY);
      if (!q.after || d > q.after) q.after = d;
      return;
    }
    case 'during': {
      const d = parseDay(key, value);
      const end = new Date(d.getTime() + DAY);
      if (!q.after || d > q.after) q.after = d;
      if (!q.before || end < q.before) q.before = end;
      return;
    }
    case 'is':
      if (value.toLowerCase() !== 'edited') throw new QueryError(`\`is:${value}\` is not a filter: use is:edited`);
      q.edited = true;
      return;
  }
}

function example(key: FilterKey): string {
  return { from: '`from:@name`', in: '`in:#channel`', has: '`has:link`', before: '`before:2024-05-31`', after: '`after:2024-05-31`', during: '`during:2024-05-31`', is: '`is:edited`' }[key];
}
