import { afterEach, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { startHarness, until, type Harness } from '../helpers/harness';

describe.each(DRIVERS)('reconcile at start on $driver', ({ driver, skip }) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  const stored = (id: string) => h!.bot.db.messages.getByDiscordId(id);
  const recorded = async (id: string) => {
    await until(
      () => stored(id),
      (m) => !!m,
      5000,
      `message ${id} recorded`,
    );
  };

  it.skipIf(skip)('records the edits and deletes made while the bot was down; nothing older than the window, nor a channel never recorded', async () => {
    h = await startHarness(driver, 'reconcile', { env: { RECONCILE_MESSAGES: '30' } });
    const { emu, general, random, ada, bob } = h;
    // Two messages that will be older than the window, then 40 more.
    const old = [0, 1].map((i) => emu.sendMessage({ channelId: general, authorId: ada, content: `old ${i}` }));
    const m = Array.from({ length: 40 }, (_, i) => emu.sendMessage({ channelId: general, authorId: i % 2 ? ada : bob, content: `m${i}` }));
    await recorded(m[39].id);
    // Edited while the bot was up: stored with an edited_at, one edited again later, one not.
    emu.editMessage(general, m[20].id, 'm20, first edit');
    emu.editMessage(general, m[18].id, 'm18, edited once');
    await until(
      () => stored(m[18].id),
      (r) => r?.content === 'm18, edited once',
      5000,
      'live edits',
    );
    await h.bot.queue.flush();
    await h.bot.stop();

    // While the bot is down: 10 edits (content with NUL, emoji and a lone backslash, byte-exact),
    // 10 deletes (the newest message among them), and an edit and a delete older than the window.
    const edits = [20, 22, 24, 26, 28, 30, 32, 34, 36, 38].map((i) => ({ id: m[i].id, content: `m${i} edited \u0000 \\ ✓ 🎉 ${'x'.repeat(i)}` }));
    for (const e of edits) emu.editMessage(general, e.id, e.content);
    const deletes = [21, 23, 25, 27, 29, 31, 33, 35, 37, 39].map((i) => m[i].id);
    for (const id of deletes.slice(0, 5)) emu.deleteMessage(general, id);
    emu.bulkDeleteMessages(general, deletes.slice(5));
    emu.editMessage(general, old[0].id, 'old 0, edited');
    emu.deleteMessage(general, old[1].id);
    const elsewhere = emu.sendMessage({ channelId: random, authorId: ada, content: 'in a channel never recorded' });
    const sinceStop = emu.requests().length;

    await h.restart();
    await h.bot.queue.flush();

    for (const e of edits) {
      const row = await stored(e.id);
      expect(row?.content, e.content).toBe(e.content);
      expect(row?.editedAt?.getTime()).toBe(new Date(emu.message(general, e.id)!.edited_timestamp!).getTime());
      expect(row?.deletedAt).toBeNull();
    }
    for (const id of deletes) expect((await stored(id))?.deletedAt, id).toBeInstanceOf(Date);
    // The window was the newest 30 still there (m0 … m38 less the deleted): m0 and older untouched.
    expect(await stored(old[0].id)).toMatchObject({ content: 'old 0', editedAt: null, deletedAt: null });
    expect(await stored(old[1].id)).toMatchObject({ content: 'old 1', deletedAt: null });
    // What did not change is left as it was.
    expect(await stored(m[18].id)).toMatchObject({ content: 'm18, edited once', deletedAt: null });
    for (const i of [0, 1, 19]) expect(await stored(m[i].id)).toMatchObject({ content: `m${i}`, editedAt: null, deletedAt: null });
    // #random was never recorded: its history is not read, its message not imported.
    expect(
      emu
        .requests()
        .slice(sinceStop)
        .filter((r) => r.path.includes(`/channels/${random}/messages`)),
    ).toEqual([]);
    expect(await stored(elsewhere.id)).toBeNull();
    expect(h.logs.find(/^reconciled:/).map((l) => l.msg)).toEqual(['reconciled: 10 edit(s), 10 delete(s) in 1 channel(s)']);
    expect(emu.violations()).toEqual([]);
  });

  it.skipIf(skip)('a live edit arriving while history is read wins over the older history copy', async () => {
    // Nothing is written until the test flushes: the live edit, once queued, stays uncommitted
    // while reconcile reads the stored rows, so only the order of the queue (or the store's
    // comparison of edit times) can keep the history copy from undoing it.
    h = await startHarness(driver, 'reconcile-live', { env: { RECORDER_FLUSH_MS: '600000' } });
    const { emu, general, ada } = h;
    const x = emu.sendMessage({ channelId: general, authorId: ada, content: 'original' });
    // The first event queued need not be the message (channel data can come first): flush until
    // the message itself is committed.
    await until(
      async () => {
        await h!.bot.queue.flush();
        return stored(x.id);
      },
      (m) => !!m,
      5000,
      `message ${x.id} recorded`,
    );
    await h.bot.stop();
    emu.editMessage(general, x.id, 'edited while down');

    // The moment reconcile's first history page is decided (so it holds "edited while down"),
    // Discord sends a live edit on the gateway, before the bot has the page.
    let fired = false;
    const off = emu.onRequest((r) => {
      if (fired || r.method !== 'GET' || !r.path.startsWith(`/api/v10/channels/${general}/messages?`) || r.path.includes('after=')) return;
      fired = true;
      emu.editMessage(general, x.id, 'edited live after start');
    });
    try {
      await h.restart();
    } finally {
      off();
    }
    expect(fired).toBe(true);
    await h.bot.queue.flush();
    const row = await stored(x.id);
    expect(row?.content).toBe('edited live after start');
    expect(row?.editedAt?.getTime()).toBe(new Date(emu.message(general, x.id)!.edited_timestamp!).getTime());
    expect(h.logs.find(/^reconciled:/).map((l) => l.msg)).toEqual(['reconciled: 1 edit(s), 0 delete(s) in 1 channel(s)']);
  });

  it.skipIf(skip)("never takes the bot's ephemeral replies (recorded, but never in channel history) for deleted", async () => {
    h = await startHarness(driver, 'reconcile-ephemeral');
    const { emu, general, ada } = h;
    const first = emu.sendMessage({ channelId: general, authorId: ada, content: 'first' });
    await recorded(first.id);
    const reply = await emu.runCommand('history', {}, { userId: ada, channelId: general });
    expect(reply.ephemeral).toBe(true);
    await recorded(reply.messageId!);
    const after = emu.sendMessage({ channelId: general, authorId: ada, content: 'after the reply' });
    await recorded(after.id);
    await h.bot.stop();
    emu.deleteMessage(general, first.id);
    await h.restart();
    await h.bot.queue.flush();
    expect((await stored(first.id))?.deletedAt).toBeInstanceOf(Date);
    expect(await stored(reply.messageId!)).toMatchObject({ role: 'assistant', deletedAt: null });
    expect(await stored(after.id)).toMatchObject({ deletedAt: null });
    expect(h.logs.find(/^reconciled:/).map((l) => l.msg)).toEqual(['reconciled: 0 edit(s), 1 delete(s) in 1 channel(s)']);
  });

  it.skipIf(skip)('an edit older than the stored one never replaces it (whatever order the queue gets them in)', async () => {
    h = await startHarness(driver, 'reconcile-order');
    const { emu, general, ada } = h;
    const x = emu.sendMessage({ channelId: general, authorId: ada, content: 'original' });
    await recorded(x.id);
    const t = Date.now();
    h.bot.queue.push({ kind: 'edit', discordMessageId: x.id, content: 'newer', editedAt: new Date(t + 2000) });
    h.bot.queue.push({ kind: 'edit', discordMessageId: x.id, content: 'older', editedAt: new Date(t + 1000) });
    await h.bot.queue.flush();
    expect(await stored(x.id)).toMatchObject({ content: 'newer', editedAt: new Date(t + 2000) });
    // The same edit again (a replay) is harmless.
    h.bot.queue.push({ kind: 'edit', discordMessageId: x.id, content: 'newer', editedAt: new Date(t + 2000) });
    await h.bot.queue.flush();
    expect(await stored(x.id)).toMatchObject({ content: 'newer', editedAt: new Date(t + 2000) });
  });

  it.skipIf(skip)('RECORD_CONTENT=false: an edit made while the bot was down keeps no text; RECONCILE_MESSAGES=0 reads no history', async () => {
    h = await startHarness(driver, 'reconcile-nocontent', { env: { RECORD_CONTENT: 'false' } });
    const { emu, general, ada } = h;
    const x = emu.sendMessage({ channelId: general, authorId: ada, content: 'secret' });
    const y = emu.sendMessage({ channelId: general, authorId: ada, content: 'secret too' });
    await recorded(y.id);
    await h.bot.stop();
    emu.editMessage(general, x.id, 'secret, edited');
    await h.restart();
    await h.bot.queue.flush();
    const row = await stored(x.id);
    expect(row).toMatchObject({ content: '', deletedAt: null });
    expect(row?.editedAt?.getTime()).toBe(new Date(emu.message(general, x.id)!.edited_timestamp!).getTime());

    // Off: a delete while down stays unrecorded, and no history is read without `after` (backfill's).
    h.env.RECONCILE_MESSAGES = '0';
    await h.bot.stop();
    emu.deleteMessage(general, y.id);
    const sinceStop = emu.requests().length;
    await h.restart();
    await h.bot.queue.flush();
    expect((await stored(y.id))?.deletedAt).toBeNull();
    expect(
      emu
        .requests()
        .slice(sinceStop)
        .filter((r) => r.path.includes(`/channels/${general}/messages?`) && !r.path.includes('after=')),
    ).toEqual([]);
  });
});
