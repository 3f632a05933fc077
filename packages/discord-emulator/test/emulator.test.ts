/**
 * The emulator against a plain discord.js Client (no bot code): login, messages, interactions, presence,
 * command registration, RESUME / re-IDENTIFY, validation, 404/401, rate limits, history, flood.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle, Client, DiscordAPIError, Events, GatewayIntentBits, MessageFlags, Partials, SlashCommandBuilder, type Interaction, type Message, type TextChannel } from 'discord.js';
import { WebSocket } from 'ws';
import { DiscordEmulator, Perm, type EmuChannel, type EmuGuild, type EmuUser } from '../src';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent];

function makeClient(emu: DiscordEmulator, intents = INTENTS): Client {
  return new Client({ intents, rest: { api: emu.apiUrl } });
}

async function login(client: Client, token: string): Promise<void> {
  const ready = once(client, Events.ClientReady);
  await client.login(token);
  await ready;
}

/** Resolves with the first event matching `pred`. */
function next<T extends unknown[]>(client: Client, event: string, pred: (...a: T) => boolean = () => true, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(event, listener);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    const listener = (...a: unknown[]) => {
      if (!pred(...(a as T))) return;
      clearTimeout(timer);
      client.off(event, listener);
      resolve(a as T);
    };
    client.on(event, listener);
  });
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A local Discord and a logged-in client of one test's own (for tests that disconnect the gateway). */
async function ownDiscord(): Promise<{ emu: DiscordEmulator; client: Client; general: EmuChannel; alice: EmuUser; stop(): Promise<void> }> {
  const emu = await DiscordEmulator.start({ botUsername: 'Chronicle' });
  const guild = emu.createGuild({ name: 'Own Guild' });
  const general = emu.createChannel({ guildId: guild.id, name: 'general' });
  const alice = emu.createUser({ username: 'alice', globalName: 'Alice' });
  emu.addMember(guild.id, alice.id);
  const client = makeClient(emu);
  await login(client, emu.token);
  return {
    emu,
    client,
    general,
    alice,
    async stop() {
      await client.destroy();
      await emu.stop();
    },
  };
}

/** The commands the shared client answers (registered before the tests: runCommand uses their option types). */
function commandDefinitions() {
  return [
    new SlashCommandBuilder().setName('ping').setDescription('Ping'),
    new SlashCommandBuilder()
      .setName('echo')
      .setDescription('Echo')
      .addStringOption((o) => o.setName('text').setDescription('text').setRequired(true))
      .addIntegerOption((o) => o.setName('times').setDescription('times')),
    new SlashCommandBuilder().setName('slow').setDescription('Deferred'),
    new SlashCommandBuilder().setName('export').setDescription('File'),
    new SlashCommandBuilder().setName('buttons').setDescription('Buttons'),
    new SlashCommandBuilder().setName('silent').setDescription('Never answers'),
    new SlashCommandBuilder()
      .setName('fruit')
      .setDescription('Autocomplete')
      .addStringOption((o) => o.setName('name').setDescription('fruit').setAutocomplete(true)),
  ];
}

describe('DiscordEmulator with a discord.js Client', () => {
  let emu: DiscordEmulator;
  let client: Client;
  let guild: EmuGuild;
  let general: EmuChannel;
  let alice: EmuUser;
  let bob: EmuUser;

  beforeAll(async () => {
    emu = await DiscordEmulator.start({ botUsername: 'Chronicle' });
    guild = emu.createGuild({ name: 'Test Guild' });
    general = emu.createChannel({ guildId: guild.id, name: 'general' });
    emu.createChannel({ guildId: guild.id, name: 'voice', type: 'voice' });
    alice = emu.createUser({ username: 'alice', globalName: 'Alice' });
    bob = emu.createUser({ username: 'bob' });
    emu.addMember(guild.id, alice.id, { nick: 'Ally' });
    emu.addMember(guild.id, bob.id, { admin: true });

    client = makeClient(emu);
    client.on(Events.InteractionCreate, (i: Interaction) => void handle(i));
    await login(client, emu.token);
    await client.application!.commands.set(commandDefinitions().map((c) => c.toJSON()));
  });

  afterAll(async () => {
    await client?.destroy();
    await emu?.stop();
  });

  afterEach(() => {
    expect(emu.violations()).toEqual([]);
  });

  async function handle(i: Interaction): Promise<void> {
    if (i.isAutocomplete()) {
      const typed = i.options.getFocused();
      await i.respond(['apple', 'apricot', 'banana'].filter((f) => f.startsWith(typed)).map((f) => ({ name: f, value: f })));
      return;
    }
    if (i.isButton()) {
      if (i.customId === 'inc') await i.update({ content: `clicked by ${i.user.username}`, components: [] });
      if (i.customId === 'reply') await i.reply({ content: 'a new reply', flags: MessageFlags.Ephemeral });
      return;
    }
    if (!i.isChatInputCommand()) return;
    switch (i.commandName) {
      case 'ping':
        await i.reply({ content: `pong ${i.user.username} in ${i.guild?.name} perms=${i.memberPermissions?.has('SendMessages')}`, flags: MessageFlags.Ephemeral });
        break;
      case 'echo':
        await i.reply(`echo ${i.options.getString('text')} x${i.options.getInteger('times') ?? 1} sub=${i.options.getSubcommand(false)}`);
        break;
      case 'slow':
        await i.deferReply();
        await new Promise((r) => setTimeout(r, 50));
        await i.editReply('slow done');
        await i.followUp({ content: 'and a follow-up', flags: MessageFlags.Ephemeral });
        break;
      case 'export':
        await i.reply({ content: 'here', files: [new AttachmentBuilder(Buffer.from('{"rows":[1,2,3]}'), { name: 'export.json' })] });
        break;
      case 'buttons': {
        const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
          new ButtonBuilder().setCustomId('inc').setLabel('Increment').setStyle(ButtonStyle.Primary),
          new ButtonBuilder().setCustomId('reply').setLabel('Reply').setStyle(ButtonStyle.Secondary),
        );
        await i.reply({ content: 'choose', components: [row] });
        break;
      }
      case 'silent':
        break; // never answers: "interaction failed"
    }
  }

  it('reaches clientReady with guilds, channels and the application cached', () => {
    expect(client.user?.id).toBe(emu.botUser.id);
    expect(client.application?.id).toBe(emu.applicationId);
    const g = client.guilds.cache.get(guild.id);
    expect(g?.name).toBe('Test Guild');
    expect(g?.roles.everyone.id).toBe(guild.id);
    expect(client.channels.cache.get(general.id)?.isTextBased()).toBe(true);
    expect(g?.channels.cache.size).toBe(2);
    expect(g?.members.me?.id).toBe(emu.botUser.id);
    expect(emu.identifyCount()).toBe(1);
    expect(emu.connected()).toBe(true);
  });

  it('delivers messageCreate with author, channel, guild, member and content', async () => {
    const got = next<[Message]>(client, Events.MessageCreate, (m) => m.content === 'hello bot');
    const sent = emu.sendMessage({ channelId: general.id, authorId: alice.id, content: 'hello bot' });
    const [m] = await got;
    expect(m.id).toBe(sent.id);
    expect(m.author.username).toBe('alice');
    expect(m.author.bot).toBe(false);
    expect(m.channel.id).toBe(general.id);
    expect(m.guild?.id).toBe(guild.id);
    expect(m.member?.displayName).toBe('Ally');
    expect(m.createdTimestamp).toBeGreaterThan(Date.now() - 5000);
  });

  it("echoes the bot's own channel messages back as MESSAGE_CREATE authored by the bot", async () => {
    const ch = client.channels.cache.get(general.id) as TextChannel;
    const own = next<[Message]>(client, Events.MessageCreate, (m) => m.content === 'from the bot');
    const sent = await ch.send('from the bot');
    const [m] = await own;
    expect(m.id).toBe(sent.id);
    expect(m.author.id).toBe(emu.botUser.id);
    expect(emu.channelMessages(general.id).some((x) => x.id === sent.id && x.author.bot)).toBe(true);
    const edited = await sent.edit('edited by the bot');
    expect(edited.editedTimestamp).not.toBeNull();
    await sent.delete();
    expect(emu.channelMessages(general.id).some((x) => x.id === sent.id)).toBe(false);
  });

  it('registers global and guild commands and returns ids', async () => {
    // Registered once more (bulk overwrite: the same commands, the same ids).
    const cmds = commandDefinitions();
    const ids = new Map([...(await client.application!.commands.fetch()).values()].map((c) => [c.name, c.id]));
    const set = await client.application!.commands.set(cmds.map((c) => c.toJSON()));
    expect(set.size).toBe(cmds.length);
    for (const c of set.values()) {
      expect(c.id).toMatch(/^\d{17,20}$/);
      expect(c.id).toBe(ids.get(c.name));
    }
    const guildSet = await client.application!.commands.set(
      [
        new SlashCommandBuilder()
          .setName('admin')
          .setDescription('Guild only')
          .addSubcommand((s) => s.setName('reset').setDescription('Reset'))
          .toJSON(),
      ],
      guild.id,
    );
    expect([...guildSet.values()][0].guildId).toBe(guild.id);
    expect(emu.registeredCommands().map((c) => (c as { name: string }).name)).toContain('echo');
    expect(emu.registeredCommands(guild.id)).toHaveLength(1);
    const fetched = await client.application!.commands.fetch();
    expect(fetched.size).toBe(cmds.length);
  });

  it('runs a chat-input command and gets the (ephemeral) reply', async () => {
    const r = await emu.runCommand('ping', {}, { userId: alice.id, channelId: general.id });
    expect(r.type).toBe(4);
    expect(r.content).toBe('pong alice in Test Guild perms=true');
    expect(r.ephemeral).toBe(true);
    // Ephemeral replies are not in channel history and not dispatched to the bot, as on Discord.
    expect(emu.channelMessages(general.id).some((m) => m.id === r.messageId)).toBe(false);
  });

  it('sends a channel’s permission overwrites (CHANNEL_CREATE) and applies them to the member permissions an interaction carries', async () => {
    const carol = emu.createUser({ username: 'carol' });
    emu.addMember(guild.id, carol.id);
    const created = next<[unknown]>(client, Events.ChannelCreate);
    const secret = emu.createChannel({
      guildId: guild.id,
      name: 'secret',
      permissionOverwrites: [
        { id: guild.id, type: 'role', deny: Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES },
        { id: alice.id, type: 'member', allow: Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES },
      ],
    });
    expect(secret.permission_overwrites).toEqual([
      { id: guild.id, type: 0, allow: '0', deny: String(Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES) },
      { id: alice.id, type: 1, allow: String(Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES), deny: '0' },
    ]);
    await created;
    const ch = client.channels.cache.get(secret.id) as TextChannel;
    expect(ch.permissionOverwrites.cache.get(guild.id)?.deny.has('ViewChannel')).toBe(true);
    expect(ch.permissionOverwrites.cache.get(alice.id)?.allow.has('ViewChannel')).toBe(true);
    expect((await emu.runCommand('ping', {}, { userId: carol.id, channelId: secret.id })).content).toBe('pong carol in Test Guild perms=false');
    expect((await emu.runCommand('ping', {}, { userId: alice.id, channelId: secret.id })).content).toBe('pong alice in Test Guild perms=true');
    // An administrator is not held back by overwrites; elsewhere carol's role applies.
    expect((await emu.runCommand('ping', {}, { userId: bob.id, channelId: secret.id })).content).toBe('pong bob in Test Guild perms=true');
    expect((await emu.runCommand('ping', {}, { userId: carol.id, channelId: general.id })).content).toBe('pong carol in Test Guild perms=true');
  });

  it('passes typed options (from the registered definition) and public replies come back as MESSAGE_CREATE', async () => {
    const seen = next<[Message]>(client, Events.MessageCreate, (m) => m.content.startsWith('echo'));
    const r = await emu.runCommand('echo', { text: 'hi', times: 3 }, { userId: bob.id, channelId: general.id });
    expect(r.content).toBe('echo hi x3 sub=null');
    expect(r.ephemeral).toBe(false);
    const [m] = await seen;
    expect(m.author.id).toBe(emu.botUser.id);
    expect(m.interactionMetadata?.user.id).toBe(bob.id);
    await expect(emu.runCommand('echo', {}, { userId: bob.id, channelId: general.id })).rejects.toThrow(/requires option "text"/);
  });

  it('resolves a deferral once the reply is edited, and exposes follow-ups', async () => {
    const r = await emu.runCommand('slow', {}, { userId: alice.id, channelId: general.id });
    expect(r.deferred).toBe(true);
    expect(r.type).toBe(5);
    expect(r.content).toBe('slow done');
    const followups = await emu.waitForFollowups(r, 1);
    expect(followups[0].content).toBe('and a follow-up');
    expect(followups[0].ephemeral).toBe(true);
  });

  it('keeps file attachments of an interaction reply', async () => {
    const r = await emu.runCommand('export', {}, { userId: alice.id, channelId: general.id });
    expect(r.attachments).toHaveLength(1);
    expect(r.attachments[0].filename).toBe('export.json');
    expect(JSON.parse(r.attachments[0].data.toString())).toEqual({ rows: [1, 2, 3] });
    expect(emu.attachments().find((a) => a.messageId === r.messageId)?.contentType).toMatch(/json/);
    const msg = emu.channelMessages(general.id).find((m) => m.id === r.messageId)!;
    const dl = await fetch(msg.attachments[0].url);
    expect(await dl.text()).toBe('{"rows":[1,2,3]}');
  });

  it('clicks a button: update() edits the message, reply() answers anew', async () => {
    const r = await emu.runCommand('buttons', {}, { userId: alice.id, channelId: general.id });
    expect(r.components).toHaveLength(1);
    const updated = next<[Message, Message]>(client, Events.MessageUpdate, (_o, n) => n.id === r.messageId);
    const u = await emu.clickButton({ interaction: r, customId: 'inc', userId: bob.id, channelId: general.id });
    expect(u.type).toBe(7);
    expect(u.content).toBe('clicked by bob');
    expect(u.messageId).toBe(r.messageId);
    expect((await updated)[1].content).toBe('clicked by bob');
    const r2 = await emu.runCommand('buttons', {}, { userId: alice.id, channelId: general.id });
    const reply = await emu.clickButton({ messageId: r2.messageId!, customId: 'reply', userId: alice.id, channelId: general.id });
    expect(reply).toMatchObject({ type: 4, content: 'a new reply', ephemeral: true });
  });

  it('returns autocomplete choices (callback type 8)', async () => {
    const choices = await emu.autocomplete('fruit', { name: 'name', value: 'ap' }, { userId: alice.id, channelId: general.id });
    expect(choices).toEqual([
      { name: 'apple', value: 'apple' },
      { name: 'apricot', value: 'apricot' },
    ]);
  });

  it('rejects with a clear error when the bot never answers', async () => {
    await expect(emu.runCommand('silent', {}, { userId: alice.id, channelId: general.id, timeoutMs: 300 })).rejects.toThrow(/never answered/);
  });

  it('records setPresence as op 3', async () => {
    // A value of this test's own, and only updates sent after this point (not the history).
    const before = new Set(emu.presences());
    const name = `the archives ${Date.now()}`;
    client.user!.setPresence({ status: 'dnd', activities: [{ name, type: 3 }] });
    const p = await emu.waitForPresence((x) => !before.has(x) && x.activities[0]?.name === name);
    expect(p).toMatchObject({ status: 'dnd', activities: [{ name, type: 3 }] });
    expect(emu.presence()).toBe(p);
  });

  it('delivers edits, deletes and bulk deletes (and raw events for uncached messages)', async () => {
    const m1 = emu.sendMessage({ channelId: general.id, authorId: alice.id, content: 'one' });
    const m2 = emu.sendMessage({ channelId: general.id, authorId: alice.id, content: 'two' });
    const m3 = emu.sendMessage({ channelId: general.id, authorId: alice.id, content: 'three' });
    await until(() => (client.channels.cache.get(general.id) as TextChannel).messages.cache.has(m3.id));
    const upd = next<[Message, Message]>(client, Events.MessageUpdate, (_o, n) => n.id === m1.id);
    emu.editMessage(general.id, m1.id, 'one (edited)');
    const [oldM, newM] = await upd;
    expect(oldM.content).toBe('one');
    expect(newM.content).toBe('one (edited)');
    expect(newM.editedTimestamp).not.toBeNull();
    const del = next<[Message]>(client, Events.MessageDelete, (m) => m.id === m1.id);
    emu.deleteMessage(general.id, m1.id);
    await del;
    const bulk = next<[Map<string, Message>]>(client, Events.MessageBulkDelete);
    emu.bulkDeleteMessages(general.id, [m2.id, m3.id]);
    expect([...(await bulk)[0].keys()].sort()).toEqual([m2.id, m3.id].sort());
    const raw = next<[{ t: string; d: { id: string } }]>(client, Events.Raw, (p) => p.t === 'MESSAGE_DELETE' && p.d.id === '123456789012345678');
    emu.deleteMessage(general.id, '123456789012345678');
    // Uncached messages only surface as raw events (messageDelete needs Partials.Message), as with Discord.
    await raw;
  });

  it('serves channel history newest first with before/after/around/limit', async () => {
    // A guild of its own: the shared guild keeps the channels the ready test counts.
    const own = emu.createGuild({ name: 'History Guild' });
    await until(() => client.guilds.cache.has(own.id));
    const hist = emu.createChannel({ guildId: own.id, name: 'history' });
    await until(() => client.channels.cache.has(hist.id));
    const base = Date.now() - 60_000;
    const ids = Array.from({ length: 10 }, (_, i) => emu.sendMessage({ channelId: hist.id, authorId: alice.id, content: `m${i}`, timestamp: new Date(base + i * 1000) }).id);
    const ch = client.channels.cache.get(hist.id) as TextChannel;
    const latest = await ch.messages.fetch({ limit: 3, cache: false });
    expect([...latest.keys()]).toEqual([ids[9], ids[8], ids[7]]);
    const before = await ch.messages.fetch({ limit: 2, before: ids[5], cache: false });
    expect([...before.keys()]).toEqual([ids[4], ids[3]]);
    const after = await ch.messages.fetch({ limit: 3, after: ids[1], cache: false });
    expect([...after.keys()]).toEqual([ids[4], ids[3], ids[2]]);
    const around = await ch.messages.fetch({ limit: 3, around: ids[5], cache: false });
    expect([...around.keys()]).toEqual([ids[6], ids[5], ids[4]]);
    const one = await ch.messages.fetch({ message: ids[0], force: true });
    expect(one.content).toBe('m0');
    const bad = await fetch(`${emu.apiUrl}/v10/channels/${hist.id}/messages?limit=101`, { headers: { authorization: `Bot ${emu.token}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).errors.limit._errors[0].code).toBe('NUMBER_TYPE_MAX');
    emu.clearViolations();
  });

  it('serves history as it is now: edits carry edited_timestamp, deleted messages are gone, before-paging walks it all once', async () => {
    const own = emu.createGuild({ name: 'Paging Guild' });
    await until(() => client.guilds.cache.has(own.id));
    const hist = emu.createChannel({ guildId: own.id, name: 'paging' });
    await until(() => client.channels.cache.has(hist.id));
    const ids = Array.from({ length: 250 }, (_, i) => emu.sendMessage({ channelId: hist.id, authorId: alice.id, content: `p${i}` }).id);
    const edited = emu.editMessage(hist.id, ids[7], 'p7 (edited)');
    emu.deleteMessage(hist.id, ids[8]);
    emu.bulkDeleteMessages(hist.id, [ids[100], ids[249]]);
    const get = async (q: string) =>
      (await (await fetch(`${emu.apiUrl}/v10/channels/${hist.id}/messages?${q}`, { headers: { authorization: `Bot ${emu.token}` } })).json()) as { id: string; content: string; edited_timestamp: string | null }[];
    const seen: string[] = [];
    let before = '';
    for (;;) {
      const page = await get(`limit=100${before ? `&before=${before}` : ''}`);
      seen.push(...page.map((m) => m.id));
      if (page.length < 100) break;
      before = page.at(-1)!.id;
    }
    const left = ids.filter((_, i) => ![8, 100, 249].includes(i));
    expect(seen).toEqual(left.slice().reverse());
    const [seven] = await get(`limit=1&after=${ids[6]}`);
    expect(seven).toMatchObject({ id: ids[7], content: 'p7 (edited)', edited_timestamp: edited.edited_timestamp });
    expect(seven.edited_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    // `after` gives the oldest ones after the id, newest first (as Discord does).
    expect((await get(`limit=3&after=${ids[6]}`)).map((m) => m.id)).toEqual([ids[10], ids[9], ids[7]]);
  });

  it('tells onRequest listeners of each request once its answer is fixed, before it is sent', async () => {
    const m = emu.sendMessage({ channelId: general.id, authorId: alice.id, content: 'as it was' });
    const seen: string[] = [];
    const off = emu.onRequest((r) => {
      seen.push(`${r.method} ${r.path.split('?')[0]} ${r.status}`);
      emu.editMessage(general.id, m.id, 'changed by the listener');
    });
    const [got] = (await client.rest.get(`/channels/${general.id}/messages`, { query: new URLSearchParams({ limit: '1' }) })) as { id: string; content: string }[];
    off();
    await client.rest.get(`/channels/${general.id}/messages`, { query: new URLSearchParams({ limit: '1' }) });
    expect(seen).toEqual([`GET /api/v10/channels/${general.id}/messages 200`]);
    // The answer was the history before the listener's edit; the edit happened (and is served next).
    expect(got).toMatchObject({ id: m.id, content: 'as it was' });
    expect(emu.message(general.id, m.id)?.content).toBe('changed by the listener');
  });

  it('RESUMEs after a resumable disconnect and replays missed events exactly once', async () => {
    // A gateway of its own: the shared client's session (and identify count) stays as it is.
    const { emu, client, general, alice, stop } = await ownDiscord();
    try {
      const identifies = emu.identifyCount();
      const received: string[] = [];
      const onMsg = (m: Message) => {
        if (m.content.startsWith('missed-')) received.push(m.content);
      };
      client.on(Events.MessageCreate, onMsg);
      const resumed = next(client, Events.ShardResume, () => true, 5000);
      emu.disconnect({ resumable: true });
      for (let i = 0; i < 3; i++) emu.sendMessage({ channelId: general.id, authorId: alice.id, content: `missed-${i}` });
      await resumed;
      emu.sendMessage({ channelId: general.id, authorId: alice.id, content: 'missed-after' });
      await until(() => received.includes('missed-after'));
      client.off(Events.MessageCreate, onMsg);
      expect(received).toEqual(['missed-0', 'missed-1', 'missed-2', 'missed-after']);
      expect(emu.resumeCount()).toBe(1);
      expect(emu.identifyCount()).toBe(identifies);
      expect(emu.violations()).toEqual([]);
    } finally {
      await stop();
    }
  });

  it('re-IDENTIFYs after a non-resumable disconnect', async () => {
    const { emu, client, general, alice, stop } = await ownDiscord();
    try {
      const identifies = emu.identifyCount();
      emu.disconnect({ resumable: false });
      // discord.js spaces IDENTIFYs 5 s apart (Discord's max_concurrency 1 bucket), hence the long wait.
      await until(() => emu.identifyCount() === identifies + 1, 9000);
      await emu.waitForReady(5000);
      const got = next<[Message]>(client, Events.MessageCreate, (m) => m.content === 'after re-identify');
      emu.sendMessage({ channelId: general.id, authorId: alice.id, content: 'after re-identify' });
      await got;
      expect(emu.violations()).toEqual([]);
    } finally {
      await stop();
    }
  }, 15000);

  it('refuses an invalid body with 50035 and records it', async () => {
    const err = await client.application!.commands.create({ name: 'bad', description: 'x'.repeat(101) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscordAPIError);
    expect((err as DiscordAPIError).code).toBe(50035);
    expect((err as DiscordAPIError).rawError).toMatchObject({
      message: 'Invalid Form Body',
      errors: { description: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' }] } },
    });
    const v = emu.violations();
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ method: 'POST', kind: 'invalid_body' });
    const bulk = await fetch(`${emu.apiUrl}/v10/applications/${emu.applicationId}/commands`, {
      method: 'PUT',
      headers: { authorization: `Bot ${emu.token}`, 'content-type': 'application/json' },
      body: JSON.stringify([
        { name: 'ok', description: 'fine' },
        { name: 'bad', description: 'x'.repeat(101) },
      ]),
    });
    expect(bulk.status).toBe(400);
    expect(((await bulk.json()) as Json).errors['1'].description._errors[0].code).toBe('BASE_TYPE_BAD_LENGTH');
    const empty = await (client.channels.cache.get(general.id) as TextChannel).send({ content: '' }).catch((e: DiscordAPIError) => e);
    expect((empty as DiscordAPIError).code).toBe(50006);
    expect(emu.violations()).toHaveLength(3);
    emu.clearViolations();
  });

  it('answers unknown routes with 404 and missing auth with 401, recording both', async () => {
    const r = await fetch(`${emu.apiUrl}/v10/nope/nothing`, { headers: { authorization: `Bot ${emu.token}` } });
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ message: '404: Not Found', code: 0 });
    const u = await fetch(`${emu.apiUrl}/v10/users/@me`);
    expect(u.status).toBe(401);
    expect(await u.json()).toEqual({ message: '401: Unauthorized', code: 0 });
    expect(emu.violations().map((v) => v.kind)).toEqual(['unknown_route', 'unauthorized']);
    emu.clearViolations();
  });

  it('sends 429 with Discord headers when a bucket is exhausted, and discord.js retries', async () => {
    emu.setRateLimit({ perRoute: 2, windowMs: 400 });
    try {
      const url = `${emu.apiUrl}/v10/channels/${general.id}/messages`;
      const post = () => fetch(url, { method: 'POST', headers: { authorization: `Bot ${emu.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ content: 'raw' }) });
      const a = await post();
      expect(a.headers.get('x-ratelimit-limit')).toBe('2');
      expect(a.headers.get('x-ratelimit-remaining')).toBe('1');
      expect(a.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]+$/);
      await post();
      const limited = await post();
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(limited.headers.get('x-ratelimit-scope')).toBe('user');
      expect(await limited.json()).toMatchObject({ message: 'You are being rate limited.', global: false });
      // Exhaust again, then let discord.js hit the 429 and retry on its own.
      await post();
      await post();
      const before = emu.requests().filter((r) => r.status === 429).length;
      const started = Date.now();
      const sent = await (client.channels.cache.get(general.id) as TextChannel).send('after 429');
      expect(sent.content).toBe('after 429');
      expect(emu.requests().filter((r) => r.status === 429).length).toBeGreaterThan(before);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      emu.setRateLimit({ perRoute: 50, windowMs: 1000 });
    }
  });

  it('floods MESSAGE_CREATE frames that the client receives in order', async () => {
    const n = 2000;
    let count = 0;
    let last = '';
    const onMsg = (m: Message) => {
      if (m.channelId === general.id && m.content.startsWith('lorem')) {
        count++;
        last = m.id;
      }
    };
    client.on(Events.MessageCreate, onMsg);
    const res = await emu.flood({ count: n, channelIds: [general.id], userIds: [alice.id, bob.id], contentLength: 40 });
    await until(() => count === n, 10000);
    client.off(Events.MessageCreate, onMsg);
    expect(res.sent).toBe(n);
    expect(last).toBe(res.lastId);
  });
});

describe('DiscordEmulator refusals', () => {
  it('refuses a wrong token (401 on /gateway/bot, 4004 on IDENTIFY) without looping', async () => {
    const emu = await DiscordEmulator.start();
    try {
      const client = makeClient(emu);
      await expect(client.login('wrong.token.value')).rejects.toThrow(/token/i);
      await client.destroy();
      await new Promise((r) => setTimeout(r, 200));
      expect(emu.requests().filter((r) => r.path.startsWith('/api/v10/gateway/bot'))).toHaveLength(1);
      expect(emu.identifyCount()).toBe(0);
      // The gateway itself closes with 4004 on a wrong token.
      const ws = new WebSocket(`ws://127.0.0.1:${emu.port}/gateway?v=10&encoding=json`);
      await once(ws, 'message');
      ws.send(JSON.stringify({ op: 2, d: { token: 'wrong', intents: 1, properties: { os: 'linux', browser: 'x', device: 'x' } } }));
      const [code] = (await once(ws, 'close')) as [number];
      expect(code).toBe(4004);
    } finally {
      await emu.stop();
    }
  });

  it('closes with 4014 for a disallowed privileged intent', async () => {
    const emu = await DiscordEmulator.start({ allowedIntents: GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages });
    const client = makeClient(emu);
    const closes: number[] = [];
    client.on(Events.ShardDisconnect, (ev) => closes.push(ev.code));
    try {
      await expect(client.login(emu.token)).rejects.toThrow(/disallowed intents/i);
      expect(closes).toContain(4014);
      expect(emu.identifyCount()).toBe(0);
    } finally {
      await client.destroy();
      await emu.stop();
    }
  });
});

describe('DiscordEmulator reactions', () => {
  it('sends MESSAGE_REACTION_* as Discord v10 does, only to sessions with the reaction intents, and serves the reaction routes', async () => {
    const { emu, client: deaf, general, alice, stop } = await ownDiscord(); // no reaction intents
    const client = makeClient(emu, [...INTENTS, GatewayIntentBits.GuildMessageReactions, GatewayIntentBits.DirectMessageReactions]);
    const deafRaw: string[] = [];
    deaf.on(Events.Raw, (p: { t: string }) => void (p.t?.startsWith('MESSAGE_REACTION') && deafRaw.push(p.t)));
    try {
      await login(client, emu.token);
      const bob = emu.createUser({ username: 'bob' });
      emu.addMember(emu.channel(general.id)!.guild_id as string, bob.id, { nick: 'Bobby' });
      const m = emu.sendMessage({ channelId: general.id, authorId: alice.id, content: 'react to me' });
      await until(() => (client.channels.cache.get(general.id) as TextChannel).messages.cache.has(m.id));
      const raw = (t: string) => next<[{ t: string; d: Json }]>(client, Events.Raw, (p) => p.t === t);

      // A person adds a unicode reaction: the documented fields, member included (guild).
      let ev = raw('MESSAGE_REACTION_ADD');
      const added = next<[{ emoji: { name: string | null } }, { id: string }]>(client, Events.MessageReactionAdd);
      emu.addReaction({ channelId: general.id, messageId: m.id, userId: bob.id, emoji: '👍' });
      const [{ d }] = await ev;
      expect(d).toMatchObject({ user_id: bob.id, channel_id: general.id, message_id: m.id, guild_id: m.guild_id, emoji: { id: null, name: '👍' }, message_author_id: alice.id, burst: false, type: 0 });
      expect(d.member).toMatchObject({ nick: 'Bobby', user: { id: bob.id } });
      const [reaction, user] = await added;
      expect([reaction.emoji.name, user.id]).toEqual(['👍', bob.id]);
      // The same reaction again is no change: no event.
      expect(emu.addReaction({ channelId: general.id, messageId: m.id, userId: bob.id, emoji: '👍' })).toBeNull();

      // A custom (animated) emoji by name:id, and a super reaction.
      ev = raw('MESSAGE_REACTION_ADD');
      emu.addReaction({ channelId: general.id, messageId: m.id, userId: alice.id, emoji: 'a:party:112233445566778899' });
      expect((await ev)[0].d.emoji).toEqual({ id: '112233445566778899', name: 'party', animated: true });
      ev = raw('MESSAGE_REACTION_ADD');
      emu.addReaction({ channelId: general.id, messageId: m.id, userId: alice.id, emoji: '👍', burst: true });
      expect((await ev)[0].d).toMatchObject({ burst: true, type: 1, burst_colors: expect.any(Array) });

      // The bot reacts through REST (PUT …/@me); the message's reactions carry counts and `me`.
      const channel = client.channels.cache.get(general.id) as TextChannel;
      const msg = await channel.messages.fetch(m.id);
      await msg.react('👍');
      const fetched = (await client.rest.get(`/channels/${general.id}/messages/${m.id}`)) as Json;
      expect(fetched.reactions).toEqual(
        expect.arrayContaining([
          { emoji: { id: null, name: '👍' }, count: 3, count_details: { normal: 2, burst: 1 }, burst_colors: expect.any(Array), me: true, me_burst: false },
          expect.objectContaining({ emoji: { id: '112233445566778899', name: 'party', animated: true }, count: 1, me: false }),
        ]),
      );
      const users = await msg.reactions.resolve('👍')!.users.fetch();
      expect([...users.keys()].sort()).toEqual([bob.id, client.user!.id].sort());

      // The bot removes someone's reaction (MANAGE_MESSAGES): MESSAGE_REACTION_REMOVE.
      ev = raw('MESSAGE_REACTION_REMOVE');
      await msg.reactions.resolve('👍')!.users.remove(bob.id);
      expect((await ev)[0].d).toEqual({ user_id: bob.id, channel_id: general.id, message_id: m.id, guild_id: m.guild_id, emoji: { id: null, name: '👍' }, burst: false, type: 0 });
      expect(emu.reactionUsers(m.id, '👍')).toEqual([client.user!.id]);
      // A person takes theirs back.
      ev = raw('MESSAGE_REACTION_REMOVE');
      emu.removeReaction({ channelId: general.id, messageId: m.id, userId: alice.id, emoji: '👍', burst: true });
      expect((await ev)[0].d).toMatchObject({ user_id: alice.id, burst: true, type: 1 });

      // One emoji cleared, then all.
      ev = raw('MESSAGE_REACTION_REMOVE_EMOJI');
      await client.rest.delete(`/channels/${general.id}/messages/${m.id}/reactions/${encodeURIComponent('party:112233445566778899')}`);
      expect((await ev)[0].d).toEqual({ channel_id: general.id, message_id: m.id, guild_id: m.guild_id, emoji: { id: '112233445566778899', name: 'party', animated: true } });
      ev = raw('MESSAGE_REACTION_REMOVE_ALL');
      await msg.reactions.removeAll();
      expect((await ev)[0].d).toEqual({ channel_id: general.id, message_id: m.id, guild_id: m.guild_id });
      expect(((await client.rest.get(`/channels/${general.id}/messages/${m.id}`)) as Json).reactions).toBeUndefined();

      // A name that is no emoji is refused as Discord does.
      await expect(client.rest.put(`/channels/${general.id}/messages/${m.id}/reactions/thumbsup/@me`)).rejects.toMatchObject({ code: 10014 });
      expect(emu.violations()).toEqual([]);
      expect(deafRaw).toEqual([]);
    } finally {
      await client.destroy();
      await stop();
    }
  });
});

describe('DiscordEmulator DMs', () => {
  it('delivers DM messages to a client with Partials.Channel and lets the bot answer', async () => {
    const emu = await DiscordEmulator.start();
    const carol = emu.createUser({ username: 'carol' });
    const dm = emu.createDmChannel(carol.id);
    const client = new Client({ intents: INTENTS, partials: [Partials.Channel], rest: { api: emu.apiUrl } });
    try {
      await login(client, emu.token);
      const got = next<[Message]>(client, Events.MessageCreate, (m) => m.content === 'psst');
      emu.sendMessage({ channelId: dm.id, authorId: carol.id, content: 'psst' });
      const [m] = await got;
      expect(m.channel.isDMBased()).toBe(true);
      expect(m.guild).toBeNull();
      await m.reply('hi carol');
      expect(emu.channelMessages(dm.id).map((x) => x.content)).toEqual(['psst', 'hi carol']);
      expect(emu.channelMessages(dm.id)[1].message_reference?.message_id).toBe(m.id);
      expect(emu.violations()).toEqual([]);
    } finally {
      await client.destroy();
      await emu.stop();
    }
  });
});

describe('emulator CLI (separate process)', () => {
  it('starts seeded, floods a discord.js client on command, and stops', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../src/cli.ts'), '--guilds', '1', '--channels', '2', '--users', '3'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
    const nextLine = async (): Promise<Json> => JSON.parse((await lines.next()).value as string);
    try {
      const ready = await nextLine();
      expect(ready).toMatchObject({ ready: true, apiUrl: `http://127.0.0.1:${ready.port}/api` });
      expect(ready.channelIds).toHaveLength(2);
      expect(ready.userIds).toHaveLength(3);
      const client = new Client({ intents: INTENTS, rest: { api: ready.apiUrl } });
      let count = 0;
      client.on(Events.MessageCreate, () => count++);
      await login(client, ready.token);
      proc.stdin!.write(JSON.stringify({ cmd: 'flood', count: 3000, contentLength: 20 }) + '\n');
      const res = await nextLine();
      expect(res).toMatchObject({ cmd: 'flood', sent: 3000 });
      await until(() => count === 3000, 10000);
      client.user!.setPresence({ status: 'idle', activities: [] });
      await new Promise((r) => setTimeout(r, 100));
      proc.stdin!.write('{"cmd":"presences"}\n');
      expect((await nextLine()).presences.at(-1).status).toBe('idle');
      await client.destroy();
      proc.stdin!.write('{"cmd":"stop"}\n');
      expect(await nextLine()).toEqual({ cmd: 'stop', ok: true });
      await once(proc, 'exit');
    } finally {
      proc.kill();
    }
  }, 20000);
});
