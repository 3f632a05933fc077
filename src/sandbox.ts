/**
 * npm run sandbox [-- --once]
 * Starts the local Discord (a guild, two channels, three people) and the bot on the embedded
 * SQLite default (or DATABASE_URL), plays a short scene — people talk in two channels, an operator
 * changes the presence by writing to bot_status from a separate connection, people use slash
 * commands — and prints, as it happens, what the bot did and what it recorded. Keeps running until
 * Ctrl-C; with --once it plays the scene and exits 0.
 */
import 'reflect-metadata';
import type { TextChannel } from 'discord.js';
import { ConfigError, describeDatabase, loadConfig, loadDotEnv } from './config';
import { startBot, type Bot } from './bot/bot';
import { deployCommands } from './commands/deploy';
import { COMMANDS } from './commands/registry';
import { DiscordEmulator } from '@chronicle/discord-emulator';
import type { InteractionResult } from '@chronicle/discord-emulator';
import { createLogger } from './logger';
import type { RecordedCreate } from './recording/events';

const once = process.argv.includes('--once');
const out = (line: string) => process.stdout.write(`${line}\n`);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  loadDotEnv();
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
  const channelName = (id: string) => (id === general.id ? '#general' : id === random.id ? '#random' : id);

  let config;
  try {
    config = loadConfig({ LOG_LEVEL: 'warn', LOG_FORMAT: 'pretty', ...process.env, DISCORD_TOKEN: emu.token, DISCORD_API_URL: emu.apiUrl });
  } catch (e) {
    if (e instanceof ConfigError) for (const p of e.problems) console.error(`sandbox: ${p}`);
    process.exit(1);
  }
  out(`local Discord   ${emu.apiUrl}  (guild "${guild.name}", #general, #random; ada, bob, carol [admin])`);
  out(`database        ${describeDatabase(config.database)}`);
  const log = createLogger({ level: config.logLevel, format: config.logFormat, dbLevel: config.logDbLevel, secrets: [config.discord.token] });
  const bot: Bot = await startBot({ config, log });
  const deployed = await deployCommands({ token: emu.token, apiUrl: emu.apiUrl, guildId: guild.id });
  out(`bot             ready as ${bot.client.user?.tag}; commands: ${deployed.commands.map((c) => `/${c.name}`).join(' ')}`);

  bot.presence.onApplied = (p, row) => out(`bot             presence → ${p.status}${p.activities?.[0] ? `, ${activityText(p.activities[0])}` : ', no activity'}${row ? ` (bot_status ${row.id})` : ''}`);
  bot.queue.onCommitted = (items, r) => {
    for (const { event } of items) {
      if (event.kind !== 'create') continue;
      const e = event as RecordedCreate;
      out(
        `recorded        ${e.role.padEnd(9)} ${channelName(e.channelId).padEnd(9)} ${names.get(e.author.id) ?? e.author.username}: ${JSON.stringify(e.content.length > 60 ? `${e.content.slice(0, 57)}...` : e.content)}  [message ${e.discordMessageId}]`,
      );
    }
    const extra = [r.usersCreated && `${r.usersCreated} new user(s)`, r.sessionsCreated && `${r.sessionsCreated} new session(s)`, r.edited && `${r.edited} edit(s)`, r.deleted && `${r.deleted} delete(s)`].filter(Boolean);
    if (extra.length) out(`recorded        ${extra.join(', ')}`);
  };

  const say = async (channelId: string, authorId: string, content: string, replyTo?: string) => {
    out(`${names.get(authorId)!.padEnd(15)} ${channelName(channelId)}: ${content}`);
    const m = emu.sendMessage({ channelId, authorId, content, replyTo });
    await pause(150);
    return m;
  };
  const command = async (userId: string, name: string, options: Record<string, string | number | boolean>, sub?: string) => {
    if (!COMMANDS.some((c) => c.data.name === name)) return null;
    out(
      `${names.get(userId)!.padEnd(15)} /${name}${sub ? ` ${sub}` : ''} ${Object.entries(options)
        .map(([k, v]) => `${k}:${v}`)
        .join(' ')}`,
    );
    const r: InteractionResult = await emu.runCommand(name, options, { userId, channelId: general.id, subcommand: sub });
    out(
      `bot             ${r.ephemeral ? '(only you can see this) ' : ''}${(r.content ?? '').split('\n').join('\n                ')}${r.attachments.length ? `  [+ ${r.attachments.map((a) => `${a.filename}, ${a.data.length} bytes`).join(', ')}]` : ''}`,
    );
    await pause(150);
    return r;
  };

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
  await channel.send({ content: 'Release notes are pinned in #announcements.', reply: { messageReference: hello.id } });
  out(`bot             replies to ada in #general`);
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
  await pause(300);

  const users = await bot.db.users.countUsers();
  const messages = await bot.db.messages.countMessages();
  out(`\n— in the database (${describeDatabase(config.database)}) —`);
  out(`users ${users}, messages ${messages} (recorded ${bot.queue.stats.written} events, lost ${bot.queue.stats.lost}); presence: ${JSON.stringify(emu.presence()?.activities[0] ?? 'online')}`);
  if (emu.violations().length) out(`emulator violations: ${JSON.stringify(emu.violations())}`);

  const finish = async (code: number) => {
    await bot.stop();
    await emu.stop();
    process.exit(code);
  };
  if (once) return finish(0);
  out(`\nStill running: the local Discord is at ${emu.apiUrl} (token ${emu.token}). Ctrl-C to stop.`);
  out('Type to act in it:  ada: hello   ·   bob #random: hi   ·   /status show   ·   ada /history limit:5   ·   click <button id>');
  const people = new Map([...names].filter(([id]) => id !== emu.botUser.id).map(([id, n]) => [n, id]));
  let lastReply: InteractionResult | null = null;
  let lastUserId = carol.id;
  const rl = (await import('node:readline')).createInterface({ input: process.stdin, terminal: false });
  let queue: Promise<unknown> = Promise.resolve();
  rl.on('line', (line) => {
    queue = queue
      .then(async () => {
        const text = line.trim();
        if (!text) return;
        const said = /^(\w+)(?:\s+#(general|random))?:\s*(.+)$/.exec(text);
        const cmd = /^(?:(\w+)\s+)?\/(\w+)(.*)$/.exec(text);
        const click = /^click\s+(\S+)$/.exec(text);
        if (said && people.has(said[1])) {
          await say(said[2] === 'random' ? random.id : general.id, people.get(said[1])!, said[3]);
        } else if (cmd) {
          const userId = people.get(cmd[1] ?? 'carol');
          const def = COMMANDS.find((c) => c.data.name === cmd[2]);
          if (!userId || !def) return out(`sandbox: unknown ${userId ? `command /${cmd[2]}` : `person ${cmd[1]}`} (people: ${[...people.keys()].join(', ')}; commands: ${COMMANDS.map((c) => `/${c.data.name}`).join(' ')})`);
          const words = cmd[3].trim();
          const subs = (def.data.toJSON().options ?? []).filter((o) => o.type === 1).map((o) => o.name);
          const first = words.split(/\s+/)[0];
          const sub = subs.includes(first) ? first : undefined;
          const rest = sub ? words.slice(first.length).trim() : words;
          const options: Record<string, string | number | boolean> = {};
          for (const m of rest.matchAll(/(\w+):("[^"]*"|\S+(?:\s+(?!\w+:)\S+)*)/g)) {
            const v = m[2].replace(/^"|"$/g, '');
            options[m[1]] = /^-?\d+$/.test(v) ? Number(v) : v;
          }
          lastUserId = userId;
          lastReply = (await command(userId, cmd[2], options, sub)) ?? lastReply;
          const buttons = (lastReply?.components ?? []).flatMap((row) => (row as { components?: { custom_id?: string; label?: string }[] }).components ?? []);
          if (buttons.length) out(`sandbox: buttons: ${buttons.map((b) => `${b.label} → click ${b.custom_id}`).join(' · ')}`);
        } else if (click && lastReply) {
          const r = await emu.clickButton({ interaction: lastReply, customId: click[1], userId: lastUserId, channelId: lastReply.channelId });
          out(`bot             ${r.content ?? ''}`);
        } else {
          out('sandbox: try  ada: hello  ·  /ping  ·  bob /mydata show  ·  click <id>');
        }
      })
      .catch((e: Error) => out(`sandbox: ${e.message}`));
  });
  let signals = 0;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (++signals > 1) process.exit(130);
      out('\nstopping…');
      void finish(0);
    });
  }
}

function activityText(a: { type?: number; name?: string; state?: string }): string {
  const verbs = ['playing', 'streaming', 'listening to', 'watching', 'custom:', 'competing in'];
  return `${verbs[a.type ?? 0]} "${a.type === 4 ? a.state : a.name}"`;
}

/** What an operator does by hand: write bot_status straight in the database. */
async function operatorWrites(db: import('./config').DatabaseConfig, bot: Bot): Promise<void> {
  const existing = await bot.db.botStatus.getBotStatus('sandbox');
  if (!existing) await bot.db.botStatus.createBotStatus({ id: 'sandbox', status: 'online', activityType: 'playing', activity: 'in the sandbox' });
  const sql =
    "UPDATE bot_status SET is_active = (id = 'sandbox'), status = CASE WHEN id = 'sandbox' THEN 'online' ELSE status END, activity_type = CASE WHEN id = 'sandbox' THEN 'watching' ELSE activity_type END, activity = CASE WHEN id = 'sandbox' THEN 'the release' ELSE activity END";
  if (db.driver === 'postgres') {
    const { Client } = await import('pg');
    const c = new Client({ connectionString: db.url });
    await c.connect();
    await c.query(sql);
    await c.end();
  } else {
    const sqlite3 = (await import('sqlite3')).default;
    await new Promise<void>((resolve, reject) => {
      const conn = new sqlite3.Database(db.path, (err) => {
        if (err) return reject(err);
        conn.configure('busyTimeout', 10_000);
        conn.run(sql, (e) => conn.close(() => (e ? reject(e) : resolve())));
      });
    });
  }
}

main().catch((e) => {
  console.error(`sandbox failed: ${(e as Error).message}`);
  process.exit(1);
});
