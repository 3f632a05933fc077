import { ActivityType, escapeMarkdown, InteractionContextType, PermissionFlagsBits, SlashCommandBuilder, type ChatInputCommandInteraction, type SlashCommandStringOption } from 'discord.js';
import type { LivePresence } from '../bot/presence';
import { hasWindow } from '../bot/presence-rules';
import { ACTIVITY_TEXT_MAX, ACTIVITY_TYPES, botStatusProblems, PRESENCE_STATUSES, ROTATION_SECONDS_MAX, ROTATION_SECONDS_MIN, type ActivityKind, type BotStatus, type PresenceStatus } from '../entities/BotStatus';
import { choiceOption, integerOption, textOption } from './lib/options';
import { fitLines, oneLine, plural, when } from './lib/format';
import { CommandInputError, type AutocompleteContext, type CommandContext, type SlashCommand } from './types';

const URL_RULE = 'must be a https://twitch.tv/… or https://youtube.com/… address for streaming';
const LIST_MAX = 20;

const activityOption = (o: SlashCommandStringOption, required: boolean) =>
  o.setName('activity').setDescription(`What the bot is doing (1–${ACTIVITY_TEXT_MAX} characters; may use {members}, {guilds}, {uptime}…)`).setRequired(required).setMinLength(1).setMaxLength(ACTIVITY_TEXT_MAX);
const typeOption = (o: SlashCommandStringOption) =>
  o
    .setName('type')
    .setDescription('Kind of activity (default playing)')
    .addChoices(...ACTIVITY_TYPES.map((t) => ({ name: t, value: t })));
const statusOption = (o: SlashCommandStringOption) =>
  o
    .setName('status')
    .setDescription('Online status (default online)')
    .addChoices(...PRESENCE_STATUSES.map((t) => ({ name: t, value: t })));
const urlOption = (o: SlashCommandStringOption) => o.setName('url').setDescription('Streaming only: a https://twitch.tv/… or https://youtube.com/… address').setMinLength(8).setMaxLength(512);
const idOption = (o: SlashCommandStringOption, what: string, required = true) => o.setName('id').setDescription(what).setRequired(required).setMinLength(1).setMaxLength(64).setAutocomplete(true);

const data = new SlashCommandBuilder()
  .setName('status')
  .setDescription("The bot's presence, kept in the bot_status table")
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) => s.setName('show').setDescription('What the bot shows now and why (window, rotation or active row)'))
  .addSubcommand((s) =>
    s
      .setName('set')
      .setDescription('Write a new status row and make it the active one')
      .addStringOption((o) => activityOption(o, true))
      .addStringOption(typeOption)
      .addStringOption(statusOption)
      .addStringOption(urlOption),
  )
  .addSubcommand((s) => s.setName('list').setDescription('Every status row, newest last'))
  .addSubcommand((s) =>
    s
      .setName('activate')
      .setDescription('Make an existing status row the active one')
      .addStringOption((o) => idOption(o, 'The row id, e.g. bot-1a2b3c')),
  )
  .addSubcommand((s) => s.setName('clear').setDescription('No active row: online with no activity (the rotation and windows still apply)'))
  .addSubcommand((s) =>
    s
      .setName('window')
      .setDescription('Show a row only between two instants (it then comes before the rotation and the active row)')
      .addStringOption((o) => idOption(o, 'The row id'))
      .addStringOption((o) => o.setName('starts').setDescription('From, e.g. 2026-12-24T18:00Z or 2026-12-24 18:00+01:00 (default: now)').setMinLength(10).setMaxLength(40))
      .addStringOption((o) => o.setName('ends').setDescription('Until (same form; default: no end)').setMinLength(10).setMaxLength(40))
      .addBooleanOption((o) => o.setName('clear').setDescription('Remove the window instead')),
  )
  .addSubcommandGroup((g) =>
    g
      .setName('rotation')
      .setDescription('Several rows shown in turn')
      .addSubcommand((s) =>
        s
          .setName('add')
          .setDescription('Put a row in the rotation: an existing one (id) or a new one (activity)')
          .addStringOption((o) => idOption(o, 'An existing row to add (or give activity for a new row)', false))
          .addStringOption((o) => activityOption(o, false))
          .addStringOption(typeOption)
          .addStringOption(statusOption)
          .addStringOption(urlOption)
          .addIntegerOption((o) => o.setName('seconds').setDescription(`How long its turn lasts (${ROTATION_SECONDS_MIN}–${ROTATION_SECONDS_MAX} s, default 60)`).setMinValue(ROTATION_SECONDS_MIN).setMaxValue(ROTATION_SECONDS_MAX))
          .addIntegerOption((o) => o.setName('position').setDescription('Its place in the turn order (default: last)').setMinValue(0).setMaxValue(1_000_000)),
      )
      .addSubcommand((s) =>
        s
          .setName('remove')
          .setDescription('Take a row out of the rotation (the row stays)')
          .addStringOption((o) => idOption(o, 'The row id')),
      )
      .addSubcommand((s) => s.setName('list').setDescription('The rotation in turn order'))
      .addSubcommand((s) => s.setName('show').setDescription("The rotation's live turn and the next one")),
  );

/**
 * /status — operators drive the presence through the database: every subcommand writes
 * `bot_status` through its store, and the presence follows through the change feed like any other
 * edit (the command never sets the presence itself).
 */
export const status: SlashCommand = {
  data,
  access: 'admin',
  async execute(ctx) {
    const group = ctx.interaction.options.getSubcommandGroup(false);
    const sub = ctx.interaction.options.getSubcommand(true);
    if (group === 'rotation') {
      if (sub === 'add') return rotationAdd(ctx);
      if (sub === 'remove') return rotationRemove(ctx);
      if (sub === 'list') return rotationList(ctx);
      if (sub === 'show') return rotationShow(ctx);
      throw new CommandInputError('subcommand', 'must be rotation add, remove, list or show');
    }
    if (sub === 'show') return show(ctx);
    if (sub === 'set') return set(ctx);
    if (sub === 'list') return list(ctx);
    if (sub === 'activate') return activate(ctx);
    if (sub === 'clear') return clear(ctx);
    if (sub === 'window') return setWindow(ctx);
    throw new CommandInputError('subcommand', 'must be show, set, list, activate, clear, window or rotation');
  },
  async autocomplete(ctx) {
    await ctx.interaction.respond(ctx.isAdmin ? await idChoices(ctx) : []);
  },
};

/** What is live now, why, until when, and what Discord shows. */
async function show(ctx: CommandContext): Promise<void> {
  const live = ctx.gateway.livePresence();
  const lines = [`Live now: ${describeLive(live)}`];
  if (live.plan.nextChange) lines.push(`Next change: ${when(live.plan.nextChange, 'R')}`);
  if (live.problems && live.plan.row) lines.push(`Row \`${live.plan.row.id}\` cannot be applied (${live.problems.join('; ')}); Discord keeps the last good presence.`);
  lines.push(`Discord shows: ${describeApplied(ctx)}`);
  const waiting = live.waitingUntil ? `; the next waits for Discord's limit (5 per 20 s) until ${when(live.waitingUntil, 'T')}` : '';
  lines.push(`Presence updates sent since start: ${live.updatesSent}${waiting}`);
  await ctx.reply({ content: lines.join('\n'), ephemeral: true });
}

function describeLive(live: LivePresence): string {
  const { plan } = live;
  const row = plan.row;
  if (!row) return 'nothing — no window is open, the rotation is empty and no row is active, so the bot shows online with no activity.';
  const text = `\`${row.id}\` — ${describeRow(row)}${live.rendered && live.rendered !== row.activity ? ` (shown as **${escapeMarkdown(live.rendered)}**)` : ''}`;
  if (plan.reason === 'window') {
    const w = plan.window;
    const span = w?.end ? `until ${when(w.end, 'f')}` : 'with no end';
    return `${text}, because its window is open (${w?.start ? `since ${when(w.start, 'f')}, ` : ''}${span}); windows come before the rotation and the active row.`;
  }
  if (plan.reason === 'rotation') {
    const r = plan.rotation!;
    return r.rows.length > 1 ? `${text}, turn ${r.index + 1} of ${r.rows.length} in the rotation (${row.rotationSeconds} s a turn); no window is open.` : `${text}, the only row in the rotation; no window is open.`;
  }
  return `${text}, the active row (since ${when(row.updatedAt, 'R')}); no window is open and the rotation is empty.`;
}

async function set(ctx: CommandContext): Promise<void> {
  const input = readRowOptions(ctx.interaction);
  const row = await ctx.db.botStatus.createBotStatus({ ...input, isActive: true });
  await ctx.reply({ content: `Status \`${row.id}\` is now active: ${describeRow(row)}. ${await outranked(ctx)}`, ephemeral: true });
}

/** "The presence follows", or what shows instead of the active row (a rotation, an open window). */
async function outranked(ctx: CommandContext): Promise<string> {
  const rows = await ctx.db.botStatus.listBotStatuses();
  const rotation = rows.filter((r) => r.rotationPosition != null).length;
  const windows = rows.filter((r) => r.rotationPosition == null && hasWindow(r)).length;
  if (rotation) return `The rotation (${plural(rotation, 'row')}) shows instead while it has rows: see \`/status show\`.`;
  if (windows) return `The presence follows in a moment, except while one of the ${plural(windows, 'row')} with a window is in force (\`/status show\`).`;
  return 'The presence follows in a moment.';
}

/** A new row's options, each checked and named when wrong; nothing is written before this passes. */
function readRowOptions(i: ChatInputCommandInteraction): { activity: string; activityType: ActivityKind; status: PresenceStatus; url: string | null } {
  const activity = textOption(i, 'activity', { min: 1, max: ACTIVITY_TEXT_MAX, required: true });
  const activityType = choiceOption(i, 'type', ACTIVITY_TYPES, 'playing');
  const status = choiceOption(i, 'status', PRESENCE_STATUSES, 'online');
  const url = i.options.getString('url')?.trim() || null;
  if (activityType === 'streaming' && !(url && isStreamUrl(url))) throw new CommandInputError('url', URL_RULE);
  if (activityType !== 'streaming' && url) throw new CommandInputError('url', 'is only for type streaming');
  const unknown = botStatusProblems({ status, activityType, activity, url }).find((p) => p.startsWith('activity uses unknown variable'));
  if (unknown) throw new CommandInputError('activity', `${unknown.replace(/^activity /, '')}`);
  const problems = botStatusProblems({ status, activityType, activity, url });
  if (problems.length) throw new CommandInputError('activity', problems.join('; '));
  return { activity, activityType, status, url };
}

/** The entity's own rule for stream URLs (a streaming row with only the URL varying). */
function isStreamUrl(url: string): boolean {
  return botStatusProblems({ status: 'online', activityType: 'streaming', activity: 'x', url }).length === 0;
}

async function list(ctx: CommandContext): Promise<void> {
  const rows = await ctx.db.botStatus.listBotStatuses();
  if (!rows.length) {
    await ctx.reply({ content: 'No status rows yet. Add one with `/status set`.', ephemeral: true });
    return;
  }
  const shown = rows.slice(-LIST_MAX);
  const lines = shown.map((r) => `\`${r.id}\`${r.isActive ? ' **(active)**' : ''}${r.rotationPosition != null ? ` (rotation #${r.rotationPosition})` : ''}${hasWindow(r) ? ' (window)' : ''} — ${describeRow(r)}`);
  const more = rows.length > shown.length ? `\n… and ${plural(rows.length - shown.length, 'older row')}` : '';
  await ctx.reply({ content: `${plural(rows.length, 'status row')}:\n${lines.join('\n')}${more}`, ephemeral: true });
}

async function activate(ctx: CommandContext): Promise<void> {
  const id = textOption(ctx.interaction, 'id', { min: 1, max: 64, required: true });
  const row = await ctx.db.botStatus.getBotStatus(id);
  if (!row) throw new CommandInputError('id', `must name an existing status row; there is no \`${oneLine(id, 64)}\` (see \`/status list\`)`);
  const problems = botStatusProblems(row);
  if (problems.length) throw new CommandInputError('id', `row \`${id}\` cannot be applied: ${problems.join('; ')}`);
  await ctx.db.botStatus.activateBotStatus(id);
  await ctx.reply({ content: `Status \`${id}\` is now active: ${describeRow(row)}. ${await outranked(ctx)}`, ephemeral: true });
}

async function clear(ctx: CommandContext): Promise<void> {
  const n = await ctx.db.botStatus.clearActiveBotStatus();
  await ctx.reply({ content: n ? 'Cleared: no active row, so the bot shows online with no activity.' : 'There was no active row; the bot shows online with no activity.', ephemeral: true });
}

const INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** An instant with its offset (a time without one would depend on the server's zone), or null when absent. */
function instantOption(i: ChatInputCommandInteraction, name: string): Date | null {
  const raw = textOption(i, name, { min: 10, max: 40 });
  if (raw === null) return null;
  const d = new Date(raw.replace(' ', 'T'));
  if (!INSTANT.test(raw) || Number.isNaN(d.getTime())) throw new CommandInputError(name, `must be a date and time with its offset, e.g. 2026-12-24T18:00Z or 2026-12-24 18:00+01:00 (got "${oneLine(raw, 40)}")`);
  return d;
}

async function setWindow(ctx: CommandContext): Promise<void> {
  const i = ctx.interaction;
  const id = textOption(i, 'id', { min: 1, max: 64, required: true });
  const row = await ctx.db.botStatus.getBotStatus(id);
  if (!row) throw new CommandInputError('id', `must name an existing status row; there is no \`${oneLine(id, 64)}\` (see \`/status list\`)`);
  if (i.options.getBoolean('clear')) {
    for (const other of ['starts', 'ends']) if (i.options.get(other)) throw new CommandInputError(other, 'is not for `clear:true`');
    await ctx.db.botStatus.setWindow({ id, startsAt: null, endsAt: null });
    await ctx.reply({ content: `\`${id}\` has no window now${row.cronExpression ? ' (its cron_expression still applies)' : ''}.`, ephemeral: true });
    return;
  }
  const starts = instantOption(i, 'starts') ?? new Date();
  const ends = instantOption(i, 'ends');
  if (ends && ends.getTime() <= Date.now()) throw new CommandInputError('ends', 'must be in the future');
  if (ends && ends.getTime() <= starts.getTime()) throw new CommandInputError('ends', 'must be after starts');
  const problems = botStatusProblems({ ...row, startsAt: starts, endsAt: ends });
  if (problems.length) throw new CommandInputError('id', `row \`${id}\` cannot be applied: ${problems.join('; ')}`);
  await ctx.db.botStatus.setWindow({ id, startsAt: starts, endsAt: ends });
  const where = row.rotationPosition != null ? ' It is in the rotation, so it takes its turns only in that window.' : ' Then it comes before the rotation and the active row.';
  await ctx.reply({ content: `\`${id}\` — ${describeRow(row)} — is in force from ${when(starts, 'f')} ${ends ? `until ${when(ends, 'f')}` : 'with no end'}.${where}`, ephemeral: true });
}

async function rotationAdd(ctx: CommandContext): Promise<void> {
  const i = ctx.interaction;
  const id = textOption(i, 'id', { min: 1, max: 64 });
  const seconds = i.options.getInteger('seconds') === null ? undefined : integerOption(i, 'seconds', { min: ROTATION_SECONDS_MIN, max: ROTATION_SECONDS_MAX, fallback: 60 });
  const position = i.options.getInteger('position') === null ? undefined : integerOption(i, 'position', { min: 0, max: 1_000_000, fallback: 0 });
  let row: BotStatus;
  if (id) {
    for (const other of ['activity', 'type', 'status', 'url']) if (i.options.get(other)) throw new CommandInputError(other, 'is for a new row; with `id` the existing row is added as it is');
    const existing = await ctx.db.botStatus.getBotStatus(id);
    if (!existing) throw new CommandInputError('id', `must name an existing status row; there is no \`${oneLine(id, 64)}\` (see \`/status list\`)`);
    const problems = botStatusProblems({ ...existing, ...(seconds !== undefined && { rotationSeconds: seconds }) });
    if (problems.length) throw new CommandInputError('id', `row \`${id}\` cannot be applied: ${problems.join('; ')}`);
    row = await ctx.db.botStatus.addToRotation({ id, seconds, position });
  } else {
    if (!i.options.get('activity')) throw new CommandInputError('activity', 'is required for a new row (or give the `id` of an existing one)');
    const input = readRowOptions(i);
    const created = await ctx.db.botStatus.createBotStatus({ ...input, rotationSeconds: seconds ?? 60 });
    row = await ctx.db.botStatus.addToRotation({ id: created.id, position });
  }
  const count = (await ctx.db.botStatus.listRotation()).length;
  await ctx.reply({ content: `\`${row.id}\` is in the rotation at position ${row.rotationPosition}, ${row.rotationSeconds} s a turn: ${describeRow(row)}. The rotation has ${plural(count, 'row')}.`, ephemeral: true });
}

async function rotationRemove(ctx: CommandContext): Promise<void> {
  const id = textOption(ctx.interaction, 'id', { min: 1, max: 64, required: true });
  const row = await ctx.db.botStatus.getBotStatus(id);
  if (!row) throw new CommandInputError('id', `must name an existing status row; there is no \`${oneLine(id, 64)}\` (see \`/status rotation list\`)`);
  const removed = await ctx.db.botStatus.removeFromRotation(id);
  const count = (await ctx.db.botStatus.listRotation()).length;
  const left = count ? `The rotation has ${plural(count, 'row')} left.` : 'The rotation is empty: the active row shows (when no window is open).';
  await ctx.reply({ content: removed ? `\`${id}\` is out of the rotation (the row stays in the table). ${left}` : `\`${id}\` was not in the rotation. ${left}`, ephemeral: true });
}

async function rotationList(ctx: CommandContext): Promise<void> {
  const rows = await ctx.db.botStatus.listRotation();
  if (!rows.length) {
    await ctx.reply({ content: 'The rotation is empty. Add rows with `/status rotation add`.', ephemeral: true });
    return;
  }
  const cycle = rows.reduce((n, r) => n + r.rotationSeconds, 0);
  const lines = rows.map((r) => `${r.rotationPosition}. \`${r.id}\` — ${describeRow(r)} · ${r.rotationSeconds} s${hasWindow(r) ? ' (only while its window is open)' : ''}`);
  await ctx.reply({ content: fitLines(`The rotation: ${plural(rows.length, 'row')}, ${cycle} s a cycle:`, lines), ephemeral: true });
}

async function rotationShow(ctx: CommandContext): Promise<void> {
  const live = ctx.gateway.livePresence();
  const rows = await ctx.db.botStatus.listRotation();
  let content: string;
  if (!rows.length) content = 'The rotation is empty. Add rows with `/status rotation add`.';
  else if (live.plan.reason === 'rotation') {
    const r = live.plan.rotation!;
    const next = r.rows.length > 1 ? r.rows[(r.index + 1) % r.rows.length] : null;
    content = `Live: turn ${r.index + 1} of ${r.rows.length}, \`${r.rows[r.index].id}\` — ${describeRow(r.rows[r.index])}${next && live.plan.nextChange ? `\nNext: \`${next.id}\` ${when(live.plan.nextChange, 'R')}` : ''}`;
  } else if (live.plan.reason === 'window') content = `The rotation (${plural(rows.length, 'row')}) is paused: \`${live.plan.row!.id}\` has its window open${live.plan.window?.end ? ` until ${when(live.plan.window.end, 'f')}` : ''}.`;
  else content = `The rotation has ${plural(rows.length, 'row')} but none is in force now (each has a window that is closed).`;
  await ctx.reply({ content, ephemeral: true });
}

async function idChoices(ctx: AutocompleteContext): Promise<{ name: string; value: string }[]> {
  const typed = ctx.interaction.options.getFocused().toLowerCase();
  const rows = await ctx.db.botStatus.listBotStatuses();
  return rows
    .filter((r) => r.id.toLowerCase().includes(typed) || (r.activity ?? '').toLowerCase().includes(typed))
    .reverse()
    .slice(0, 25)
    .map((r) => ({ name: oneLine(`${r.id}${r.isActive ? ' (active)' : ''} — ${r.activityType} ${r.activity ?? ''} · ${r.status}`, 100), value: r.id }));
}

const TYPE_WORD: Record<string, string> = { playing: 'Playing', streaming: 'Streaming', listening: 'Listening to', watching: 'Watching', competing: 'Competing in', custom: 'Custom status' };

function describeRow(r: Pick<BotStatus, 'status' | 'activityType' | 'activity' | 'url'>): string {
  const activity = r.activity?.trim() ? `${TYPE_WORD[r.activityType] ?? r.activityType} **${escapeMarkdown(r.activity)}**` : 'no activity';
  return `${activity}${r.url ? ` (<${r.url}>)` : ''} · ${r.status}`;
}

/** What the bot last applied to its gateway session (discord.js keeps it on the client user). */
function describeApplied(ctx: CommandContext): string {
  const p = ctx.gateway.presence();
  if (!p) return 'nothing yet (not connected)';
  const a = p.activities[0];
  if (!a) return `${p.status} · no activity`;
  const text = a.type === ActivityType.Custom ? `Custom status **${escapeMarkdown(a.state ?? '')}**` : `${ActivityType[a.type]} **${escapeMarkdown(a.name)}**`;
  return `${p.status} · ${text}${a.url ? ` (<${a.url}>)` : ''}`;
}
