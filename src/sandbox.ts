/**
 * npm run sandbox [-- --once] [-- --keep] [-- --no-scene] [-- --web [--web-port N]]
 * Starts the local Discord (a guild, two channels, three people) and the bot on a fresh SQLite
 * database (data/sandbox/chronicle.sqlite, or in DATA_DIR; removed at each start unless --keep;
 * DATABASE_URL when set is used as it is), plays a
 * short scene — people talk in two channels, an operator changes the presence by writing to
 * bot_status from a separate connection, people use slash commands — and prints, as it happens,
 * what the bot did and what it recorded, with Discord's markup rendered for a terminal. Then it
 * takes lines on stdin (`help` lists them) until Ctrl-C or the end of input; with --once it plays
 * the scene and exits 0. Files the bot sends are saved in the data folder's files/. With --web the
 * local Discord is also a page in a browser (the emulator's web view), with a panel showing the
 * database as the bot writes it (src/sandbox/panel.ts).
 */
import 'reflect-metadata';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TextChannel } from 'discord.js';
import { ConfigError, describeDatabase, loadConfig, loadDotEnv } from './config';
import { startBot, type Bot } from './bot/bot';
import { deployCommands } from './commands/deploy';
import { COMMANDS } from './commands/registry';
import { DiscordEmulator, startWebView, type WebView } from '@chronicle/discord-emulator';
import type { InteractionResult } from '@chronicle/discord-emulator';
import { EXIT } from './exit-codes';
import { createLogger } from './logger';
import type { RecordedCreate } from './recording/events';
import { renderMarkup } from './sandbox/markup';
import { databasePanel, writeDirectly } from './sandbox/panel';

const args = process.argv.slice(2);
const once = args.includes('--once');
const keep = args.includes('--keep');
const scene = !args.includes('--no-scene');
const webPortArg = args.indexOf('--web-port');
const webPort = webPortArg >= 0 ? Number(args[webPortArg + 1]) : args.includes('--web') ? 0 : null;
const out = (line: string) => process.stdout.write(`${line}\n`);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SANDBOX_DIR = path.resolve('data', 'sandbox');
const COL = 16;
/** Continuation lines of a multi-line text, under the first. */
const indent = (text: string) => text.split('\n').join(`\n${' '.repeat(COL)}`);

interface Button {
  customId: string;
  label: string;
}

async function main() {
  if (once && webPort !== null) {
    // --once ends as soon as the scene has played: the page would close before anyone could open it.
    console.error('sandbox: --once and --web do not go together (--once exits after the scene, taking the page with it): use --web alone and stop it with Ctrl-C');
    process.exit(EXIT.CONFIG);
  }
  loadDotEnv();
  // The sandbox's own database: fresh each run (runs used to pile up), unless --keep or DATABASE_URL.
  // Only the sandbox's own files are removed, never the folder: DATA_DIR may hold other things.
  const ownDatabase = !process.env.DATABASE_URL?.trim() && !process.env.DB_URL?.trim();
  const dataDir = process.env.DATA_DIR?.trim() ? path.resolve(process.env.DATA_DIR) : SANDBOX_DIR;
  const databaseFile = path.join(dataDir, 'chronicle.sqlite');
  const filesDir = path.join(dataDir, 'files');
  if (!keep) {
    if (ownDatabase) for (const f of [databaseFile, `${databaseFile}-wal`, `${databaseFile}-shm`]) rmSync(f, { force: true });
    rmSync(filesDir, { recursive: true, force: true });
  }

  const emu = await DiscordEmulator.start({ botUsername: 'Chronicle' });
  const carol = emu.createUser({ username: 'carol', globalName: 'Carol (admin)' });
  const guild = emu.createGuild({ name: 'Chronicle Sandbox', ownerId: carol.id });
  const general = emu.createChannel({ guildId: guild.id, name: 'general' });
  const random = emu.createChannel({ guildId: guild.id, name: 'random' });
  const ada = emu.createUser({ username: 'ada', globalName: 'Ada' });
  const bob = emu.createUser({ username: 'bob', globalName: 'Bob' });
  emu.addMember(guild.id, ada.id);
  emu.addMember(guild.id, bob.id);
  emu.addMember(guild.id, carol.id, { admin: true });
  const names = new Map([
    [ada.id, 'ada'],
    [bob.id, 'bob'],
    [carol.id, 'carol'],
    [emu.botUser.id, 'Chronicle'],
  ]);
  const channels = new Map([
    [general.id, 'general'],
    [random.id, 'random'],
  ]);
  const people = new Map([...names].filter(([id]) => id !== emu.botUser.id).map(([id, n]) => [n, id]));
  const channelName = (id: string) => `#${channels.get(id) ?? id}`;
  const render = (text: string) => renderMarkup(text, { user: (id) => names.get(id), channel: (id) => channels.get(id) });

  let config;
  try {
    config = loadConfig({
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'pretty',
      ...(ownDatabase ? { DATABASE_URL: databaseFile } : {}),
      ...process.env,
      DATA_DIR: dataDir,
      DISCORD_TOKEN: emu.token,
      DISCORD_API_URL: emu.apiUrl,
    });
  } catch (e) {
    if (e instanceof ConfigError) for (const p of e.problems) console.error(`sandbox: ${p}`);
    process.exit(1);
  }
  out(`local Discord   ${emu.apiUrl}  (guild "${guild.name}", #general, #random; ada, bob, carol [admin])`);
  out(`database        ${describeDatabase(config.database)}${ownDatabase ? (keep ? ' (kept from earlier runs: --keep)' : ' (fresh for this run; --keep keeps it between runs)') : ' (DATABASE_URL)'}`);
  const log = createLogger({ level: config.logLevel, format: config.logFormat, dbLevel: config.logDbLevel, secrets: [config.discord.token] });
  const bot: Bot = await startBot({ config, log });
  const deployed = await deployCommands({ token: emu.token, apiUrl: emu.apiUrl, guildId: guild.id });
  out(`bot             ready as ${bot.client.user?.tag}; commands: ${deployed.commands.map((c) => `/${c.name}`).join(' ')}`);

  bot.presence.onApplied = (p, row) => out(`bot             presence → ${p.status}${p.activities?.[0] ? `, ${activityText(p.activities[0])}` : ', no activity'}${row ? ` (bot_status ${row.id})` : ''}`);

  // Each message once: what the bot answered is printed as its reply ("bot …"); its recorded row
  // then only refers to it. A reply's row can be committed just before the reply is printed, so
  // rows of the bot's messages wait a moment to be claimed by the reply.
  const shown = new Set<string>();
  const unclaimed = new Map<string, { e: RecordedCreate; timer: NodeJS.Timeout }>();
  const notRecorded = new Set<string>();
  const recordedLine = (e: RecordedCreate, full: boolean) =>
    notRecorded.has(e.discordMessageId)
      ? `not recorded    ${e.role.padEnd(9)} ${channelName(e.channelId).padEnd(9)} ${full ? JSON.stringify(clipText(render(e.content), 40)) : '(the reply above)'}: a reply to someone with no record  [message ${e.discordMessageId}]`
      : full
        ? `recorded        ${e.role.padEnd(9)} ${channelName(e.channelId).padEnd(9)} ${names.get(e.author.id) ?? e.author.username}: ${JSON.stringify(clipText(render(e.content), 60))}  [message ${e.discordMessageId}]`
        : `recorded        ${e.role.padEnd(9)} ${channelName(e.channelId).padEnd(9)} (the reply above)  [message ${e.discordMessageId}]`;
  const claim = (messageId: string | null) => {
    if (!messageId) return;
    shown.add(messageId);
    const u = unclaimed.get(messageId);
    if (!u) return;
    clearTimeout(u.timer);
    unclaimed.delete(messageId);
    out(recordedLine(u.e, false));
  };
  bot.queue.onCommitted = (items, result) => {
    for (const id of result.unansweredIds ?? []) notRecorded.add(id);
    let edits = 0;
    let deletes = 0;
    for (const { event } of items) {
      if (event.kind === 'edit' && !shown.has(event.discordMessageId)) edits++;
      if (event.kind === 'delete') deletes += event.discordMessageIds.length;
      if (event.kind !== 'create') continue;
      const e = event as RecordedCreate;
      if (shown.has(e.discordMessageId)) out(recordedLine(e, false));
      else if (e.author.id === emu.botUser.id) unclaimed.set(e.discordMessageId, { e, timer: setTimeout(() => (unclaimed.delete(e.discordMessageId), out(recordedLine(e, true))), 500) });
      else out(recordedLine(e, true));
    }
    const extra = [edits && `${edits} edit(s)`, deletes && `${deletes} delete(s)`].filter(Boolean);
    if (extra.length) out(`recorded        ${extra.join(', ')}`);
  };

  const say = async (channelId: string, authorId: string, content: string, replyTo?: string) => {
    out(`${names.get(authorId)!.padEnd(COL - 1)} ${channelName(channelId)}: ${content}`);
    const m = emu.sendMessage({ channelId, authorId, content, replyTo });
    await pause(150);
    return m;
  };

  let lastButtons: { result: InteractionResult; userId: string; buttons: Button[] } | null = null;
  /** Prints a reply (and its follow-ups) once, saves its files, lists its buttons. */
  const showReply = (r: InteractionResult, userId: string) => {
    const files = r.attachments.map((a) => {
      mkdirSync(filesDir, { recursive: true });
      const file = path.join(filesDir, `${r.messageId ?? r.interactionId}-${path.basename(a.filename)}`);
      writeFileSync(file, a.data);
      return `${a.filename} (${a.data.length} bytes) saved to ${path.relative(process.cwd(), file)}`;
    });
    out(`bot             ${r.ephemeral ? '(only you can see this) ' : ''}${indent(render(r.content ?? ''))}${files.length ? `\n${' '.repeat(COL)}[+ ${files.join(', ')}]` : ''}`);
    claim(r.messageId);
    const buttons = (r.components ?? []).flatMap((row) => (row as { components?: { custom_id?: string; label?: string }[] }).components ?? []).filter((b) => b.custom_id);
    if (buttons.length) {
      lastButtons = { result: r, userId, buttons: buttons.map((b) => ({ customId: b.custom_id!, label: b.label ?? b.custom_id! })) };
      out(`sandbox         buttons: ${lastButtons.buttons.map((b, i) => `[${i + 1}] ${b.label}`).join('  ')}  → click 1${buttons.length > 1 ? `…${buttons.length}` : ''}`);
    }
    for (const f of r.followups) showReply(f, userId);
  };

  const command = async (userId: string, name: string, options: Record<string, string | number | boolean>, sub?: string) => {
    out(
      `${names.get(userId)!.padEnd(COL - 1)} /${name}${sub ? ` ${sub}` : ''} ${Object.entries(options)
        .map(([k, v]) => `${k}:${v}`)
        .join(' ')}`.trimEnd(),
    );
    const r: InteractionResult = await emu.runCommand(name, options, { userId, channelId: general.id, subcommand: sub });
    showReply(r, userId);
    await pause(150);
    return r;
  };

  let web: WebView | null = null;
  if (webPort !== null) {
    if (!Number.isInteger(webPort) || webPort < 0 || webPort > 65535) {
      console.error(`sandbox: --web-port needs a port number (0 = any free one), not ${args[webPortArg + 1] ?? 'nothing'}`);
      await bot.stop();
      await emu.stop();
      process.exit(1);
    }
    // A row to edit in the panel, inactive until someone activates it.
    if (!(await bot.db.botStatus.getBotStatus('sandbox'))) await bot.db.botStatus.createBotStatus({ id: 'sandbox', status: 'online', activityType: 'playing', activity: 'in the sandbox' });
    // Made after bot.queue.onCommitted is set above: the panel chains itself onto it.
    const panel = databasePanel(bot, config.database, `Database: ${describeDatabase(config.database)}`);
    web = await startWebView(emu, { port: webPort, panel, title: 'Chronicle sandbox' });
    out(`web             ${web.url}  (the local Discord in a browser; the database beside it)`);
  }

  if (scene) {
    out('\n— the scene —');
    const hello = await say(general.id, ada.id, 'Morning! Has anyone seen the release notes?');
    await say(general.id, bob.id, 'They are in the wiki, page 3.', hello.id);
    await say(random.id, carol.id, 'Lunch at noon, anyone?');
    const typo = await say(random.id, bob.id, 'Count me in, Iam hungry');
    out(`bob             edits his message in #random`);
    emu.editMessage(random.id, typo.id, 'Count me in, I am hungry');
    await pause(150);
    const oops = await say(general.id, ada.id, 'oops, wrong channel');
    out(`ada             deletes her message in #general`);
    emu.deleteMessage(general.id, oops.id);
    await pause(150);

    const channel = (await bot.client.channels.fetch(general.id)) as TextChannel;
    const sent = await channel.send({ content: `Release notes are pinned in <#${random.id}>, <@${ada.id}>.`, reply: { messageReference: hello.id } });
    out(`bot             replies to ada in #general: ${render(sent.content)}`);
    claim(sent.id);
    await pause(200);

    out(`operator        UPDATE bot_status from another connection: watching "the release"`);
    await operatorWrites(config.database, bot);
    await emu.waitForPresence((p) => p.activities[0]?.name === 'the release', 5000).catch(() => out('bot             (presence did not change within 5 s)'));
    await pause(200);

    await command(ada.id, 'ping', {});
    await command(ada.id, 'history', { limit: 5 });
    await command(ada.id, 'session', {}, 'info');
    await command(bob.id, 'mydata', {}, 'show');
    await command(bob.id, 'status', { activity: 'with fire', type: 'playing', status: 'online' }, 'set');
    await command(carol.id, 'status', { activity: 'the sandbox', type: 'watching', status: 'idle' }, 'set');
    await command(carol.id, 'stats', { scope: 'server', days: 1 });
    await command(ada.id, 'run', { skill: 'echo', input: 'hello, skills' });
    await bot.queue.flush();
    await pause(600);

    const users = await bot.db.users.countUsers();
    const messages = await bot.db.messages.countMessages();
    out(`\n— in the database (${describeDatabase(config.database)}) —`);
    out(`users ${users}, messages ${messages} (recorded ${bot.queue.stats.written} events, lost ${bot.queue.stats.lost}); presence: ${JSON.stringify(emu.presence()?.activities[0] ?? 'online')}`);
    if (emu.violations().length) out(`emulator violations: ${JSON.stringify(emu.violations())}`);
  }

  let finishing: Promise<void> | null = null;
  const finish = (code: number) =>
    (finishing ??= (async () => {
      await web?.stop();
      await bot.stop();
      await emu.stop();
      process.exit(code);
    })());
  if (once) return finish(0);

  const help = [
    'What you can type (as ada, bob or carol; carol is the admin):',
    '  ada: hello                 a message in #general      bob #random: hi     in #random',
    '  /status show               a command as carol          ada /history limit:5   as ada (options as name:value, "quoted" for spaces)',
    '  click 1                    the first button of the last reply (click <custom id> works too)',
    '  help                       this list                   Ctrl-C or Ctrl-D   stop',
    `People: ${[...people.keys()].join(', ')}. Channels: #general, #random. Commands: ${COMMANDS.map((c) => `/${c.data.name}`).join(' ')}`,
  ];
  out(`\nStill running: the local Discord is at ${emu.apiUrl} (token ${emu.token}). Type help for what you can do; Ctrl-C to stop.`);
  const noSuchPerson = (who: string) => out(`sandbox         no such person: ${who} (people: ${[...people.keys()].join(', ')})`);

  const rl = (await import('node:readline')).createInterface({ input: process.stdin, terminal: false });
  let queue: Promise<unknown> = Promise.resolve();
  rl.on('line', (line) => {
    queue = queue
      .then(async () => {
        const text = line.trim();
        if (!text) return;
        const said = /^(\w+)(?:\s+#(\w+))?:\s*(.+)$/.exec(text);
        const cmd = /^(?:(\w+)\s+)?\/(\w+)(.*)$/.exec(text);
        const click = /^click\s+(\S+)$/.exec(text);
        if (text === 'help' || text === '?') {
          for (const l of help) out(l);
        } else if (said) {
          const [, who, where, content] = said;
          if (!people.has(who)) return noSuchPerson(who);
          const channelId = where ? [...channels].find(([, n]) => n === where)?.[0] : general.id;
          if (!channelId) return out(`sandbox         no such channel: #${where} (channels: #general, #random)`);
          await say(channelId, people.get(who)!, content);
        } else if (cmd) {
          const who = cmd[1] ?? 'carol';
          const userId = people.get(who);
          if (!userId) return noSuchPerson(who);
          const def = COMMANDS.find((c) => c.data.name === cmd[2]);
          if (!def) return out(`sandbox         no such command: /${cmd[2]} (commands: ${COMMANDS.map((c) => `/${c.data.name}`).join(' ')})`);
          const words = cmd[3].trim();
          const subs = (def.data.toJSON().options ?? []).filter((o) => o.type === 1).map((o) => o.name);
          const first = words.split(/\s+/)[0];
          const sub = subs.includes(first) ? first : undefined;
          if (subs.length && !sub) return out(`sandbox         /${cmd[2]} needs one of: ${subs.join(', ')} (e.g. ${who} /${cmd[2]} ${subs[0]})`);
          const rest = sub ? words.slice(first.length).trim() : words;
          const options: Record<string, string | number | boolean> = {};
          for (const m of rest.matchAll(/(\w+):("[^"]*"|\S+(?:\s+(?!\w+:)\S+)*)/g)) {
            const v = m[2].replace(/^"|"$/g, '');
            options[m[1]] = /^-?\d+$/.test(v) ? Number(v) : v === 'true' || v === 'false' ? v === 'true' : v;
          }
          await command(userId, cmd[2], options, sub);
        } else if (click) {
          if (!lastButtons) return out('sandbox         no buttons to click: the last reply had none');
          const n = Number(click[1]);
          const button = Number.isInteger(n) ? lastButtons.buttons[n - 1] : lastButtons.buttons.find((b) => b.customId === click[1]);
          if (!button) return out(`sandbox         no button ${click[1]}: ${lastButtons.buttons.map((b, i) => `[${i + 1}] ${b.label}`).join('  ')}`);
          const { result, userId } = lastButtons;
          out(`${names.get(userId)!.padEnd(COL - 1)} clicks "${button.label}"`);
          lastButtons = null;
          showReply(await emu.clickButton({ interaction: result, customId: button.customId, userId, channelId: result.channelId }), userId);
        } else {
          out('sandbox         not understood; type help (e.g.  ada: hello  ·  /ping  ·  bob /mydata show  ·  click 1)');
        }
      })
      .catch((e: Error) => out(`sandbox         ${e.message}`));
  });
  // The end of input (Ctrl-D, or a piped script) stops the sandbox once what was typed is done.
  rl.on('close', () => void queue.then(() => pause(600)).then(() => finish(0)));
  let signals = 0;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (++signals > 1) process.exit(130);
      out('\nstopping…');
      void finish(0);
    });
  }
}

function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function activityText(a: { type?: number; name?: string; state?: string }): string {
  const verbs = ['playing', 'streaming', 'listening to', 'watching', 'custom:', 'competing in'];
  return `${verbs[a.type ?? 0]} "${a.type === 4 ? a.state : a.name}"`;
}

/** What an operator does by hand: write bot_status straight in the database. */
async function operatorWrites(db: import('./config').DatabaseConfig, bot: Bot): Promise<void> {
  const existing = await bot.db.botStatus.getBotStatus('sandbox');
  if (!existing) await bot.db.botStatus.createBotStatus({ id: 'sandbox', status: 'online', activityType: 'playing', activity: 'in the sandbox' });
  await writeDirectly(db, [
    {
      sql: "UPDATE bot_status SET is_active = (id = 'sandbox'), status = CASE WHEN id = 'sandbox' THEN 'online' ELSE status END, activity_type = CASE WHEN id = 'sandbox' THEN 'watching' ELSE activity_type END, activity = CASE WHEN id = 'sandbox' THEN 'the release' ELSE activity END",
    },
  ]);
}

main().catch((e) => {
  console.error(`sandbox failed: ${(e as Error).message}`);
  process.exit(1);
});
