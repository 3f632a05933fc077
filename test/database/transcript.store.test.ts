import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TranscriptMessage } from '../../src/database/stores/transcript.store';
import { DRIVERS } from '../helpers/databases';
import { checkDiscordAfterEach, startHarness, type Harness } from '../helpers/harness';
import { transcriptScene, type TranscriptScene } from '../helpers/transcript-scene';

async function all(gen: AsyncIterable<TranscriptMessage[]>): Promise<{ pages: number[]; messages: TranscriptMessage[] }> {
  const pages: number[] = [];
  const messages: TranscriptMessage[] = [];
  for await (const page of gen) {
    pages.push(page.length);
    messages.push(...page);
  }
  return { pages, messages };
}

describe.each(DRIVERS)('transcript store on $driver', ({ driver, skip }) => {
  let h: Harness;
  let s: TranscriptScene;
  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'transcript-store');
    s = await transcriptScene(h);
  }, 60_000);
  afterAll(async () => h?.dispose());
  checkDiscordAfterEach(() => (skip ? undefined : h));

  it.skipIf(skip)('yields the channel in the order sent, with authors, versions, reactions, attachments, replies and threads', async () => {
    const { messages } = await all(h.bot.db.transcripts.pages(s.channel));
    const { ids } = s;
    // Not the deleted message, not the thread's message, not ada's ephemeral /history reply.
    const order = messages.map((m) => m.discordMessageId);
    expect(order.slice(0, 7)).toEqual([ids.hello, ids.edited, ids.reply, ids.injection, ids.file, ids.embed, ids.starter]);
    // Sent in the same millisecond: ordered by row id, both there.
    expect(order.slice(7).sort()).toEqual([...ids.sameTime].sort());
    const by = new Map(messages.map((m) => [m.discordMessageId, m]));
    expect(by.get(ids.hello)!.author).toEqual({ discordUserId: s.ada, username: 'ada', displayName: 'Ada Lovelace', bot: false });
    expect(by.get(ids.edited)!.author).toMatchObject({ discordUserId: s.bob, displayName: 'Bobby' });
    expect(by.get(ids.edited)!.content).toBe('final text, edited twice');
    expect(by.get(ids.edited)!.editedAt).toBeInstanceOf(Date);
    expect(by.get(ids.edited)!.revisions.map((r) => r.content)).toEqual(['first draft', 'second draft']);
    // The emoji first reacted with first (reactions seen in the same millisecond: either way).
    expect(
      by
        .get(ids.hello)!
        .reactions.map((r) => [r.emoji, r.count, r.users.length])
        .sort(),
    ).toEqual(
      [
        ['👍', 2, 2],
        ['🎉', 1, 1],
      ].sort(),
    );
    expect(by.get(ids.reply)!.replyTo).toMatchObject({ discordMessageId: ids.edited, content: 'final text, edited twice', deleted: false, author: { discordUserId: s.bob } });
    const [file] = by.get(ids.file)!.attachments;
    expect(file).toMatchObject({ filename: 'dot "x".png', contentType: 'image/png', size: s.fileBytes.length, state: 'stored' });
    expect(file.storedPath).toBe(`${file.sha256!.slice(0, 2)}/${file.sha256}`);
    expect(JSON.stringify(file)).not.toContain('ex=');
    expect(by.get(ids.embed)!.metadata?.embeds).toEqual([{ type: 'rich', title: 'Embed <script>alert(1)</script>', url: 'https://example.org/page' }]);
    expect(by.get(ids.starter)!.thread).toMatchObject({ discordChannelId: s.thread, messageCount: 1 });
    expect(by.get(ids.hello)!.thread).toBeNull();
    expect(await h.bot.db.transcripts.threads(s.channel)).toEqual([{ discordChannelId: s.thread, name: 'Thread <script>alert(1)</script>', archived: false, deletedAt: null, messageCount: 1 }]);
    const channel = await h.bot.db.transcripts.channel(s.channel);
    expect(channel).toMatchObject({ discordChannelId: s.channel, guildId: h.guildId, type: 0 });
    expect(channel.name).toMatch(/^transcript/);
  });

  it.skipIf(skip)('pages on (created_at, id): every message once at any page size, ties in the same millisecond included', async () => {
    const whole = (await all(h.bot.db.transcripts.pages(s.channel))).messages.map((m) => m.id);
    for (const size of [1, 2, 3, 7]) {
      const { pages, messages } = await all(h.bot.db.transcripts.pages(s.channel, {}, size));
      expect(messages.map((m) => m.id)).toEqual(whole);
      expect(Math.max(...pages)).toBeLessThanOrEqual(size);
    }
  });

  it.skipIf(skip)('after (inclusive) and before (exclusive) filter by sending time; deleted messages only when asked', async () => {
    const { messages } = await all(h.bot.db.transcripts.pages(s.channel));
    const at = (id: string) => messages.find((m) => m.discordMessageId === id)!.createdAt;
    const middle = await all(h.bot.db.transcripts.pages(s.channel, { after: at(s.ids.reply), before: at(s.ids.embed) }));
    expect(middle.messages.map((m) => m.discordMessageId)).toEqual([s.ids.reply, s.ids.injection, s.ids.file]);
    expect(await h.bot.db.transcripts.count(s.channel, { after: at(s.ids.reply), before: at(s.ids.embed) })).toBe(3);
    const withDeleted = await all(h.bot.db.transcripts.pages(s.channel, { includeDeleted: true }));
    const gone = withDeleted.messages.find((m) => m.discordMessageId === s.ids.deleted)!;
    expect(gone.deletedAt).toBeInstanceOf(Date);
    expect(gone.content).toBe('this one is deleted');
    expect(await h.bot.db.transcripts.count('999999999999999999')).toBe(0);
    expect(await all(h.bot.db.transcripts.pages('999999999999999999'))).toEqual({ pages: [], messages: [] });
  });
});
