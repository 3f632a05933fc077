import { describe, expect, it } from 'vitest';
import { parseQuery, QueryError, tokens } from '../../src/search/query';

const ERR = (input: string) => {
  try {
    parseQuery(input);
  } catch (e) {
    expect(e).toBeInstanceOf(QueryError);
    return (e as Error).message;
  }
  throw new Error(`no error for ${input}`);
};

describe('search query parser', () => {
  it('splits words on anything but letters, digits and marks, in any script, lowercased', () => {
    expect(tokens('Héllo, wörld! 3.14 ada@example.com 東京タワー don’t foo_bar')).toEqual(['héllo', 'wörld', '3', '14', 'ada', 'example', 'com', '東京タワー', 'don', 't', 'foo', 'bar']);
  });

  it('plain words of 3+ characters match as prefixes; short words, phrases and split words exactly', () => {
    const q = parseQuery('Deploy is "Ready To Go" foo-bar');
    expect(q.terms).toEqual([
      { words: ['deploy'], prefix: true },
      { words: ['is'], prefix: false },
      { words: ['ready', 'to', 'go'], prefix: false },
      { words: ['foo', 'bar'], prefix: false },
    ]);
    expect(q.excluded).toEqual([]);
  });

  it('-word and -"phrase" are excluded; a lone dash is not', () => {
    const q = parseQuery('release -beta -"release candidate" a - b');
    expect(q.terms.map((t) => t.words.join(' '))).toEqual(['release', 'a', 'b']);
    expect(q.excluded).toEqual([['beta'], ['release', 'candidate']]);
  });

  it('from: and in: take mentions, ids and names (quoted too); several mean any', () => {
    const q = parseQuery('from:<@123456789012345678> from:@Ada from:"Bob Smith" from:<@!223456789012345678> in:<#323456789012345678> in:#general in:random');
    expect(q.from).toEqual([{ id: '123456789012345678' }, { name: 'Ada' }, { name: 'Bob Smith' }, { id: '223456789012345678' }]);
    expect(q.in).toEqual([{ id: '323456789012345678' }, { name: 'general' }, { name: 'random' }]);
    expect(q.terms).toEqual([]);
  });

  it('has: kinds, is:edited, and filter keys in any case', () => {
    const q = parseQuery('HAS:Link has:image has:link Is:Edited word');
    expect(q.has).toEqual(['link', 'image']);
    expect(q.edited).toBe(true);
    expect(q.terms).toHaveLength(1);
  });

  it('dates are UTC days: before is exclusive of its day, after starts the next day, during is the day', () => {
    expect(parseQuery('before:2024-05-31 x')).toMatchObject({ before: new Date('2024-05-31T00:00:00Z'), after: null });
    expect(parseQuery('after:2024-05-31 x')).toMatchObject({ after: new Date('2024-06-01T00:00:00Z'), before: null });
    expect(parseQuery('during:2024-02-29')).toMatchObject({ after: new Date('2024-02-29T00:00:00Z'), before: new Date('2024-03-01T00:00:00Z') });
    // The narrowest window wins.
    expect(parseQuery('after:2024-01-01 after:2024-03-01 before:2024-12-01 before:2024-06-01')).toMatchObject({ after: new Date('2024-03-02T00:00:00Z'), before: new Date('2024-06-01T00:00:00Z') });
  });

  it('a colon word that is not a filter is searched as words (links too)', () => {
    const q = parseQuery('https://example.com/docs note:this');
    expect(q.terms.map((t) => t.words)).toEqual([
      ['https', 'example', 'com', 'docs'],
      ['note', 'this'],
    ]);
  });

  it('bad filters say what is wrong and how to write them', () => {
    expect(ERR('has:banana')).toBe('`has:banana` is not a filter: use has:attachment, has:link, has:image, has:file, has:poll');
    expect(ERR('before:2024-13-01')).toBe('`before:2024-13-01` is not a date: write it as YYYY-MM-DD, e.g. `before:2024-05-31`');
    expect(ERR('during:2023-02-29')).toContain('`during:2023-02-29` is not a date');
    expect(ERR('after:yesterday')).toContain('is not a date');
    expect(ERR('is:pinned')).toBe('`is:pinned` is not a filter: use is:edited');
    expect(ERR('mentions:@ada hello')).toBe('`mentions:` is not supported; use from:, in:, has:, before:, after:, during: or is:edited');
    expect(ERR('from: hello')).toBe('`from:` needs a value, e.g. `from:@name`');
    expect(ERR('-from:@ada hello')).toBe('`-from:` is not supported: filters cannot be negated');
    expect(ERR('"unclosed phrase')).toBe('a quote is not closed: put a `"` at the end of the phrase');
    expect(ERR('after:2024-05-31 before:2024-05-31')).toBe('the dates leave no day: `after:` (or `during:`) must come before `before:`');
    expect(ERR('   ')).toBe('the query is empty: give words, a "phrase" or a filter such as `from:@name`');
    expect(ERR('-spam')).toBe('a search needs something to look for, not only `-excluded` words: add a word or a filter');
    expect(ERR('x'.repeat(501))).toBe('the query is too long: at most 500 characters');
  });

  it('a filter alone is a query', () => {
    expect(parseQuery('from:@ada').terms).toEqual([]);
    expect(parseQuery('-spam has:link').excluded).toEqual([['spam']]);
  });
});
