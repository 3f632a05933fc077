/**
 * The web view's routes (src/web.ts) without a browser: the world as the page reads it, the live
 * events it gets, the actions it calls and what they refuse, the panel provider, the CLI's --web.
 * The page itself is driven in a real browser by the repository's test/web.test.ts.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Events, GatewayIntentBits, MessageFlags, SlashCommandBuilder } from 'discord.js';
import { DiscordEmulator, startWebView, type DataPanel, type EmuChannel, type EmuGuild, type EmuUser, type WebView, type WorldEvent } from '../src';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('the web view', () => {
  let emu: DiscordEmulator;
  let web: WebView;
  let guild: EmuGuild;
  let general: EmuChannel;
  let ada: EmuUser;
  let client: Client;
  const edits: { table: string; key: string; values: object }[] = [];
  const panel: DataPanel = {
    title: 'Rows',
    tables: async () => [{ name: 'things', columns: ['id', 'name'], rows: [{ id: '1', name: 'one' }], edit: { key: 'id', fields: [{ name: 'name' }] } }],
    edit: async (table, key, values) => {
      if (values.name === 'bad') throw new Error('name "bad" refused');
      edits.push({ table, key, values });
    },
  };

  const post = async (route: string, body: object): Promise<{ status: number; body: Json }> => {
    const res = await fetch(new URL(route, web.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const get = async (route: string): Promise<Json> => (await fetch(new URL(route, web.url))).json();

  beforeAll(async () => {
    emu = await DiscordEmulator.start();
    guild = emu.createGuild({ name: 'Web' });
    general = emu.createChannel({ guildId: guild.id, name: 'general' });
    ada = emu.createUser({ username: 'ada' });
    emu.addMember(guild.id, ada.id);
    web = await startWebView(emu, { panel, title: 'Test view' });
    // A bot that answers /echo ephemerally and registers it in the guild.
    client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent], rest: { api: emu.apiUrl } });
    client.on(Events.InteractionCreate, (i) => {
      if (i.isChatInputCommand()) void i.reply({ content: `echo: ${i.options.getString('text')}`, flags: MessageFlags.Ephemeral });
    });
    const ready = new Promise((r) => client.once(Events.ClientReady, r));
    await client.login(emu.token);
    await ready;
    await client.application!.commands.set(
      [
        new SlashCommandBuilder()
          .setName('echo')
          .setDescription('Echoes')
          .addStringOption((o) => o.setName('text').setDescription('What').setRequired(true))
          .toJSON(),
      ],
      guild.id,
    );
  });
  afterAll(async () => {
    await client.destroy();
    await web.stop();
    await emu.stop();
  });

  it('serves the page and its bundled script from 127.0.0.1', async () => {
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const html = await (await fetch(web.url)).text();
    expect(html).toContain('<script src="/app.js"></script>');
    const js = await fetch(new URL('/app.js', web.url));
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const text = await js.text();
    expect(text).toContain('/api/world');
    // Nothing is loaded from elsewhere.
    expect(`${html}\n${text}\n${await (await fetch(new URL('/app.css', web.url))).text()}`).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[\w.-]+\.[a-z]{2,}\/[\w/.-]*\.(js|css|woff2?)/);
  });

  it('the world, live events over SSE, and the actions the page calls', async () => {
    const events: Json[] = [];
    const controller = new AbortController();
    const stream = await fetch(new URL('/events', web.url), { signal: controller.signal });
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buf += value;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (frame.startsWith('data: ')) events.push(JSON.parse(frame.slice(6)));
        }
      }
    })();
    const waitFor = async (pred: (e: Json) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const e = events.find(pred);
        if (e) return e;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no such event among ${JSON.stringify(events.map((e) => e.type))}`);
    };
    try {
      const world = await get('/api/world');
      expect(world.title).toBe('Test view');
      expect(world.panel).toEqual({ title: 'Rows' });
      expect(world.channels.map((c: Json) => c.name)).toContain('general');
      expect(world.guilds[0].members.map((m: Json) => m.user_id)).toContain(ada.id);

      // A message, through the handle's own sendMessage: stored, dispatched, and told to the page.
      const sent = await post('/api/messages', { channelId: general.id, userId: ada.id, content: 'from the page' });
      expect(sent.status).toBe(200);
      expect(emu.channelMessages(general.id).map((m) => m.content)).toContain('from the page');
      expect((await waitFor((e) => e.type === 'message_create' && e.message.content === 'from the page')).message.author.username).toBe('ada');
      expect((await post('/api/messages/edit', { channelId: general.id, messageId: sent.body.id, userId: ada.id, content: 'edited' })).status).toBe(200);
      expect(emu.message(general.id, sent.body.id)?.content).toBe('edited');
      await waitFor((e) => e.type === 'message_update' && e.message.content === 'edited');

      // The registered command, run as ada: its ephemeral reply is told to the page (never to the bot), with who may see it.
      const commands = await get(`/api/commands?guildId=${guild.id}`);
      expect(commands.map((c: Json) => c.name)).toEqual(['echo']);
      expect((await post('/api/command', { name: 'echo', options: { text: 'hi' }, userId: ada.id, channelId: general.id })).status).toBe(200);
      const reply = await waitFor((e) => e.type === 'message_create' && e.message.content === 'echo: hi');
      expect(reply.message.flags & MessageFlags.Ephemeral).toBeTruthy();
      expect(reply.message.interaction).toMatchObject({ user_id: ada.id, name: 'echo' });
      expect((await get('/api/world')).messages.some((m: Json) => m.content === 'echo: hi')).toBe(true);

      // A person and a channel: made by the handle, announced to the bot, read again by the page.
      const dora = await post('/api/people', { username: 'Dora', admin: true });
      expect(dora.status).toBe(200);
      expect(emu.user(dora.body.id)?.username).toBe('dora');
      expect(emu.guild(guild.id)?.members.has(dora.body.id)).toBe(true);
      const thread = await post('/api/channels', { guildId: guild.id, name: 'Big Ideas', type: 'thread', parentId: general.id });
      expect(emu.channel(thread.body.id)).toMatchObject({ name: 'big-ideas', type: 11, parent_id: general.id });
      await waitFor((e) => e.type === 'channel_create' && e.channel.id === thread.body.id);

      expect(await post('/api/messages/delete', { channelId: general.id, messageId: sent.body.id, userId: ada.id })).toMatchObject({ status: 200 });
      await waitFor((e) => e.type === 'message_delete' && e.ids.includes(sent.body.id));
    } finally {
      controller.abort();
    }
  });

  it('refuses what Discord would not let a person do, with a clear error, and changes nothing', async () => {
    const count = emu.channelMessages(general.id).length;
    expect(await post('/api/messages', { channelId: general.id, userId: emu.botUser.id, content: 'as the bot' })).toEqual({ status: 400, body: { error: 'pick one of the people (not the bot)' } });
    expect(await post('/api/messages', { channelId: general.id, userId: ada.id, content: '   ' })).toEqual({ status: 400, body: { error: 'the message is empty' } });
    expect(await post('/api/messages', { channelId: 'nope', userId: ada.id, content: 'hi' })).toEqual({ status: 400, body: { error: 'no such channel' } });
    const bob = emu.createUser({ username: 'bob' });
    emu.addMember(guild.id, bob.id);
    const theirs = emu.sendMessage({ channelId: general.id, authorId: bob.id, content: "bob's" });
    expect(await post('/api/messages/edit', { channelId: general.id, messageId: theirs.id, userId: ada.id, content: 'mine now' })).toEqual({ status: 400, body: { error: 'only your own messages can be edited or deleted' } });
    expect(await post('/api/people', { username: 'ada' })).toEqual({ status: 400, body: { error: 'ada is already here' } });
    // What the emulator itself refuses (an unknown option) is told as it is.
    const bad = await post('/api/command', { name: 'echo', options: { nope: 'x' }, userId: ada.id, channelId: general.id });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/nope/);
    expect(emu.channelMessages(general.id).length).toBe(count + 1);
    expect(emu.violations()).toEqual([]);
  });

  it('answers only its own pages: JSON posts, a 127.0.0.1 host', async () => {
    const form = await fetch(new URL('/api/messages', web.url), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ channelId: general.id, userId: ada.id, content: 'cross-site' }) });
    expect(form.status).toBe(415);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const r = request(web.url, { headers: { host: 'evil.example:80' } }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      r.on('error', reject);
      r.end();
    });
    expect(status).toBe(421);
    expect(emu.channelMessages(general.id).some((m) => m.content === 'cross-site')).toBe(false);
  });

  it('the panel: rows from the provider, edits handed to it, its refusals shown', async () => {
    expect(await get('/api/panel')).toMatchObject({ title: 'Rows', tables: [{ name: 'things', rows: [{ id: '1', name: 'one' }] }] });
    expect((await post('/api/panel/edit', { table: 'things', key: '1', values: { name: 'uno' } })).status).toBe(200);
    expect(edits).toEqual([{ table: 'things', key: '1', values: { name: 'uno' } }]);
    expect(await post('/api/panel/edit', { table: 'things', key: '1', values: { name: 'bad' } })).toEqual({ status: 422, body: { error: 'name "bad" refused' } });
    expect(edits).toHaveLength(1);
  });

  it('onWorldEvent tells presences and unsubscribes', async () => {
    const seen: WorldEvent['type'][] = [];
    const off = emu.onWorldEvent((e) => seen.push(e.type));
    client.user!.setPresence({ status: 'idle', activities: [{ name: 'the web' }] });
    await emu.waitForPresence((p) => p.status === 'idle');
    off();
    emu.sendMessage({ channelId: general.id, authorId: ada.id, content: 'after' });
    expect(seen).toEqual(['presence']);
    expect((await get('/api/world')).presence).toMatchObject({ status: 'idle' });
  });
});

describe('the CLI with --web', () => {
  it('prints the web view in its ready line; the view has no panel', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../src/cli.ts'), '--users', '2', '--web'], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
      const ready = JSON.parse((await lines.next()).value as string);
      expect(ready.webUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const world = (await (await fetch(new URL('/api/world', ready.webUrl))).json()) as Json;
      expect(world.panel).toBeNull();
      expect(world.users.map((u: Json) => u.username)).toEqual(expect.arrayContaining(['user1', 'user2']));
      expect(await (await fetch(new URL('/api/panel', ready.webUrl))).json()).toBeNull();
    } finally {
      proc.stdin!.end();
      await new Promise((r) => proc.on('exit', r));
    }
  }, 30_000);
});
