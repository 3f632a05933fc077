/**
 * The web view's page (bundled by src/web.ts with esbuild): the world from GET /api/world, kept
 * current by the server-sent events of /events, drawn with plain DOM calls; everything the page
 * does goes through the view's POST routes, which call the emulator's own actions.
 */

interface User {
  id: string;
  username: string;
  global_name: string | null;
  bot: boolean;
}
interface Channel {
  id: string;
  name: string | null;
  type: number;
  guild_id: string | null;
  parent_id: string | null;
  position: number;
}
interface Guild {
  id: string;
  name: string;
  members: { user_id: string; nick: string | null; admin: boolean }[];
}
interface Component {
  type: number;
  custom_id?: string;
  label?: string;
  style?: number;
  disabled?: boolean;
  url?: string;
  placeholder?: string;
  options?: { label: string; value: string }[];
  components?: Component[];
}
interface Embed {
  title?: string;
  description?: string;
  color?: number;
  fields?: { name: string; value: string; inline?: boolean }[];
  image?: { url?: string };
  footer?: { text?: string };
}
interface Message {
  id: string;
  channel_id: string;
  author: User;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  flags: number;
  embeds: Embed[];
  components: Component[];
  reactions: { emoji?: { id?: string | null; name?: string }; count?: number }[];
  attachments: { id: string; filename: string; size: number; content_type?: string; url: string }[];
  reply_to: string | null;
  interaction: { user_id: string; name: string | null; type?: number } | null;
}
interface Presence {
  status: string;
  activities: { name: string; type: number; state?: string | null }[];
}
interface World {
  title: string;
  bot: User;
  guilds: Guild[];
  channels: Channel[];
  users: User[];
  messages: Message[];
  presence: Presence | null;
  panel: { title: string } | null;
}
interface CommandOption {
  type: number;
  name: string;
  description?: string;
  required?: boolean;
  autocomplete?: boolean;
  choices?: { name: string; value: string | number }[];
  options?: CommandOption[];
  min_value?: number;
  max_value?: number;
}
interface Command {
  name: string;
  description: string;
  options?: CommandOption[];
}
interface PanelTable {
  name: string;
  note?: string;
  columns: string[];
  rows: Record<string, unknown>[];
  edit?: { key: string; fields: { name: string; options?: string[] }[] };
}

const EPHEMERAL = 1 << 6;
const LOADING = 1 << 7;
const THREAD_TYPES = [10, 11, 12];
const OPTION = { SUB: 1, GROUP: 2, STRING: 3, INTEGER: 4, BOOLEAN: 5, USER: 6, CHANNEL: 7, ROLE: 8, MENTIONABLE: 9, NUMBER: 10, ATTACHMENT: 11 };

let world: World;
const messages = new Map<string, Message>();
let me = '';
let current = '';
let editing: { id: string; text: string } | null = null;
let commands: Command[] = [];
let form: { command: Command; path: string[] } | null = null;
/** Unsaved edits of the panel's rows, by `table:key`. */
const drafts = new Map<string, Record<string, string>>();

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** `h('div', { class: 'x', onclick }, child, 'text')`. */
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, unknown> = {}, ...children: (Node | string | null | false | undefined)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'html') el.innerHTML = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

async function call<T = unknown>(method: 'GET' | 'POST', route: string, body?: object): Promise<T> {
  const res = await fetch(route, { method, headers: body ? { 'content-type': 'application/json' } : undefined, body: body ? JSON.stringify(body) : undefined });
  const data = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(data?.error ?? `${res.status}`);
  return data;
}

function showError(e: unknown): void {
  const el = $('error');
  el.textContent = e instanceof Error ? e.message : String(e);
  el.hidden = false;
  setTimeout(() => (el.hidden = true), 6000);
}

/** Runs an action; what fails is shown above the composer. */
function act(fn: () => Promise<unknown>): void {
  $('error').hidden = true;
  fn().catch(showError);
}

// ---- names and markup ----

const user = (id: string) => world.users.find((u) => u.id === id);
const byName = (a: User, b: User) => a.username.localeCompare(b.username);
const displayName = (u: User | undefined) => (u ? (u.global_name ?? u.username) : 'unknown-user');
const channelById = (id: string) => world.channels.find((c) => c.id === id);
const guildOf = (channelId: string) => world.guilds.find((g) => g.id === channelById(channelId)?.guild_id) ?? world.guilds[0];

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function formatTime(seconds: number, style: string): string {
  const at = new Date(seconds * 1000);
  if (style === 'R') {
    const diff = Math.round((at.getTime() - Date.now()) / 1000);
    if (Math.abs(diff) < 45) return diff > 0 ? 'in a few seconds' : 'a few seconds ago';
    const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
    for (const [unit, size] of [
      ['year', 31_536_000],
      ['month', 2_592_000],
      ['day', 86_400],
      ['hour', 3_600],
      ['minute', 60],
    ] as const) {
      if (Math.abs(diff) >= size) return rtf.format(Math.trunc(diff / size), unit);
    }
    return rtf.format(diff, 'second');
  }
  const styles: Record<string, Intl.DateTimeFormatOptions> = { t: { timeStyle: 'short' }, T: { timeStyle: 'medium' }, d: { dateStyle: 'short' }, D: { dateStyle: 'long' }, F: { dateStyle: 'full', timeStyle: 'short' } };
  return new Intl.DateTimeFormat(undefined, styles[style] ?? { dateStyle: 'long', timeStyle: 'short' }).format(at);
}

/** Discord's markup as HTML: code blocks, inline code, bold, italics, quotes, mentions, timestamps. */
function markup(text: string): string {
  const blocks: string[] = [];
  let s = escapeHtml(text).replace(/```(?:\w+\n)?([\s\S]*?)```/g, (_m, code: string) => `\uE000${blocks.push(`<pre>${code}</pre>`) - 1}\uE000`);
  s = s
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*])\*([^*\n]+)\*/g, '$1<em>$2</em>')
    .replace(/__([^_]+)__/g, '<u>$1</u>')
    .replace(/^&gt; (.*)$/gm, '<blockquote>$1</blockquote>')
    .replace(/&lt;t:(-?\d+)(?::([tTdDfFR]))?&gt;/g, (_m, n: string, style?: string) => `<time>${escapeHtml(formatTime(Number(n), style ?? 'f'))}</time>`)
    .replace(/&lt;@!?(\d+)&gt;/g, (_m, id: string) => `<span class="mention">@${escapeHtml(displayName(user(id)))}</span>`)
    .replace(/&lt;#(\d+)&gt;/g, (_m, id: string) => `<span class="mention">#${escapeHtml(channelById(id)?.name ?? 'unknown-channel')}</span>`)
    .replace(/&lt;\/([\w -]+):\d+&gt;/g, '<span class="mention">/$1</span>')
    .replace(/&lt;a?:(\w+):\d+&gt;/g, ':$1:')
    .replace(/\n/g, '<br>');
  return s.replace(/\uE000(\d+)\uE000/g, (_m, i: string) => blocks[Number(i)]);
}

// ---- presence ----

const STATUS_TEXT: Record<string, string> = { online: 'Online', idle: 'Idle', dnd: 'Do Not Disturb', invisible: 'Invisible', offline: 'Offline' };
const ACTIVITY_VERB = ['Playing', 'Streaming', 'Listening to', 'Watching', '', 'Competing in'];

function activityText(p: Presence | null): string {
  const a = p?.activities[0];
  if (!a) return '';
  if (a.type === 4) return a.state ?? a.name;
  return `${ACTIVITY_VERB[a.type] ?? ''} ${a.name}`.trim();
}

// ---- drawing ----

function render(): void {
  renderChannels();
  renderPeople();
  renderMessages();
  renderMembers();
}

function renderChannels(): void {
  const nav = $('channels');
  nav.replaceChildren();
  for (const g of world.guilds) {
    nav.append(h('h2', { class: 'guild' }, g.name));
    const list = h('ul', { class: 'channel-list' });
    const inGuild = world.channels.filter((c) => c.guild_id === g.id).sort((a, b) => a.position - b.position);
    const item = (c: Channel, thread: boolean) =>
      h('li', { class: `channel${thread ? ' thread' : ''}${c.id === current ? ' active' : ''}`, 'data-channel': c.name ?? c.id, onclick: () => select(c.id) }, h('span', { class: 'hash' }, thread ? '↳' : '#'), c.name ?? c.id);
    for (const c of inGuild.filter((x) => !THREAD_TYPES.includes(x.type))) {
      list.append(item(c, false));
      for (const t of inGuild.filter((x) => THREAD_TYPES.includes(x.type) && x.parent_id === c.id)) list.append(item(t, true));
    }
    nav.append(list);
    const name = h('input', { name: 'name', placeholder: 'new-channel', 'aria-label': 'Channel name', required: true });
    const kind = h('select', { name: 'type', 'aria-label': 'Kind' }, h('option', { value: 'text' }, 'channel'), h('option', { value: 'thread' }, 'thread here'));
    nav.append(
      h(
        'form',
        {
          class: 'add add-channel',
          onsubmit: (e: Event) => {
            e.preventDefault();
            act(async () => {
              const r = await call<{ id: string }>('POST', '/api/channels', { guildId: g.id, name: name.value, type: kind.value, parentId: current });
              name.value = '';
              current = r.id;
            });
          },
        },
        name,
        kind,
        h('button', { type: 'submit' }, '+ channel'),
      ),
    );
  }
}

function renderPeople(): void {
  const sel = $<HTMLSelectElement>('person');
  const people = world.users.filter((u) => !u.bot && world.guilds.some((g) => g.members.some((m) => m.user_id === u.id))).sort(byName);
  if (!people.some((u) => u.id === me)) me = people[0]?.id ?? '';
  sel.replaceChildren(...people.map((u) => h('option', { value: u.id, selected: u.id === me }, u.username)));
}

function renderMessages(): void {
  const box = $('messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const c = channelById(current);
  $('chat-header').replaceChildren(h('span', { class: 'hash' }, c && THREAD_TYPES.includes(c.type) ? '↳' : '#'), h('strong', {}, c?.name ?? ''));
  const list = [...messages.values()].filter((m) => m.channel_id === current && (!(m.flags & EPHEMERAL) || m.interaction?.user_id === me)).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  box.replaceChildren(...list.map(renderMessage));
  if (atBottom) box.scrollTop = box.scrollHeight;
}

function renderMessage(m: Message): HTMLElement {
  const ephemeral = Boolean(m.flags & EPHEMERAL);
  const mine = m.author.id === me && !m.author.bot;
  const el = h('article', { class: `message${ephemeral ? ' ephemeral' : ''}${m.author.bot ? ' from-bot' : ''}`, 'data-id': m.id, 'data-author': m.author.username });
  if (m.interaction?.name) el.append(h('div', { class: 'context' }, `${displayName(user(m.interaction.user_id))} used `, h('span', { class: 'mention' }, `/${m.interaction.name}`)));
  else if (m.reply_to) {
    const ref = messages.get(m.reply_to);
    el.append(h('div', { class: 'context' }, ref ? `↪ ${displayName(ref.author)}: ${ref.content.slice(0, 80)}` : '↪ a message that was deleted'));
  }
  const head = h(
    'div',
    { class: 'head' },
    h('span', { class: 'author' }, displayName(m.author)),
    m.author.bot && h('span', { class: 'tag' }, 'APP'),
    h('time', { datetime: m.timestamp }, new Date(m.timestamp).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
  );
  // A reaction is toggled as on Discord: the chip, or the React button's 👍, adds yours or takes it back.
  const react = (emoji: string) => act(() => call('POST', '/api/reactions', { channelId: m.channel_id, messageId: m.id, userId: me, emoji }));
  if (editing?.id !== m.id && !ephemeral) {
    head.append(
      h(
        'span',
        { class: 'actions' },
        h('button', { class: 'react', type: 'button', title: 'React with 👍', onclick: () => react('👍') }, 'React'),
        mine && h('button', { class: 'edit', type: 'button', onclick: () => ((editing = { id: m.id, text: m.content }), renderMessages()) }, 'Edit'),
        mine && h('button', { class: 'delete', type: 'button', onclick: () => act(() => call('POST', '/api/messages/delete', { channelId: m.channel_id, messageId: m.id, userId: me })) }, 'Delete'),
      ),
    );
  }
  el.append(head);
  if (editing?.id === m.id) {
    const input = h('input', { class: 'edit-input', value: editing.text, 'aria-label': 'Edit message' });
    input.addEventListener('input', () => {
      if (editing) editing.text = input.value;
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        editing = null;
        renderMessages();
      }
      if (e.key !== 'Enter') return;
      const content = input.value;
      editing = null;
      act(() => call('POST', '/api/messages/edit', { channelId: m.channel_id, messageId: m.id, userId: me, content }));
    });
    el.append(input, h('div', { class: 'hint' }, 'Enter to save · Escape to cancel'));
    queueMicrotask(() => {
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    });
  } else if (m.flags & LOADING) el.append(h('div', { class: 'content thinking' }, `${displayName(m.author)} is thinking…`));
  else if (m.content) el.append(h('div', { class: 'content', html: markup(m.content) + (m.edited_timestamp ? ' <span class="edited">(edited)</span>' : '') }));
  for (const a of m.attachments) {
    el.append(
      a.content_type?.startsWith('image/')
        ? h('a', { class: 'attachment', href: a.url, target: '_blank' }, h('img', { src: a.url, alt: a.filename }))
        : h('a', { class: 'attachment file', href: a.url, download: a.filename }, `${a.filename} (${a.size} bytes)`),
    );
  }
  for (const e of m.embeds) el.append(renderEmbed(e, m));
  for (const row of m.components) el.append(renderRow(row, m));
  if (m.reactions.length) {
    const chip = (r: (typeof m.reactions)[number]) => {
      const key = r.emoji?.id ? `${r.emoji.name}:${r.emoji.id}` : (r.emoji?.name ?? '?');
      return h('button', { class: 'reaction', type: 'button', 'data-emoji': key, onclick: ephemeral ? undefined : () => react(key) }, `${r.emoji?.name ?? '?'} ${r.count ?? 1}`);
    };
    el.append(h('div', { class: 'reactions' }, ...m.reactions.map(chip)));
  }
  if (ephemeral) el.append(h('div', { class: 'only-you' }, 'Only you can see this'));
  return el;
}

function renderEmbed(e: Embed, m: Message): HTMLElement {
  const image = e.image?.url?.startsWith('attachment://') ? m.attachments.find((a) => a.filename === e.image!.url!.slice(13))?.url : e.image?.url;
  return h(
    'div',
    { class: 'embed', style: `border-color: #${(e.color ?? 0x4e5058).toString(16).padStart(6, '0')}` },
    e.title && h('div', { class: 'embed-title', html: markup(e.title) }),
    e.description && h('div', { class: 'embed-description', html: markup(e.description) }),
    ...(e.fields ?? []).map((f) => h('div', { class: `embed-field${f.inline ? ' inline' : ''}` }, h('div', { class: 'embed-field-name', html: markup(f.name) }), h('div', { html: markup(f.value) }))),
    image && h('img', { src: image, alt: '' }),
    e.footer?.text && h('div', { class: 'embed-footer' }, e.footer.text),
  );
}

const BUTTON_STYLE = ['', 'primary', 'secondary', 'success', 'danger', 'link', 'premium'];

function renderRow(row: Component, m: Message): HTMLElement {
  const click = (customId: string, values?: string[]) => act(() => call('POST', '/api/click', { channelId: m.channel_id, messageId: m.id, customId, userId: me, values }));
  return h(
    'div',
    { class: 'components' },
    ...(row.components ?? []).map((c) => {
      if (c.type === 2 && c.style === 5) return h('a', { class: 'button link', href: c.url, target: '_blank' }, c.label ?? c.url ?? '');
      if (c.type === 2) return h('button', { type: 'button', class: `button ${BUTTON_STYLE[c.style ?? 2]}`, disabled: c.disabled, onclick: () => click(c.custom_id!) }, c.label ?? c.custom_id ?? '');
      if (c.type === 3)
        return h(
          'select',
          { class: 'select-menu', disabled: c.disabled, onchange: (e: Event) => click(c.custom_id!, [(e.target as HTMLSelectElement).value]) },
          h('option', { value: '' }, c.placeholder ?? 'Make a selection'),
          ...(c.options ?? []).map((o) => h('option', { value: o.value }, o.label)),
        );
      return h('span', { class: 'unsupported' }, `(component type ${c.type})`);
    }),
  );
}

function renderMembers(): void {
  const aside = $('members');
  const p = world.presence;
  const status = p?.status ?? 'online';
  const g = guildOf(current);
  const admin = (id: string) => g?.members.find((m) => m.user_id === id)?.admin;
  const people = world.users.filter((u) => !u.bot && g?.members.some((m) => m.user_id === u.id)).sort(byName);
  const name = h('input', { name: 'username', placeholder: 'name', 'aria-label': 'New person', required: true });
  const isAdmin = h('input', { type: 'checkbox', name: 'admin' });
  aside.replaceChildren(
    h('h3', {}, 'App'),
    h(
      'div',
      { class: 'member bot presence', 'data-status': status },
      h('span', { class: `avatar status-${status}` }, displayName(world.bot).slice(0, 1)),
      h('div', {}, h('div', { class: 'name' }, displayName(world.bot), h('span', { class: 'tag' }, 'APP')), h('div', { class: 'status-text' }, STATUS_TEXT[status] ?? status), h('div', { class: 'activity' }, activityText(p))),
    ),
    h('h3', {}, `Members — ${people.length}`),
    ...people.map((u) =>
      h(
        'div',
        { class: `member${u.id === me ? ' me' : ''}`, onclick: () => ((me = u.id), render()) },
        h('span', { class: 'avatar' }, displayName(u).slice(0, 1)),
        h('div', {}, h('div', { class: 'name' }, displayName(u)), h('div', { class: 'status-text' }, `${u.username}${admin(u.id) ? ' · admin' : ''}`)),
      ),
    ),
    h(
      'form',
      {
        class: 'add add-person',
        onsubmit: (e: Event) => {
          e.preventDefault();
          act(async () => {
            const r = await call<{ id: string }>('POST', '/api/people', { username: name.value, admin: isAdmin.checked });
            me = r.id;
          });
        },
      },
      name,
      h('label', {}, isAdmin, 'admin'),
      h('button', { type: 'submit' }, '+ person'),
    ),
  );
}

// ---- the database panel ----

let panelReads = 0;
async function renderPanel(): Promise<void> {
  if (!world.panel) return;
  const read = ++panelReads;
  const data = await call<{ title: string; tables: PanelTable[] } | null>('GET', '/api/panel');
  // Reads can overtake each other: only the latest is drawn.
  if (read !== panelReads) return;
  const aside = $('panel');
  aside.hidden = false;
  if (!data) return;
  aside.replaceChildren(h('h2', {}, data.title), ...data.tables.map(renderTable));
}

/** A value as a cell shows it: ∅ for null, a UUID by its last 8 digits (the whole in the tooltip), long text cut. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '∅';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) return `…${s.slice(-8)}`;
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

function renderTable(t: PanelTable): HTMLElement {
  const edit = t.edit;
  const head = h('tr', {}, ...t.columns.map((c) => h('th', {}, c)), edit && h('th', {}));
  const rows = t.rows.map((r) => {
    if (!edit) return h('tr', {}, ...t.columns.map((c) => h('td', { title: r[c] === null || r[c] === undefined ? '' : String(r[c]) }, cell(r[c]))));
    const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
    const draftKey = `${t.name}:${String(r[edit.key])}`;
    const draft = drafts.get(draftKey);
    const tr = h('tr', { class: `editable${draft ? ' draft' : ''}`, 'data-key': String(r[edit.key]) });
    for (const c of t.columns) {
      const f = edit.fields.find((x) => x.name === c);
      if (!f) {
        tr.append(h('td', {}, cell(r[c])));
        continue;
      }
      const value = draft?.[c] ?? (r[c] === null || r[c] === undefined ? '' : String(r[c]));
      const input = f.options
        ? h('select', { name: c, 'aria-label': c }, ...f.options.map((o) => h('option', { value: o, selected: o === value }, o)))
        : h('input', { name: c, value, 'aria-label': c, size: Math.max(6, Math.min(24, value.length + 2)) });
      inputs.set(c, input);
      // What is typed and not saved yet survives the panel being redrawn with new rows.
      const keep = () => {
        drafts.set(draftKey, { ...drafts.get(draftKey), [c]: input.value });
        tr.classList.add('draft');
      };
      input.addEventListener('input', keep);
      input.addEventListener('change', keep);
      tr.append(h('td', {}, input));
    }
    const save = () =>
      act(async () => {
        const values: Record<string, string | null> = {};
        for (const [k, i] of inputs) values[k] = i.value === '' ? null : i.value;
        await call('POST', '/api/panel/edit', { table: t.name, key: r[edit.key], values });
        drafts.delete(draftKey);
        await renderPanel();
      });
    tr.append(h('td', {}, h('button', { type: 'button', class: 'save', onclick: save }, 'Save')));
    return tr;
  });
  return h('section', { class: 'table', 'data-table': t.name }, h('h3', {}, t.name), t.note && h('p', { class: 'note' }, t.note), h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, head), h('tbody', {}, ...rows))));
}

// ---- slash commands ----

async function loadCommands(): Promise<void> {
  commands = await call<Command[]>('GET', `/api/commands?guildId=${guildOf(current)?.id ?? ''}`);
}

function suggest(): void {
  const text = $<HTMLInputElement>('composer').value;
  const list = $('suggestions');
  const m = /^\/(\S*)$/.exec(text);
  if (!m) {
    list.hidden = true;
    return;
  }
  const matches = commands.filter((c) => c.name.startsWith(m[1].toLowerCase()));
  list.replaceChildren(...matches.map((c) => h('li', { 'data-command': c.name, onclick: () => openForm(c) }, h('strong', {}, `/${c.name}`), ` ${c.description}`)));
  list.hidden = matches.length === 0;
}

/** The options of the command's chosen subcommand (group) path. */
function leafOptions(c: Command, path: string[]): CommandOption[] {
  let opts = c.options ?? [];
  for (const p of path) opts = opts.find((o) => o.name === p)?.options ?? [];
  return opts;
}

function openForm(c: Command): void {
  form = { command: c, path: [] };
  $<HTMLInputElement>('composer').value = '';
  $('suggestions').hidden = true;
  drawForm();
}

function closeForm(): void {
  form = null;
  const f = $('command-form');
  f.hidden = true;
  f.replaceChildren();
}

function drawForm(): void {
  if (!form) return closeForm();
  const { command, path } = form;
  const el = $<HTMLFormElement>('command-form');
  el.hidden = false;
  el.dataset.command = command.name;
  const parts: HTMLElement[] = [h('strong', {}, `/${command.name}`)];
  // Subcommand groups, then subcommands: one choice per level.
  let level = command.options ?? [];
  for (let i = 0; ; i++) {
    const subs = level.filter((o) => o.type === OPTION.SUB || o.type === OPTION.GROUP);
    if (!subs.length) break;
    if (!path[i] || !subs.some((s) => s.name === path[i])) path.splice(i, path.length - i, subs[0].name);
    const depth = i;
    parts.push(
      h(
        'select',
        { class: 'subcommand', 'aria-label': 'subcommand', onchange: (e: Event) => (path.splice(depth, path.length - depth, (e.target as HTMLSelectElement).value), drawForm()) },
        ...subs.map((s) => h('option', { value: s.name, selected: s.name === path[i] }, s.name)),
      ),
    );
    level = subs.find((s) => s.name === path[i])?.options ?? [];
  }
  const fields = leafOptions(command, path).filter((o) => o.type !== OPTION.SUB && o.type !== OPTION.GROUP);
  for (const o of fields) parts.push(h('label', { class: 'option', title: o.description }, h('span', {}, `${o.name}${o.required ? '*' : ''}`), optionInput(o)));
  parts.push(h('button', { type: 'submit', class: 'run' }, 'Run'), h('button', { type: 'button', class: 'cancel', onclick: closeForm }, 'Cancel'));
  el.replaceChildren(...parts);
  el.onkeydown = (e) => {
    if (e.key === 'Escape') closeForm();
  };
  el.onsubmit = (e) => {
    e.preventDefault();
    const options = formValues(fields);
    const { command: c, path: p } = form!;
    const [subcommandGroup, subcommand] = p.length === 2 ? p : [undefined, p[0]];
    closeForm();
    act(() => call('POST', '/api/command', { name: c.name, subcommand, subcommandGroup, options, userId: me, channelId: current }));
  };
  (el.querySelector('input, select:not(.subcommand)') as HTMLElement | null)?.focus();
}

function optionInput(o: CommandOption): HTMLElement {
  const attrs = { 'data-option': o.name, name: o.name, required: o.required };
  if (o.choices?.length) return h('select', attrs, !o.required && h('option', { value: '' }, '—'), ...o.choices.map((c) => h('option', { value: String(c.value) }, c.name)));
  if (o.type === OPTION.BOOLEAN) return h('select', attrs, !o.required && h('option', { value: '' }, '—'), h('option', { value: 'true' }, 'True'), h('option', { value: 'false' }, 'False'));
  if (o.type === OPTION.USER || o.type === OPTION.MENTIONABLE) return h('select', attrs, !o.required && h('option', { value: '' }, '—'), ...world.users.filter((u) => !u.bot).map((u) => h('option', { value: u.id }, u.username)));
  if (o.type === OPTION.CHANNEL)
    return h('select', attrs, !o.required && h('option', { value: '' }, '—'), ...world.channels.filter((c) => c.guild_id === guildOf(current)?.id).map((c) => h('option', { value: c.id, selected: c.id === current }, `#${c.name}`)));
  const numeric = o.type === OPTION.INTEGER || o.type === OPTION.NUMBER;
  const input = h('input', { ...attrs, type: numeric ? 'number' : 'text', step: o.type === OPTION.NUMBER ? 'any' : undefined, min: o.min_value, max: o.max_value, autocomplete: 'off' });
  if (o.autocomplete) {
    const list = h('datalist', { id: `choices-${o.name}` });
    input.setAttribute('list', list.id);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (!form) return;
        const fields = leafOptions(form.command, form.path);
        const p = form.path;
        const [subcommandGroup, subcommand] = p.length === 2 ? p : [undefined, p[0]];
        call<{ name: string; value: string | number }[]>('POST', '/api/autocomplete', {
          name: form.command.name,
          subcommand,
          subcommandGroup,
          focused: { name: o.name, value: input.value },
          options: formValues(fields.filter((f) => f.name !== o.name)),
          userId: me,
          channelId: current,
        })
          .then((choices) => list.replaceChildren(...choices.map((c) => h('option', { value: String(c.value) }, c.name))))
          .catch(showError);
      }, 150);
    };
    input.addEventListener('input', ask);
    input.addEventListener('focus', ask);
    return h('span', {}, input, list);
  }
  return input;
}

function formValues(fields: CommandOption[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const o of fields) {
    const el = $('command-form').querySelector<HTMLInputElement | HTMLSelectElement>(`[data-option="${o.name}"]`);
    if (!el || el.value === '') continue;
    if (o.type === OPTION.INTEGER || o.type === OPTION.NUMBER) out[o.name] = Number(el.value);
    else if (o.type === OPTION.BOOLEAN) out[o.name] = el.value === 'true';
    else out[o.name] = el.value;
  }
  return out;
}

function onComposerKey(e: KeyboardEvent): void {
  if (e.key === 'Escape') return closeForm();
  if (e.key !== 'Enter') return;
  e.preventDefault();
  const input = $<HTMLInputElement>('composer');
  const text = input.value.trim();
  if (!text) return;
  const slash = /^\/(\S+)\s*$/.exec(text);
  if (slash) {
    // The command named, or the first one it begins (as Discord's list picks its first entry).
    const name = slash[1].toLowerCase();
    const c = commands.find((x) => x.name === name) ?? commands.find((x) => x.name.startsWith(name));
    if (!c) return showError(`no such command: /${slash[1]} (${commands.map((x) => `/${x.name}`).join(' ') || 'the bot registered none'})`);
    if ((c.options ?? []).length) return openForm(c);
    input.value = '';
    $('suggestions').hidden = true;
    return act(() => call('POST', '/api/command', { name: c.name, options: {}, userId: me, channelId: current }));
  }
  input.value = '';
  act(() => call('POST', '/api/messages', { channelId: current, userId: me, content: text }));
}

// ---- world updates ----

function select(channelId: string): void {
  current = channelId;
  editing = null;
  closeForm();
  render();
}

function apply(e: { type: string; [k: string]: unknown }): void {
  switch (e.type) {
    case 'message_create':
    case 'message_update': {
      const m = e.message as Message;
      messages.set(m.id, m);
      if (m.channel_id === current) renderMessages();
      return;
    }
    case 'message_delete':
      for (const id of e.ids as string[]) messages.delete(id);
      if (e.channelId === current) renderMessages();
      return;
    case 'presence':
      world.presence = e.presence as Presence;
      return renderMembers();
    case 'panel':
      void renderPanel().catch(showError);
      return;
    default:
      // Channels, guilds, members: the world is read again.
      void load();
  }
}

async function load(): Promise<void> {
  world = await call<World>('GET', '/api/world');
  document.title = world.title;
  messages.clear();
  for (const m of world.messages) messages.set(m.id, m);
  if (!channelById(current)) current = world.channels.find((c) => c.type === 0)?.id ?? world.channels[0]?.id ?? '';
  render();
  await loadCommands();
  await renderPanel();
}

function main(): void {
  const composer = $<HTMLInputElement>('composer');
  composer.addEventListener('keydown', onComposerKey);
  composer.addEventListener('input', suggest);
  composer.addEventListener('focus', () => void loadCommands().then(suggest));
  $('composer-form').addEventListener('submit', (e) => e.preventDefault());
  $<HTMLSelectElement>('person').addEventListener('change', (e) => {
    me = (e.target as HTMLSelectElement).value;
    render();
  });
  const events = new EventSource('/events');
  events.onmessage = (e) => apply(JSON.parse(e.data));
  // After a reconnect the world is read again, so nothing said meanwhile is missing.
  events.onopen = () => void load().then(() => document.body.setAttribute('data-ready', 'true'), showError);
}

main();
