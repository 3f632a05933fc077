/**
 * Polls, forwards, stickers and webhooks against a plain discord.js Client: the payloads Discord
 * v10 sends (checked against the spec's schemas where it describes them) and which sessions get
 * the poll vote events (the Guild / Direct Message Polls intents).
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Events, GatewayIntentBits, type GatewayDispatchPayload } from 'discord.js';
import { DiscordEmulator, type EmuChannel, type EmuUser } from '../src';
import { loadSpec, type SpecModule } from '../src/validation';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const BASE = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent];

describe('polls, forwards, stickers and webhooks', () => {
  let emu: DiscordEmulator;
  let spec: SpecModule;
  let client: Client;
  let deaf: Client;
  let general: EmuChannel;
  let alice: EmuUser;
  let bob: EmuUser;
  const raw: GatewayDispatchPayload[] = [];
  const deafRaw: string[] = [];

  async function dispatch(t: string, from: number, pred: (d: Json) => boolean = () => true): Promise<Json> {
    const end = Date.now() + 3000;
    for (;;) {
      const hit = raw.slice(from).find((p) => p.t === t && pred(p.d as Json));
      if (hit) return hit.d as Json;
      if (Date.now() > end) throw new Error(`no ${t}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  /** Checked against the spec's schema; Discord writes times as `+00:00`, which the spec's zod `datetime` only takes as `Z`. */
  const valid = (schema: string, v: unknown) => {
    const zulu: unknown = JSON.parse(JSON.stringify(v).replace(/(T\d{2}:\d{2}:\d{2}(?:\.\d+)?)\+00:00"/g, '$1Z"'));
    const r = spec[schema].safeParse(zulu);
    expect(r.success, `${schema}: ${JSON.stringify(r)}`).toBe(true);
  };

  beforeAll(async () => {
    spec = await loadSpec();
    emu = await DiscordEmulator.start({ botUsername: 'Chronicle' });
    const guild = emu.createGuild({ name: 'Types' });
    alice = emu.createUser({ username: 'alice' });
    bob = emu.createUser({ username: 'bob' });
    emu.addMember(guild.id, alice.id);
    emu.addMember(guild.id, bob.id);
    general = emu.createChannel({ guildId: guild.id, name: 'general' });
    const login = async (c: Client) => {
      const ready = once(c, Events.ClientReady);
      await c.login(emu.token);
      await ready;
    };
    client = new Client({ intents: [...BASE, GatewayIntentBits.GuildMessagePolls, GatewayIntentBits.DirectMessagePolls], rest: { api: emu.apiUrl } });
    client.on(Events.Raw, (p: GatewayDispatchPayload) => void raw.push(p));
    deaf = new Client({ intents: BASE, rest: { api: emu.apiUrl } });
    deaf.on(Events.Raw, (p: { t: string }) => void (p.t?.startsWith('MESSAGE_POLL') && deafRaw.push(p.t)));
    await login(client);
    await login(deaf);
  });
  afterAll(async () => {
    await client?.destroy();
    await deaf?.destroy();
    await emu?.stop();
  });

  it('a poll: created with its question, answers, expiry and results; votes under the poll intents only; its end is a MESSAGE_UPDATE with final results and no edit, then the POLL_RESULT message', async () => {
    let from = raw.length;
    const m = emu.sendMessage({ channelId: general.id, authorId: alice.id, content: '', poll: { question: 'Lunch?', answers: ['pizza', { text: 'soup', emoji: { id: null, name: '🍲' } }], durationHours: 2 } });
    const created = await dispatch('MESSAGE_CREATE', from, (d) => d.id === m.id);
    expect(created.poll).toMatchObject({
      question: { text: 'Lunch?' },
      answers: [
        { answer_id: 1, poll_media: { text: 'pizza' } },
        { answer_id: 2, poll_media: { text: 'soup', emoji: { id: null, name: '🍲' } } },
      ],
      allow_multiselect: false,
      layout_type: 1,
      results: { answer_counts: [], is_finalized: false },
    });
    expect(new Date(created.poll.expiry).getTime() - Date.now()).toBeGreaterThan(7_100_000);
    valid('PollResponseSchema', created.poll);
    valid('MessageResponseSchema', emu.message(general.id, m.id));

    from = raw.length;
    expect(emu.votePoll({ channelId: general.id, messageId: m.id, userId: alice.id, answerId: 1 })).not.toBeNull();
    expect(await dispatch('MESSAGE_POLL_VOTE_ADD', from)).toEqual({ user_id: alice.id, channel_id: general.id, message_id: m.id, guild_id: general.guild_id, answer_id: 1 });
    expect(emu.votePoll({ channelId: general.id, messageId: m.id, userId: alice.id, answerId: 1 })).toBeNull();
    expect(() => emu.votePoll({ channelId: general.id, messageId: m.id, userId: alice.id, answerId: 2 })).toThrow(/multiselect/);
    emu.votePoll({ channelId: general.id, messageId: m.id, userId: bob.id, answerId: 2 });
    from = raw.length;
    emu.unvotePoll({ channelId: general.id, messageId: m.id, userId: bob.id, answerId: 2 });
    expect(await dispatch('MESSAGE_POLL_VOTE_REMOVE', from)).toEqual({ user_id: bob.id, channel_id: general.id, message_id: m.id, guild_id: general.guild_id, answer_id: 2 });
    expect(emu.unvotePoll({ channelId: general.id, messageId: m.id, userId: bob.id, answerId: 2 })).toBeNull();
    emu.votePoll({ channelId: general.id, messageId: m.id, userId: bob.id, answerId: 1 });
    expect(emu.pollVoters(m.id, 1)).toEqual([alice.id, bob.id]);

    from = raw.length;
    const { result } = emu.endPoll(general.id, m.id);
    const update = await dispatch('MESSAGE_UPDATE', from, (d) => d.id === m.id);
    expect(update.edited_timestamp).toBeNull();
    expect(update.poll.results).toEqual({ answer_counts: [{ id: 1, count: 2, me_voted: false }], is_finalized: true });
    valid('PollResponseSchema', update.poll);
    const ended = await dispatch('MESSAGE_CREATE', from, (d) => d.id === result.id);
    expect(ended).toMatchObject({ type: 46, author: { id: alice.id }, message_reference: { type: 0, message_id: m.id, channel_id: general.id } });
    expect(Object.fromEntries((ended.embeds[0].fields as { name: string; value: string }[]).map((f) => [f.name, f.value]))).toEqual({
      poll_question_text: 'Lunch?',
      victor_answer_votes: '2',
      total_votes: '2',
      victor_answer_id: '1',
      victor_answer_text: 'pizza',
    });
    expect(ended.embeds[0].type).toBe('poll_result');
    expect(() => emu.votePoll({ channelId: general.id, messageId: m.id, userId: alice.id, answerId: 2 })).toThrow(/ended/);
    // The client without the poll intents got no vote at all.
    expect(deafRaw).toEqual([]);
    expect(emu.violations()).toEqual([]);
  });

  it('a forward: empty content, message_reference type 1 to the origin, the snapshot of its content, attachments and stickers, HAS_SNAPSHOT', async () => {
    const origin = emu.sendMessage({ channelId: general.id, authorId: alice.id, content: 'worth sharing', attachments: [{ filename: 'a.txt', data: 'hello' }], stickers: [{ name: 'wave', formatType: 1 }] });
    const other = emu.createChannel({ guildId: general.guild_id!, name: 'other' });
    const from = raw.length;
    const f = emu.forwardMessage({ from: { channelId: general.id, messageId: origin.id }, channelId: other.id, authorId: bob.id });
    const d = await dispatch('MESSAGE_CREATE', from, (x) => x.id === f.id);
    expect(d).toMatchObject({ type: 0, content: '', channel_id: other.id, flags: 1 << 14, message_reference: { type: 1, channel_id: general.id, message_id: origin.id, guild_id: general.guild_id } });
    expect(d.message_snapshots).toHaveLength(1);
    expect(d.message_snapshots[0].message).toMatchObject({ type: 0, content: 'worth sharing', timestamp: origin.timestamp, attachments: [{ filename: 'a.txt', size: 5 }], sticker_items: [{ name: 'wave', format_type: 1 }] });
    valid('MessageSnapshotResponseSchema', d.message_snapshots[0]);
    valid('MessageStickerItemResponseSchema', origin.sticker_items![0]);
    // The spec's MessageReferenceType lists DEFAULT (0) only; Discord documents FORWARD (1).
    valid('MessageReferenceResponseSchema', { ...d.message_reference, type: 0 });
  });

  it('a webhook: POST /webhooks/{id}/{token} without auth posts as the webhook (webhook_id, bot author, no member); a wrong token is 404', async () => {
    const hook = emu.createWebhook({ channelId: general.id, name: 'Deploys' });
    const from = raw.length;
    const res = await fetch(`${emu.apiUrl}/v10/webhooks/${hook.id}/${hook.token}?wait=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: 'build 42 is out', username: 'CI' }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    const d = await dispatch('MESSAGE_CREATE', from, (x) => x.id === body.id);
    expect(d).toMatchObject({ type: 0, content: 'build 42 is out', webhook_id: hook.id, author: { id: hook.id, username: 'CI', bot: true, discriminator: '0000' } });
    expect(d.member).toBeUndefined();
    valid('MessageResponseSchema', emu.message(general.id, body.id));
    const bad = await fetch(`${emu.apiUrl}/v10/webhooks/${hook.id}/nope`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: 'x' }) });
    expect(bad.status).toBe(404);
    emu.clearViolations();
  });
});
