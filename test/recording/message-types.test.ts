import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { checkDiscordAfterEach, newChannel, newMember, startHarness, until, type Harness } from '../helpers/harness';
import type { APIMessage } from 'discord.js';
import { metadataOf } from '../../src/recording/message-metadata';
import { reviveEvent, type QueuedEvent } from '../../src/recording/events';
import { pollVoteEvent, type PollVoteEventName } from '../../src/recording/poll-vote-events';
import type { PollVoteCount } from '../../src/database/stores/archive.store';

/** Forwards, polls, stickers, webhook and system messages: from the local Discord through the real client to the database. */
describe.each(DRIVERS)('message types on $driver', ({ driver, skip }) => {
  let h: Harness;
  beforeAll(async () => {
    if (!skip) h = await startHarness(driver, 'msgtypes');
  });
  afterAll(async () => h?.dispose());
  checkDiscordAfterEach(() => h);

  const stored = (id: string) => h.bot.db.messages.getByDiscordId(id);
  const recorded = (id: string) =>
    until(
      () => stored(id),
      (m) => !!m,
      5000,
      `message ${id} recorded`,
    );
  /** A replay: the event as the journal or the spill file gives it back (JSON, dates revived). */
  const replay = (e: QueuedEvent) => h.bot.queue.push(reviveEvent(JSON.parse(JSON.stringify(e)) as QueuedEvent) as never);
  const history = async (userId: string, channelId: string) =>
    (await h.emu.runCommand('history', {}, { userId, channelId }))
      .content!.split('\n')
      .slice(1)
      .map((l) => l.replace(/^<t:\d+:t> /, ''));

  it.skipIf(skip)('a forward keeps its origin and the snapshot (text, attachments, stickers); its files are downloaded; /history shows it; it is no reply', async () => {
    const ada = newMember(h, 'ada');
    const bob = newMember(h, 'bob');
    const general = newChannel(h, 'general');
    const origin = h.emu.sendMessage({ channelId: general, authorId: ada, content: 'the plan, v3', attachments: [{ filename: 'plan.txt', data: 'step one' }], stickers: [{ name: 'wave', formatType: 1 }] });
    await recorded(origin.id);
    // Forwarded in the same channel: its reference is its origin, not a message it answers.
    const f = h.emu.forwardMessage({ from: { channelId: general, messageId: origin.id }, channelId: general, authorId: bob });
    const row = await recorded(f.id);
    expect(row).toMatchObject({ content: '', replyToId: null, role: 'user' });
    const attachment = origin.attachments[0];
    const sticker = origin.sticker_items![0] as { id: string };
    expect(row!.metadata).toEqual({
      forward: {
        guildId: h.guildId,
        channelId: general,
        messageId: origin.id,
        content: 'the plan, v3',
        sentAt: origin.timestamp,
        attachments: [{ id: attachment.id, filename: 'plan.txt', size: 8, contentType: attachment.content_type, url: attachment.url }],
        stickers: [{ id: sticker.id, name: 'wave', formatType: 1 }],
      },
    });
    // The snapshot's file is kept under the forward too (the same bytes: one stored file).
    await until(
      () => h.bot.db.attachments.listForMessage(f.id),
      (a) => a.length === 1 && a[0].state === 'stored',
      8000,
      'the forward’s file stored',
    );
    expect((await stored(origin.id))!.metadata).toMatchObject({ stickers: [{ id: sticker.id, name: 'wave', formatType: 1 }] });
    expect(await history(bob, general)).toEqual(['↪ forwarded: the plan, v3']);
  });

  it.skipIf(skip)('a poll keeps its question and answers; its end stores the final results with no revision and no edit; the POLL_RESULT message is a system message', async () => {
    const ada = newMember(h, 'ada');
    const bob = newMember(h, 'bob');
    const polls = newChannel(h, 'polls');
    const m = h.emu.sendMessage({ channelId: polls, authorId: ada, content: '', poll: { question: 'Lunch?', answers: ['pizza', { text: 'soup', emoji: { id: null, name: '🍲' } }], allowMultiselect: true } });
    const row = await recorded(m.id);
    const expiry = (m.poll as { expiry: string }).expiry;
    expect(row!.metadata).toEqual({
      poll: {
        question: 'Lunch?',
        answers: [
          { id: 1, text: 'pizza', emoji: null },
          { id: 2, text: 'soup', emoji: '🍲' },
        ],
        expiry,
        allowMultiselect: true,
        results: { counts: [], finalized: false },
      },
    });
    // Votes: two people, one taken back; who voted for what at every step.
    const sent: [PollVoteEventName, Record<string, unknown>][] = [];
    const keep = (t: PollVoteEventName, d: Record<string, unknown> | null) => {
      expect(d).not.toBeNull();
      sent.push([t, d!]);
    };
    const expectVotes = (want: PollVoteCount[]) =>
      until(
        // Votes within one millisecond have no order: the voters compared as sets.
        async () => (await h.bot.db.archive.pollVotesByDiscordId(m.id)).map((v) => ({ ...v, users: [...v.users].sort() })),
        (v) => JSON.stringify(v) === JSON.stringify(want.map((w) => ({ ...w, users: [...w.users].sort() }))),
        5000,
        `votes ${JSON.stringify(want)}`,
      );
    keep('MESSAGE_POLL_VOTE_ADD', h.emu.votePoll({ channelId: polls, messageId: m.id, userId: ada, answerId: 1 }));
    await expectVotes([{ answerId: 1, users: [ada] }]);
    keep('MESSAGE_POLL_VOTE_ADD', h.emu.votePoll({ channelId: polls, messageId: m.id, userId: bob, answerId: 1 }));
    keep('MESSAGE_POLL_VOTE_ADD', h.emu.votePoll({ channelId: polls, messageId: m.id, userId: ada, answerId: 2 }));
    await expectVotes([
      { answerId: 1, users: [ada, bob] },
      { answerId: 2, users: [ada] },
    ]);
    keep('MESSAGE_POLL_VOTE_REMOVE', h.emu.unvotePoll({ channelId: polls, messageId: m.id, userId: ada, answerId: 1 }));
    await expectVotes([
      { answerId: 1, users: [bob] },
      { answerId: 2, users: [ada] },
    ]);
    // Replayed (the whole run again, and from the middle on, as the journal replays a suffix): the same votes.
    for (const [t, d] of [...sent, ...sent.slice(1)]) replay(pollVoteEvent(t, d as never));
    await h.bot.queue.flush();
    await expectVotes([
      { answerId: 1, users: [bob] },
      { answerId: 2, users: [ada] },
    ]);
    keep('MESSAGE_POLL_VOTE_ADD', h.emu.votePoll({ channelId: polls, messageId: m.id, userId: bob, answerId: 2 }));
    await expectVotes([
      { answerId: 1, users: [bob] },
      { answerId: 2, users: [ada, bob] },
    ]);
    const { result } = h.emu.endPoll(polls, m.id);
    const ended = await until(
      () => stored(m.id),
      (r) => r?.metadata?.poll?.results?.finalized === true,
      5000,
      'the final results',
    );
    expect(ended!.metadata!.poll!.results).toEqual({
      counts: [
        { id: 1, count: 1 },
        { id: 2, count: 2 },
      ],
      finalized: true,
    });
    expect(ended!.metadata!.poll!.expiry).not.toBe(expiry);
    expect(ended!.editedAt).toBeNull();
    expect(await h.bot.db.archive.revisionsByDiscordId(m.id)).toEqual([]);
    const pollResult = await recorded(result.id);
    expect(pollResult).toMatchObject({ role: 'system', replyToId: m.id, metadata: { type: 46, embeds: [{ type: 'poll_result' }] } });
    expect(await history(ada, polls)).toEqual(['📊 poll: Lunch? (ended)']);
    // The votes stay as they were when it ended.
    await expectVotes([
      { answerId: 1, users: [bob] },
      { answerId: 2, users: [ada, bob] },
    ]);

    // A vote on a poll never recorded changes nothing and breaks nothing.
    const ghost = h.emu.sendMessage({ channelId: newChannel(h, 'elsewhere'), authorId: ada, content: '', poll: { question: 'Gone?', answers: ['yes'] } });
    await recorded(ghost.id);
    await h.bot.db.write('test', (em) => em.query(`DELETE FROM "messages" WHERE "discord_message_id" = '${ghost.id}'`));
    h.emu.votePoll({ channelId: ghost.channel_id, messageId: ghost.id, userId: bob, answerId: 1 });
    await h.bot.queue.flush();
    expect(await h.bot.db.archive.pollVotesByDiscordId(ghost.id)).toEqual([]);
  });

  it.skipIf(skip)('a webhook’s message keeps its webhook id and is authored by the webhook under the name it posted as; a system message keeps its type', async () => {
    const ada = newMember(h, 'ada');
    const hooks = newChannel(h, 'hooks');
    const hook = h.emu.createWebhook({ channelId: hooks, name: 'Deploys' });
    const res = await fetch(`${h.emu.apiUrl}/v10/webhooks/${hook.id}/${hook.token}?wait=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: 'build 42 is out', username: 'CI' }) });
    const sent = (await res.json()) as { id: string };
    const row = await recorded(sent.id);
    expect(row).toMatchObject({ content: 'build 42 is out', role: 'user', metadata: { webhookId: hook.id } });
    const author = await h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: hook.id });
    expect(author).toMatchObject({ username: 'CI' });

    const join = h.emu.sendMessage({ channelId: hooks, authorId: ada, content: '', type: 7 });
    expect(await recorded(join.id)).toMatchObject({ role: 'system', content: '', metadata: { type: 7 } });
    const pin = h.emu.sendMessage({ channelId: hooks, authorId: ada, content: '', type: 6 });
    expect(await recorded(pin.id)).toMatchObject({ role: 'system', metadata: { type: 6 } });
  });

  it.skipIf(skip)('a message the recorder cannot fully read is stored with what it could read, and the problem logged with its id', async () => {
    const ada = newMember(h, 'ada');
    const odd = newChannel(h, 'odd');
    const base = (content: string) => {
      const id = h.emu.newSnowflake();
      return {
        id,
        channel_id: odd,
        guild_id: h.guildId,
        author: h.emu.user(ada),
        content,
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        type: 0,
        tts: false,
        mention_everyone: false,
        mentions: [],
        mention_roles: [],
        attachments: [],
        embeds: [],
        components: [],
        pinned: false,
        flags: 0,
      };
    };
    const badPoll = { ...base('a broken poll'), poll: { question: { text: 'q?' }, answers: 'not a list', expiry: null, allow_multiselect: false, layout_type: 1 }, sticker_items: [{ id: '123456789012345678', name: 'ok', format_type: 1 }] };
    const badForward = {
      ...base(''),
      message_reference: { type: 1, channel_id: odd, message_id: '123456789012345678' },
      message_snapshots: 'nope',
      attachments: [{ id: '223456789012345678', filename: 'f.txt', size: 3, url: 'http://127.0.0.1:1/f.txt', proxy_url: 'http://127.0.0.1:1/f.txt' }],
    };
    h.emu.dispatchRaw('MESSAGE_CREATE', badPoll);
    h.emu.dispatchRaw('MESSAGE_CREATE', badForward);
    expect((await recorded(badPoll.id))!.metadata).toEqual({ stickers: [{ id: '123456789012345678', name: 'ok', formatType: 1 }], unreadable: ['poll'] });
    const fwd = await recorded(badForward.id);
    expect(fwd!.metadata).toMatchObject({ unreadable: ['forward'], attachments: [{ id: '223456789012345678' }] });
    expect(fwd!.replyToId).toBeNull();
    for (const [id, part] of [
      [badPoll.id, 'poll'],
      [badForward.id, 'forward'],
    ]) {
      const line = h.logs.lines.find((l) => l.messageId === id && l.part === part);
      expect(line, `a log line for ${part} of ${id}`).toBeDefined();
      expect(String(line!.msg)).toContain(id);
    }
    // A message with nothing to be stored under (no author) is not stored, and says so with its id.
    const noAuthor: Record<string, unknown> = base('who?');
    delete noAuthor.author;
    h.emu.dispatchRaw('MESSAGE_CREATE', noAuthor);
    await until(
      () => h.logs.lines.find((l) => l.messageId === noAuthor.id),
      (l) => !!l,
    );
    expect(await stored(noAuthor.id as string)).toBeNull();
  });
});

describe('message metadata', () => {
  const message = (extra: object) => ({ id: '1', type: 0, content: '', attachments: [], embeds: [], ...extra }) as unknown as APIMessage;

  it('an interaction’s response (webhook_id is the application’s) is the bot speaking, not a webhook', () => {
    const user = { id: '2', username: 'ada' };
    expect(metadataOf(message({ type: 20, webhook_id: '9', interaction_metadata: { id: '3', type: 2, user, name: 'ping' } }), true).metadata).toEqual({ type: 20, interaction: { name: 'ping', userId: '2' } });
    expect(metadataOf(message({ webhook_id: '9' }), true).metadata).toEqual({ webhookId: '9' });
  });

  it('RECORD_CONTENT=false keeps a poll’s shape and a forward’s origin, not their text', () => {
    const d = message({
      poll: { question: { text: 'secret?' }, answers: [{ answer_id: 1, poll_media: { text: 'yes' } }], expiry: null, allow_multiselect: false, layout_type: 1 },
      message_reference: { type: 1, channel_id: '5', message_id: '6' },
      message_snapshots: [{ message: { content: 'private words', type: 0 } }],
    });
    expect(metadataOf(d, false).metadata).toEqual({
      poll: { question: '', answers: [{ id: 1, text: null, emoji: null }], expiry: null, allowMultiselect: false },
      forward: { guildId: null, channelId: '5', messageId: '6', content: '' },
    });
    expect(JSON.stringify(metadataOf(d, false))).not.toMatch(/secret|yes|private/);
  });
});
