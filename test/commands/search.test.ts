import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Perm, type InteractionResult } from '@chronicle/discord-emulator';
import { DRIVERS } from '../helpers/databases';
import { checkDiscordAfterEach, newChannel, newMember, startHarness, until, type Harness } from '../helpers/harness';

function buttons(r: InteractionResult): { id: string; label: string; disabled: boolean }[] {
  return (r.components as { components: { custom_id: string; label: string; disabled?: boolean }[] }[]).flatMap((row) => row.components.map((c) => ({ id: c.custom_id, label: c.label, disabled: !!c.disabled })));
}

/** The result lines (the embed under the header line). */
function lines(r: InteractionResult): string[] {
  expect(r.content!.startsWith('🔎')).toBe(true);
  const d = (r.embeds[0] as { description?: string } | undefined)?.description;
  return d ? d.split('\n') : [];
}

let words = 0;
/** A word no other test's messages contain (letters and digits only: one token). */
function word(): string {
  return `w${Date.now().toString(36)}x${++words}`;
}

describe.each(DRIVERS)('/search on $driver', ({ driver, skip }) => {
  let h: Harness;
  beforeAll(async () => {
    if (!skip) h = await startHarness(driver, 'search');
  });
  afterAll(async () => h?.dispose());
  checkDiscordAfterEach(() => (skip ? undefined : h));

  const search = (userId: string, query: string, channelId = h.general) => h.emu.runCommand('search', { query }, { userId, channelId });
  const stored = (id: string) =>
    until(
      () => h.bot.db.messages.getByDiscordId(id),
      (m) => !!m,
    );

  it.skipIf(skip)('words, prefixes, phrases and exclusions; newest first, each with a jump link, who, when and the match in bold', async () => {
    const w = word();
    const ada = newMember(h, 'ada', { globalName: 'Ada Lovelace' });
    const bob = newMember(h, 'bob', { nick: 'Bobby' });
    const here = newChannel(h, 'words');
    const a1 = h.emu.sendMessage({ channelId: here, authorId: ada, content: `the quick brown fox ${w}` });
    const a2 = h.emu.sendMessage({ channelId: here, authorId: ada, content: `a quick red fox ${w}` });
    h.emu.sendMessage({ channelId: here, authorId: ada, content: `slow brown dog ${w}` });
    const b1 = h.emu.sendMessage({ channelId: here, authorId: bob, content: `Quick brown *cat* ${w}` });

    const r = await search(ada, `${w} quick`);
    expect(r.ephemeral).toBe(true);
    expect(r.content!.split('\n')[0]).toBe(`🔎 \`${w} quick\` · results 1–3, newest first`);
    const got = lines(r);
    expect(got).toHaveLength(3);
    expect(got[0]).toMatch(new RegExp(`^\\[jump\\]\\(<https://discord\\.com/channels/${h.guildId}/${here}/${b1.id}>\\) \\*\\*Bobby\\*\\* <t:\\d+:R> <#${here}>: `));
    expect(got[0]).toContain('**Quick** brown \\*cat\\*');
    expect(got[1]).toContain(`/${a2.id}>) **Ada Lovelace** `);
    expect(got[1]).toContain('a **quick** red fox');
    expect(got[2]).toContain(`/${a1.id}>)`);
    expect(got.join('\n')).not.toContain('(edited)');
    expect(buttons(r).map((b) => [b.label, b.disabled])).toEqual([
      ['Prev', true],
      ['Next', true],
    ]);

    // A word of 3+ letters also matches as the start of a longer one.
    expect(lines(await search(ada, `${w} qui`))).toHaveLength(3);
    // A phrase: its words in order.
    const phrase = lines(await search(ada, `"brown fox" ${w}`));
    expect(phrase).toHaveLength(1);
    expect(phrase[0]).toContain(`/${a1.id}>)`);
    // Exclusions: a word, a phrase.
    const fox = lines(await search(ada, `${w} fox -red`));
    expect(fox).toHaveLength(1);
    expect(fox[0]).toContain(`/${a1.id}>)`);
    expect(lines(await search(ada, `${w} -"brown fox" -cat`))).toHaveLength(2);
    // Nothing: said so, no buttons.
    const none = await search(ada, `${w} giraffe`);
    expect(none.content).toBe(`🔎 \`${w} giraffe\`\nNo messages found in the channels you can read.`);
    expect(none.components).toEqual([]);
  });

  it.skipIf(skip)('filters: from:, in: (threads included), has:, dates, is:edited', async () => {
    const w = word();
    const ada = newMember(h, 'ada', { globalName: 'Ada Lovelace' });
    const bob = newMember(h, 'bob');
    const one = newChannel(h, 'filters-one');
    const two = newChannel(h, 'filters-two');
    const thread = h.emu.createChannel({ guildId: h.guildId, name: 'filters-thread', type: 'thread', parentId: one });
    const send = (channelId: string, authorId: string, content: string, extra: object = {}) => h.emu.sendMessage({ channelId, authorId, content: `${content} ${w}`, ...extra });
    const old = send(one, ada, 'from may', { timestamp: new Date('2024-05-01T12:00:00Z') });
    const link = send(one, bob, 'see https://example.com/page');
    const image = send(two, ada, 'a picture', { attachments: [{ filename: 'cat.png', contentType: 'image/png', size: 10 }] });
    const file = send(two, bob, 'a document', { attachments: [{ filename: 'notes.txt', contentType: 'text/plain', size: 10 }] });
    const poll = send(two, ada, 'vote please', { poll: { question: 'Lunch?', answers: [{ text: 'Pizza' }] } });
    const inThread = send(thread.id, bob, 'in the thread');
    const edited = send(two, ada, 'first draft');
    await stored(edited.id);
    h.emu.editMessage(two, edited.id, `second draft ${w}`);
    await until(
      () => h.bot.db.messages.getByDiscordId(edited.id),
      (m) => !!m?.editedAt,
    );
    const ids = async (q: string) => {
      const r = await search(ada, `${w} ${q}`);
      if (!r.content!.startsWith('🔎')) throw new Error(`${q}: ${r.content}`);
      return lines(r).flatMap((l) => /\/(\d+)>\)/.exec(l)?.[1] ?? []);
    };

    expect(await ids(`from:<@${bob}>`)).toEqual([inThread.id, file.id, link.id]);
    expect(await ids('from:@bob')).toEqual([inThread.id, file.id, link.id]);
    expect(await ids('from:"ada lovelace" from:bob')).toHaveLength(7);
    expect(await ids(`in:<#${one}>`)).toEqual([inThread.id, link.id, old.id]);
    expect(await ids('in:#filters-two from:@ada')).toEqual([edited.id, poll.id, image.id]);
    expect(await ids('has:link')).toEqual([link.id]);
    expect(await ids('has:image')).toEqual([image.id]);
    expect(await ids('has:file')).toEqual([file.id]);
    expect(await ids('has:attachment')).toEqual([file.id, image.id]);
    expect(await ids('has:poll')).toEqual([poll.id]);
    expect(await ids('during:2024-05-01')).toEqual([old.id]);
    expect(await ids('before:2024-05-02')).toEqual([old.id]);
    expect(await ids('before:2024-05-01')).toEqual([]);
    expect(await ids('after:2024-05-01')).toHaveLength(6);
    expect(await ids('is:edited')).toEqual([edited.id]);
    // A filter alone is a query too.
    expect(lines(await search(ada, `in:<#${thread.id}>`)).map((l) => /\/(\d+)>\)/.exec(l)![1])).toEqual([inThread.id]);
  });

  it.skipIf(skip)('an edited message is found by its new text, not its old, and says it was edited; a deleted one is not found', async () => {
    const w = word();
    const ada = newMember(h, 'ada');
    const here = newChannel(h, 'edits');
    const m = h.emu.sendMessage({ channelId: here, authorId: ada, content: `original aardvark ${w}` });
    const gone = h.emu.sendMessage({ channelId: here, authorId: ada, content: `doomed ${w}` });
    await stored(gone.id);
    expect(lines(await search(ada, `${w} aardvark`))).toHaveLength(1);
    h.emu.editMessage(here, m.id, `replaced with badger ${w}`);
    h.emu.deleteMessage(here, gone.id);
    await until(
      () => h.bot.db.messages.getByDiscordId(gone.id),
      (r) => !!r?.deletedAt,
    );
    expect(await search(ada, `${w} aardvark`)).toMatchObject({ content: expect.stringContaining('No messages found') });
    const now = lines(await search(ada, `${w} badger`));
    expect(now).toHaveLength(1);
    expect(now[0]).toMatch(/replaced with \*\*badger\*\* \*\*w\w+\*\* \*\(edited\)\*$/);
    expect(await search(ada, `${w} doomed`)).toMatchObject({ content: expect.stringContaining('No messages found') });
    expect(lines(await search(ada, w))).toHaveLength(1);
  });

  it.skipIf(skip)('pages of ten with Prev and Next buttons', async () => {
    const w = word();
    const bob = newMember(h, 'bob');
    const here = newChannel(h, 'paging');
    const sent = Array.from({ length: 25 }, (_, k) => h.emu.sendMessage({ channelId: here, authorId: bob, content: `note ${k} ${w}` }));
    const order = (r: InteractionResult) => lines(r).map((l) => /note (\d+) /.exec(l)![1]);
    const p1 = await search(bob, w);
    expect(p1.content!.split('\n')[0]).toBe(`🔎 \`${w}\` · results 1–10, newest first`);
    expect(order(p1)).toEqual(['24', '23', '22', '21', '20', '19', '18', '17', '16', '15']);
    expect(buttons(p1).map((b) => [b.label, b.disabled])).toEqual([
      ['Prev', true],
      ['Next', false],
    ]);
    const next = (r: InteractionResult, label: 'Prev' | 'Next') => h.emu.clickButton({ interaction: r, customId: buttons(r).find((b) => b.label === label)!.id, userId: bob, channelId: h.general });
    const p2 = await next(p1, 'Next');
    expect(p2.content!.split('\n')[0]).toBe(`🔎 \`${w}\` · results 11–20, newest first`);
    expect(order(p2)).toEqual(['14', '13', '12', '11', '10', '9', '8', '7', '6', '5']);
    expect(buttons(p2).map((b) => b.disabled)).toEqual([false, false]);
    const p3 = await next(p2, 'Next');
    expect(p3.content!.split('\n')[0]).toBe(`🔎 \`${w}\` · results 21–25, newest first`);
    expect(order(p3)).toEqual(['4', '3', '2', '1', '0']);
    expect(buttons(p3).map((b) => b.disabled)).toEqual([false, true]);
    const back = await next(p3, 'Prev');
    expect(order(back)).toEqual(order(p2));
    expect(back.content!.split('\n')[0]).toContain('results 11–20');
    const first = await next(back, 'Prev');
    expect(order(first)).toEqual(order(p1));
    expect(buttons(first).map((b) => b.disabled)).toEqual([true, false]);
    expect(sent).toHaveLength(25);
  });

  it.skipIf(skip)('ten long results full of markdown still fit one reply', async () => {
    const w = word();
    const bob = newMember(h, 'bob', { nick: 'N'.repeat(32) });
    const here = newChannel(h, 'long-results');
    for (let k = 0; k < 12; k++) h.emu.sendMessage({ channelId: here, authorId: bob, content: `${w} ${'*_`~|>'.repeat(300)} ${k}` });
    const r = await search(bob, w);
    const got = lines(r);
    expect(got.length).toBeGreaterThan(0);
    expect((r.embeds[0] as { description: string }).description.length).toBeLessThanOrEqual(4096);
    expect(buttons(r).find((b) => b.label === 'Next')?.disabled).toBe(false);
  });

  it.skipIf(skip)("a private channel's messages only for those who can view it (admins by their permissions); never another's DM", async () => {
    const w = word();
    const ada = newMember(h, 'ada');
    const cy = newMember(h, 'cy');
    const boss = newMember(h, 'boss', { admin: true });
    const secret = h.emu.createChannel({
      guildId: h.guildId,
      name: 'secret',
      permissionOverwrites: [
        { id: h.guildId, type: 'role', deny: Perm.VIEW_CHANNEL },
        { id: cy, type: 'member', allow: Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY },
      ],
    });
    // Viewable without Read Message History is not enough.
    const peek = h.emu.createChannel({ guildId: h.guildId, name: 'peek', permissionOverwrites: [{ id: h.guildId, type: 'role', deny: Perm.READ_MESSAGE_HISTORY }] });
    const open = newChannel(h, 'open');
    const s = h.emu.sendMessage({ channelId: secret.id, authorId: cy, content: `hidden plans ${w}` });
    h.emu.sendMessage({ channelId: peek.id, authorId: cy, content: `peek plans ${w}` });
    const o = h.emu.sendMessage({ channelId: open, authorId: cy, content: `open plans ${w}` });
    const dm = h.emu.createDmChannel(cy);
    const d = h.emu.sendMessage({ channelId: dm.id, authorId: cy, content: `dm plans ${w}` });
    await stored(d.id);
    await until(
      () => h.bot.client.channels.cache.get(secret.id),
      (c) => !!c,
    );
    const ids = async (user: string, q = w) => lines(await search(user, q)).map((l) => /\/(\d+)>\)/.exec(l)![1]);

    expect(await ids(ada)).toEqual([o.id]);
    expect(await ids(cy)).toEqual([o.id, s.id]);
    expect(await ids(boss)).toEqual(expect.arrayContaining([o.id, s.id]));
    expect(await ids(boss)).not.toContain(d.id);
    expect(await ids(h.admin)).not.toContain(d.id);
    // Naming the channel does not help, and does not say it exists.
    const named = await search(ada, `${w} in:<#${secret.id}>`);
    expect(named.content).toBe(`That did not work: \`query\`: \`in:<#${secret.id}>\`: there is no channel by that name here that you can read`);
    expect((await search(ada, `${w} in:#secret`)).content).toContain('`in:secret`: there is no channel by that name here that you can read');
  });

  it.skipIf(skip)('an archived thread Discord no longer sends after a restart is still searched with its channel, and by in:', async () => {
    const w = word();
    const ada = newMember(h, 'ada');
    const parent = newChannel(h, 'archive-parent');
    const thread = h.emu.createChannel({ guildId: h.guildId, name: 'old-thread', type: 'thread', parentId: parent });
    const m = h.emu.sendMessage({ channelId: thread.id, authorId: ada, content: `archived words ${w}` });
    await stored(m.id);
    h.emu.updateChannel(thread.id, { archived: true });
    await until(
      () => h.bot.db.channels.get(thread.id),
      (c) => !!c?.archived,
    );
    await h.restart();
    await until(
      () => h.bot.client.channels.cache.get(parent),
      (c) => !!c,
    );
    expect(h.bot.client.channels.cache.get(thread.id)).toBeUndefined();
    const ids = async (q: string) => lines(await search(ada, q)).map((l) => /\/(\d+)>\)/.exec(l)![1]);
    expect(await ids(w)).toEqual([m.id]);
    expect(await ids(`${w} in:<#${thread.id}>`)).toEqual([m.id]);
    expect(await ids(`${w} in:<#${parent}>`)).toEqual([m.id]);
  });

  it.skipIf(skip)('the bot’s replies are not searched: one person’s results never show up for another', async () => {
    const w = word();
    const ada = newMember(h, 'ada');
    const bob = newMember(h, 'bob');
    const here = newChannel(h, 'replies');
    h.emu.sendMessage({ channelId: here, authorId: ada, content: `only once ${w}` });
    expect(lines(await search(ada, w))).toHaveLength(1);
    await h.bot.queue.flush();
    expect(lines(await search(bob, w))).toHaveLength(1);
  });

  it.skipIf(skip || driver !== 'sqlite')('SQLite: the FTS5 index stays in step with messages through inserts, edits and deletes, and after VACUUM', async () => {
    const w = word();
    const ada = newMember(h, 'ada');
    const here = newChannel(h, 'integrity');
    const sent = Array.from({ length: 20 }, (_, k) => h.emu.sendMessage({ channelId: here, authorId: ada, content: `row ${k} ${w}` }));
    await stored(sent[19].id);
    for (const m of sent.slice(0, 5)) h.emu.editMessage(here, m.id, `changed ${w}`);
    h.emu.bulkDeleteMessages(
      here,
      sent.slice(5, 8).map((m) => m.id),
    );
    await h.bot.queue.flush();
    await until(
      () => h.bot.db.messages.getByDiscordId(sent[7].id),
      (m) => !!m?.deletedAt,
    );
    // Rows really deleted (retention's purge, erasure) go through the delete trigger.
    await h.bot.db.write('test', (em) => em.query('DELETE FROM messages WHERE discord_message_id IN (?, ?)', [sent[8].id, sent[9].id]));
    // FTS5 compares the index with the content table and fails on any difference.
    const check = () => h.bot.db.dataSource.query(`INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)`);
    await check();
    expect(lines(await search(ada, `${w} changed`))).toHaveLength(5);
    await h.bot.db.write('vacuum', async () => undefined); // the write lock is free
    await h.bot.db.dataSource.query('VACUUM');
    await check();
    expect(lines(await search(ada, `${w} row`))).toHaveLength(10);
    await h.bot.db.search.rebuildIndex();
    await check();
    expect(lines(await search(ada, w))).toHaveLength(10);
  });

  it.skipIf(skip)('a bad query gets an ephemeral answer saying what is wrong', async () => {
    const ada = newMember(h, 'ada');
    const cases: [string, string][] = [
      ['has:banana', '`has:banana` is not a filter: use has:attachment, has:link, has:image, has:file, has:poll'],
      ['before:2024-13-40', '`before:2024-13-40` is not a date: write it as YYYY-MM-DD, e.g. `before:2024-05-31`'],
      ['"open', 'a quote is not closed: put a `"` at the end of the phrase'],
      ['-only', 'a search needs something to look for, not only `-excluded` words: add a word or a filter'],
    ];
    for (const [q, why] of cases) {
      const r = await search(ada, q);
      expect(r.ephemeral).toBe(true);
      expect(r.content).toBe(`That did not work: \`query\`: ${why}`);
    }
  });
});
