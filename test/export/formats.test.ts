import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TranscriptMessage } from '../../src/database/stores/transcript.store';
import { exportChannel, parseWhen } from '../../src/export/export-channel';
import { CSV_COLUMNS } from '../../src/export/csv';
import { safeHref, segments } from '../../src/export/html';
import type { TranscriptFormatName } from '../../src/export/transcript';
import { utc } from '../../src/export/txt';
import { DRIVERS } from '../helpers/databases';
import { checkDiscordAfterEach, startHarness, type Harness } from '../helpers/harness';
import { ATTRIBUTE_INJECTION, SCRIPT_INJECTION, transcriptScene, type TranscriptScene } from '../helpers/transcript-scene';

describe('transcript helpers', () => {
  it('parseWhen takes dates and times (UTC unless a zone is given) and refuses the rest', () => {
    expect(parseWhen('2026-12-04')?.toISOString()).toBe('2026-12-04T00:00:00.000Z');
    expect(parseWhen('2026-12-04T10:30')?.toISOString()).toBe('2026-12-04T10:30:00.000Z');
    expect(parseWhen('2026-12-04 10:30:00+02:00')?.toISOString()).toBe('2026-12-04T08:30:00.000Z');
    for (const bad of ['yesterday', '2026-13-45', '12/04/2026', '']) expect(parseWhen(bad)).toBeNull();
  });

  it('links are http(s), file or relative only; text is cut into text, links and mentions', () => {
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref(' javascript:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,x')).toBeNull();
    expect(safeHref('//evil.example/x')).toBeNull();
    expect(safeHref('https://example.com/a?b')).toBe('https://example.com/a?b');
    expect(safeHref('attachments/ab/abcd')).toBe('attachments/ab/abcd');
    expect(segments('see https://example.com/x. and <@123456789012345678> <#123456789012345678>')).toEqual([
      { text: 'see ' },
      { text: 'https://example.com/x', url: 'https://example.com/x' },
      { text: '. and ' },
      { text: '@123456789012345678', mention: true },
      { text: ' ' },
      { text: '#123456789012345678', mention: true },
    ]);
    expect(segments('javascript:alert(1) "><b>')).toEqual([{ text: 'javascript:alert(1) "><b>' }]);
  });
});

describe.each(DRIVERS)('transcript formats on $driver', ({ driver, skip }) => {
  let h: Harness;
  let s: TranscriptScene;
  let dir: string;
  /** What the store yields for the channel, as JSON would carry it. */
  let expected: TranscriptMessage[];
  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'transcript-formats');
    s = await transcriptScene(h);
    dir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-transcripts-'));
    expected = [];
    for await (const page of h.bot.db.transcripts.pages(s.channel)) expected.push(...page);
  }, 60_000);
  afterAll(async () => {
    await h?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  checkDiscordAfterEach(() => (skip ? undefined : h));

  const run = async (format: TranscriptFormatName, o: { maxBytes?: number } = {}) => {
    const res = await exportChannel(h.bot.db, { channelId: s.channel, format, attachmentHref: (a) => (a.storedPath ? `attachments/${a.storedPath}` : null), ...o }, (n) => path.join(dir, `${format}-${o.maxBytes ?? 0}-${n}.${format}`));
    return { ...res, texts: res.parts.map((p) => readFileSync(p.path, 'utf8')) };
  };

  it.skipIf(skip)('JSON parsed back equals the stored rows, with the channel and its threads', async () => {
    const { texts, messages, total } = await run('json');
    expect(texts).toHaveLength(1);
    const doc = JSON.parse(texts[0]);
    expect(doc).toMatchObject({ format: 'chronicle-transcript', version: 1, part: 1, range: { after: null, before: null }, messageCount: expected.length });
    expect(doc.messages).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(doc.channel).toEqual(JSON.parse(JSON.stringify(await h.bot.db.transcripts.channel(s.channel))));
    expect(doc.threads).toEqual([expect.objectContaining({ discordChannelId: s.thread, messageCount: 1 })]);
    expect(messages).toBe(expected.length);
    expect(total).toBe(expected.length + 1); // the count includes ada's ephemeral reply, which pages leave out
    // And against the messages table itself: every recorded, not deleted, non-ephemeral message, byte for byte.
    const rows = (await h.bot.db.messages.listByChannel(s.channel)).filter((m) => !m.deletedAt && !m.metadata?.ephemeral).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
    expect(doc.messages.map((m: TranscriptMessage) => [m.id, m.discordMessageId, m.content])).toEqual(rows.map((m) => [m.id, m.discordMessageId, m.content]));
    // Described by docs/export.schema.json (validated with ajv, the JSON Schema validator eslint already brings).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv = require('ajv') as new (o: object) => { validate(schema: object, data: unknown): boolean; errorsText(): string };
    const ajv = new Ajv({ allErrors: true });
    const schema = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'docs', 'export.schema.json'), 'utf8'));
    expect(ajv.validate(schema, doc), ajv.errorsText()).toBe(true);
    expect(ajv.validate(schema, { ...doc, messages: [{ ...doc.messages[0], extra: 1 }] })).toBe(false);
    expect(JSON.stringify(doc)).not.toMatch(/[?&]ex=/);
    const edited = doc.messages.find((m: TranscriptMessage) => m.discordMessageId === s.ids.edited);
    expect(edited.revisions.map((r: { content: string }) => r.content)).toEqual(['first draft', 'second draft']);
  });

  it.skipIf(skip)('CSV parsed back with csv-parse has a row per message with the same fields', async () => {
    const { texts } = await run('csv');
    expect(texts[0].startsWith('\uFEFF')).toBe(true);
    const records: Record<string, string>[] = parse(texts[0], { bom: true, columns: true });
    expect(Object.keys(records[0])).toEqual([...CSV_COLUMNS]);
    const unformula = (v: string) => (/^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v);
    expect(records.map((r) => unformula(r.content))).toEqual(expected.map((m) => m.content));
    expect(records.map((r) => [r.message_id, r.discord_message_id, r.created_at, r.edited_at, r.author_id, r.author_display_name, r.reply_to_id, r.thread_id])).toEqual(
      expected.map((m) => [m.id, m.discordMessageId, m.createdAt.toISOString(), m.editedAt?.toISOString() ?? '', m.author?.discordUserId ?? '', m.author?.displayName ?? '', m.replyToId ?? '', m.thread?.discordChannelId ?? '']),
    );
    const hello = records.find((r) => r.discord_message_id === s.ids.hello)!;
    expect(JSON.parse(hello.reactions).sort((a: { count: number }, b: { count: number }) => b.count - a.count)).toEqual([
      { emoji: '👍', name: '👍', count: 2 },
      { emoji: '🎉', name: '🎉', count: 1 },
    ]);
    expect(JSON.parse(records.find((r) => r.discord_message_id === s.ids.edited)!.revisions).map((r: { content: string }) => r.content)).toEqual(['first draft', 'second draft']);
    expect(JSON.parse(records.find((r) => r.discord_message_id === s.ids.file)!.attachments)[0]).toMatchObject({ filename: 'dot "x".png', state: 'stored' });
  });

  it.skipIf(skip)('a cell that a spreadsheet would run as a formula is escaped', async () => {
    const { texts } = await run('csv');
    expect(texts[0]).not.toMatch(/(^|,)"?=/m);
  });

  it.skipIf(skip)('TXT has one grep-able line per message, with edits, reply, reactions, attachment and thread below it', async () => {
    const { texts } = await run('txt');
    const lines = texts[0].split('\n');
    const heads = lines.filter((l) => l.startsWith('['));
    expect(heads).toHaveLength(expected.length);
    expect(heads[0]).toBe(`[${utc(expected[0].createdAt)}] Ada Lovelace (ada): hello **world**, see https://example.com`);
    expect(texts[0]).toContain('    ↱ reply to Bobby (bob): final text, edited twice');
    expect(texts[0]).toContain('    before ');
    expect(texts[0]).toContain(': first draft');
    expect(texts[0]).toMatch(/ {4}reactions: (👍 2, 🎉 1|🎉 1, 👍 2)\n/);
    expect(texts[0]).toMatch(/ {4}attachment: dot "x"\.png \(\d+ bytes, stored, [0-9a-f]{2}\/[0-9a-f]{64}\)/);
    expect(texts[0]).toContain(`    thread: Thread ${SCRIPT_INJECTION} (${s.thread}, 1 messages)`);
    expect(texts[0]).not.toContain('this one is deleted');
  });

  it.skipIf(skip)('HTML escapes every value: the injection attempts are text, the page has its one script only', async () => {
    const { texts } = await run('html');
    const html = texts[0];
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toContain(SCRIPT_INJECTION);
    expect(html).not.toContain(ATTRIBUTE_INJECTION);
    expect(html).not.toMatch(/<img src=x/);
    expect(html).not.toMatch(/\sonerror=/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;onerror&#x3D;alert(1) x&#x3D;&quot;');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';[^"]*script-src 'sha256-[A-Za-z0-9+/=]+'/);
    for (const m of expected) expect(html).toContain(`data-message-id="${m.discordMessageId}"`);
    expect(html).toMatch(/<a href="attachments\/[0-9a-f]{2}\/[0-9a-f]{64}"><img src="attachments\//);
    expect(html).toContain(`href="https://discord.com/channels/${h.guildId}/${s.thread}"`);
    expect(html).toContain(`<a href="#m-${s.ids.edited}">`);
    expect(html).not.toContain('this one is deleted');
  });

  it.skipIf(skip)('split into parts under a size, each a whole file, together the whole channel', async () => {
    for (const format of ['json', 'html', 'csv', 'txt'] as const) {
      // A third of the whole: three parts or four.
      const maxBytes = Math.ceil(statSync((await run(format)).parts[0].path).size / 3);
      const { parts, texts } = await run(format, { maxBytes });
      expect(parts.length).toBeGreaterThan(1);
      for (const p of parts) if (p.messages > 1) expect(statSync(p.path).size).toBeLessThanOrEqual(maxBytes);
      expect(parts.reduce((n, p) => n + p.messages, 0)).toBe(expected.length);
      if (format === 'json') {
        const docs = texts.map((t) => JSON.parse(t));
        expect(docs.map((d) => d.part)).toEqual(parts.map((_, i) => i + 1));
        expect(docs.flatMap((d) => d.messages)).toEqual(JSON.parse(JSON.stringify(expected)));
      }
      if (format === 'csv') expect(texts.flatMap((t) => parse(t, { bom: true, columns: true }) as unknown[])).toHaveLength(expected.length);
      if (format === 'html') for (const t of texts) expect(t.trimEnd().endsWith('</html>')).toBe(true);
    }
  });
});
