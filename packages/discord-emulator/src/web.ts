/**
 * The local Discord in a browser: a page on 127.0.0.1 that shows the emulated world as it happens
 * (guilds, channels and threads, messages, the bot's presence, ephemeral replies, attachments) and
 * drives it as any of its people (messages, edits, deletes, slash commands with autocomplete,
 * buttons, new people and channels) through the handle's own actions — the same ones tests and the
 * sandbox's typed lines use. Changes reach the page over server-sent events.
 *
 * The page's script (web/main.ts) is bundled with esbuild when the view starts, in memory: nothing
 * is built into the repository, and the page loads nothing from the network (system fonts).
 *
 * An optional `panel` shows data beside the chat — the sandbox passes one that reads the bot's
 * database; the emulator itself knows nothing of it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { DiscordEmulator } from './emulator';
import type { EmuChannel, EmuMessage, EmuUser, WorldEvent } from './types';

/** One column of an editable table: free text, or one of `options`. */
export interface PanelField {
  name: string;
  options?: string[];
}

/** Rows to show (newest first, as the provider chooses); `edit` makes them editable by `key`. */
export interface PanelTable {
  name: string;
  note?: string;
  columns: string[];
  rows: Record<string, unknown>[];
  edit?: { key: string; fields: PanelField[] };
}

/** What the side panel shows: a provider of rows, and the edits it accepts. */
export interface DataPanel {
  title: string;
  tables(): Promise<PanelTable[]>;
  /** Applies an edit of row `key` in `table`; throws with a message the page shows when it refuses. */
  edit?(table: string, key: string, values: Record<string, string | boolean | null>): Promise<void>;
  /** Registers a listener called when the data may have changed (the page then reloads the panel). */
  onChange?(fn: () => void): void;
}

export interface WebViewOptions {
  /** 0 or omitted: a random free port. */
  port?: number;
  panel?: DataPanel;
  /** Shown in the page's title bar. */
  title?: string;
  log?: (line: string) => void;
}

export interface WebView {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const WEB_DIR = path.resolve(__dirname, '..', 'web');
const MAX_BODY = 64 * 1024;

class BadRequest extends Error {}

/** The page's script, bundled once per process (esbuild, in memory). */
let bundle: Promise<string> | null = null;
function script(): Promise<string> {
  bundle ??= import('esbuild').then(async (esbuild) => {
    const r = await esbuild.build({ entryPoints: [path.join(WEB_DIR, 'main.ts')], bundle: true, write: false, format: 'iife', target: 'es2022', charset: 'utf8', logLevel: 'silent' });
    return r.outputFiles[0].text;
  });
  return bundle;
}

/** A message as the page shows it: attachments served by the view, the viewer of an ephemeral reply named. */
export function viewMessage(m: EmuMessage): Record<string, unknown> {
  const meta = m.interaction_metadata as { user?: EmuUser; name?: string; type?: number } | undefined;
  return {
    id: m.id,
    channel_id: m.channel_id,
    author: viewUser(m.author),
    content: m.content,
    timestamp: m.timestamp,
    edited_timestamp: m.edited_timestamp,
    flags: m.flags,
    embeds: m.embeds,
    components: m.components,
    reactions: m.reactions ?? [],
    attachments: m.attachments.map((a) => ({ id: a.id, filename: a.filename, size: a.size, content_type: a.content_type, url: `/attachments/${a.id}/${encodeURIComponent(a.filename)}` })),
    reply_to: m.message_reference && m.type === 19 ? m.message_reference.message_id : null,
    interaction: meta?.user ? { user_id: meta.user.id, name: meta.name ?? null, type: meta.type } : null,
  };
}

function viewUser(u: EmuUser): Record<string, unknown> {
  return { id: u.id, username: u.username, global_name: u.global_name, bot: Boolean(u.bot) };
}

function viewChannel(c: EmuChannel): Record<string, unknown> {
  return { id: c.id, name: c.name, type: c.type, guild_id: c.guild_id ?? null, parent_id: c.parent_id ?? null, position: c.position ?? 0 };
}

function viewEvent(e: WorldEvent): Record<string, unknown> {
  switch (e.type) {
    case 'message_create':
    case 'message_update':
      return { type: e.type, message: viewMessage(e.message) };
    case 'channel_create':
      return { type: e.type, channel: viewChannel(e.channel) };
    case 'guild_create':
      return { type: e.type, guild: { id: e.guild.id, name: e.guild.name } };
    default:
      return e;
  }
}

const ADMIN = 1n << 3n;

export async function startWebView(emu: DiscordEmulator, o: WebViewOptions = {}): Promise<WebView> {
  const clients = new Set<ServerResponse>();
  const send = (event: object) => {
    const frame = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of clients) res.write(frame);
  };
  const unsubscribe = emu.onWorldEvent((e) => {
    send(viewEvent(e));
    if (e.type !== 'presence') panelChanged();
  });
  // The panel is reloaded by the page when told; changes come in bursts, so they are told at most every 200 ms.
  let panelTimer: NodeJS.Timeout | null = null;
  const panelChanged = () => {
    if (!o.panel || panelTimer) return;
    panelTimer = setTimeout(() => {
      panelTimer = null;
      send({ type: 'panel' });
    }, 200);
  };
  o.panel?.onChange?.(panelChanged);

  const world = () => {
    const w = emu.world();
    const messages: Record<string, unknown>[] = [];
    for (const c of w.channels) for (const m of emu.channelMessages(c.id)) messages.push(viewMessage(m));
    for (const m of emu.ephemeralMessages()) messages.push(viewMessage(m));
    return {
      title: o.title ?? 'Local Discord',
      bot: viewUser(emu.botUser),
      guilds: w.guilds.map((g) => ({
        id: g.id,
        name: g.name,
        members: [...g.members.values()].map((m) => {
          const roles = g.roles.filter((r) => m.roles.includes(r.id));
          const admin = g.owner_id === m.userId || roles.some((r) => (BigInt(r.permissions) & ADMIN) !== 0n);
          return { user_id: m.userId, nick: m.nick, admin };
        }),
      })),
      channels: w.channels.filter((c) => c.guild_id).map(viewChannel),
      users: w.users.map(viewUser),
      messages,
      presence: emu.presence(),
      panel: o.panel ? { title: o.panel.title } : null,
    };
  };

  const commandsOf = (guildId: string | null) => {
    const guild = guildId ? emu.registeredCommands(guildId) : [];
    const names = new Set(guild.map((c) => (c as { name: string }).name));
    return [...guild, ...emu.registeredCommands().filter((c) => !names.has((c as { name: string }).name))].filter((c) => ((c as { type?: number }).type ?? 1) === 1);
  };

  const person = (id: unknown): string => {
    const u = typeof id === 'string' ? emu.user(id) : undefined;
    if (!u || u.bot) throw new BadRequest('pick one of the people (not the bot)');
    return u.id;
  };
  const channel = (id: unknown): EmuChannel => {
    const c = typeof id === 'string' ? emu.channel(id) : undefined;
    if (!c) throw new BadRequest('no such channel');
    return c;
  };
  const text = (v: unknown, what: string, max = 2000): string => {
    if (typeof v !== 'string' || !v.trim()) throw new BadRequest(`${what} is empty`);
    if (v.length > max) throw new BadRequest(`${what} is over ${max} characters`);
    return v;
  };
  const ownMessage = (b: Record<string, unknown>) => {
    const c = channel(b.channelId);
    const m = typeof b.messageId === 'string' ? emu.message(c.id, b.messageId) : undefined;
    if (!m) throw new BadRequest('no such message');
    if (m.author.id !== person(b.userId)) throw new BadRequest('only your own messages can be edited or deleted');
    return { c, m };
  };
  const interaction = (b: Record<string, unknown>) => ({
    userId: person(b.userId),
    channelId: channel(b.channelId).id,
    subcommand: typeof b.subcommand === 'string' ? b.subcommand : undefined,
    subcommandGroup: typeof b.subcommandGroup === 'string' ? b.subcommandGroup : undefined,
  });
  const options = (v: unknown): Record<string, string | number | boolean> => {
    const out: Record<string, string | number | boolean> = {};
    for (const [k, x] of Object.entries((v ?? {}) as Record<string, unknown>)) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = x;
    return out;
  };

  type Handler = (body: Record<string, unknown>, url: URL) => Promise<unknown> | unknown;
  const api: Record<string, Handler> = {
    'GET /api/world': () => world(),
    'GET /api/commands': (_b, url) => commandsOf(url.searchParams.get('guildId')),
    'POST /api/messages': (b) => {
      const c = channel(b.channelId);
      return { id: emu.sendMessage({ channelId: c.id, authorId: person(b.userId), content: text(b.content, 'the message') }).id };
    },
    'POST /api/messages/edit': (b) => {
      const { c, m } = ownMessage(b);
      emu.editMessage(c.id, m.id, text(b.content, 'the message'));
      return { ok: true };
    },
    'POST /api/messages/delete': (b) => {
      const { c, m } = ownMessage(b);
      emu.deleteMessage(c.id, m.id);
      return { ok: true };
    },
    'POST /api/reactions': (b) => {
      // A person's reaction, toggled as a click on Discord does: added, or taken back if they had it.
      const c = channel(b.channelId);
      const o = { channelId: c.id, messageId: text(b.messageId, 'the message id', 20), userId: person(b.userId), emoji: text(b.emoji, 'the emoji', 100) };
      return { added: emu.addReaction(o) !== null || (emu.removeReaction(o), false) };
    },
    'POST /api/command': async (b) => {
      const r = await emu.runCommand(text(b.name, 'the command', 32), options(b.options), interaction(b));
      return { messageId: r.messageId, ephemeral: r.ephemeral, modal: r.modal ?? null };
    },
    'POST /api/autocomplete': async (b) => {
      const focused = b.focused as { name?: unknown; value?: unknown } | undefined;
      if (typeof focused?.name !== 'string') throw new BadRequest('no focused option');
      return emu.autocomplete(text(b.name, 'the command', 32), { name: focused.name, value: String(focused.value ?? '') }, { ...interaction(b), options: options(b.options) });
    },
    'POST /api/click': async (b) => {
      const c = channel(b.channelId);
      const values = Array.isArray(b.values) ? b.values.map(String) : undefined;
      const r = await emu.clickButton({ messageId: String(b.messageId), customId: text(b.customId, 'the custom id', 100), userId: person(b.userId), channelId: c.id, values });
      return { messageId: r.messageId, ephemeral: r.ephemeral };
    },
    'POST /api/people': (b) => {
      const username = text(b.username, 'the name', 32).trim().toLowerCase();
      if (!/^[a-z0-9_.]{2,32}$/.test(username)) throw new BadRequest('a username is 2-32 letters, digits, _ or .');
      if (emu.world().users.some((u) => u.username === username)) throw new BadRequest(`${username} is already here`);
      const u = emu.createUser({ username, globalName: typeof b.globalName === 'string' && b.globalName.trim() ? b.globalName.trim() : null });
      for (const g of emu.world().guilds) emu.addMember(g.id, u.id, { admin: b.admin === true });
      return { id: u.id };
    },
    'POST /api/channels': (b) => {
      const guildId = typeof b.guildId === 'string' && emu.guild(b.guildId) ? b.guildId : null;
      if (!guildId) throw new BadRequest('no such guild');
      const name = text(b.name, 'the name', 100).trim().toLowerCase().replace(/\s+/g, '-');
      const thread = b.type === 'thread';
      const parentId = thread ? channel(b.parentId).id : undefined;
      return { id: emu.createChannel({ guildId, name, type: thread ? 'thread' : 'text', parentId }).id };
    },
    'GET /api/panel': async () => (o.panel ? { title: o.panel.title, tables: await o.panel.tables() } : null),
    'POST /api/panel/edit': async (b) => {
      if (!o.panel?.edit) throw new BadRequest('nothing here is editable');
      const values: Record<string, string | boolean | null> = {};
      for (const [k, v] of Object.entries((b.values ?? {}) as Record<string, unknown>)) if (typeof v === 'string' || typeof v === 'boolean' || v === null) values[k] = v;
      await o.panel.edit(text(b.table, 'the table', 64), text(String(b.key ?? ''), 'the key', 100), values);
      panelChanged();
      return { ok: true };
    },
  };

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    const json = JSON.stringify(body ?? null);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), 'cache-control': 'no-store' });
    res.end(json);
  };
  const file = (res: ServerResponse, type: string, data: string | Buffer) => {
    res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(data), 'cache-control': 'no-store' });
    res.end(data);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    // Only this machine's own pages: another site's page in the same browser can neither reach the
    // view through a name of its own (DNS rebinding: the Host is checked) nor post to it (JSON
    // only, which a cross-site request cannot send without a preflight the view never answers).
    if (!/^(127\.0\.0\.1|localhost):\d+$/.test(req.headers.host ?? '')) return reply(res, 421, { error: 'the web view answers 127.0.0.1 only' });
    if (method === 'POST' && !(req.headers['content-type'] ?? '').startsWith('application/json')) return reply(res, 415, { error: 'POST needs content-type application/json' });
    if (method === 'GET' && url.pathname === '/') return file(res, 'text/html; charset=utf-8', readFileSync(path.join(WEB_DIR, 'index.html')));
    if (method === 'GET' && url.pathname === '/app.css') return file(res, 'text/css; charset=utf-8', readFileSync(path.join(WEB_DIR, 'style.css')));
    if (method === 'GET' && url.pathname === '/app.js') return file(res, 'text/javascript; charset=utf-8', await script());
    if (method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    const attachment = /^\/attachments\/(\d+)\//.exec(url.pathname);
    if (method === 'GET' && attachment) {
      const a = emu.attachment(attachment[1]);
      if (!a) return reply(res, 404, { error: 'no such attachment' });
      return file(res, a.contentType, a.data);
    }
    const handler = api[`${method} ${url.pathname}`];
    if (!handler) return reply(res, 404, { error: `no such route: ${method} ${url.pathname}` });
    try {
      let body: Record<string, unknown> = {};
      if (method === 'POST') {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const c of req) {
          size += (c as Buffer).length;
          if (size > MAX_BODY) throw new BadRequest('the request is too large');
          chunks.push(c as Buffer);
        }
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          throw new BadRequest('the request is not JSON');
        }
        if (!body || typeof body !== 'object') throw new BadRequest('the request is not a JSON object');
      }
      return reply(res, 200, await handler(body, url));
    } catch (e) {
      // What the emulator refuses (an unknown option, an interaction the bot did not answer) is told to the page as it is.
      const message = (e as Error).message.replace(/^emulator: /, '');
      if (!(e instanceof BadRequest)) o.log?.(`web view: ${method} ${url.pathname}: ${message}`);
      return reply(res, e instanceof BadRequest ? 400 : 422, { error: message });
    }
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  await script();
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const ping = setInterval(() => {
    for (const res of clients) res.write(': ping\n\n');
  }, 15_000);
  ping.unref();
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    stop: () => {
      unsubscribe();
      clearInterval(ping);
      if (panelTimer) clearTimeout(panelTimer);
      for (const res of clients) res.end();
      clients.clear();
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
