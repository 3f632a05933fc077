import { ActivityType, escapeMarkdown, InteractionContextType, PermissionFlagsBits, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { ACTIVITY_TEXT_MAX, ACTIVITY_TYPES, botStatusProblems, PRESENCE_STATUSES, type ActivityKind, type BotStatus, type PresenceStatus } from '../entities/BotStatus';
import { choiceOption, textOption } from './lib/options';
import { oneLine, plural, when } from './lib/format';
import { CommandInputError, type AutocompleteContext, type CommandContext, type SlashCommand } from './types';

const URL_RULE = 'must be a https://twitch.tv/… or https://youtube.com/… address for streaming';
const LIST_MAX = 20;

const data = new SlashCommandBuilder()
  .setName('status')
  .setDescription("The bot's presence, kept in the bot_status table")
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) => s.setName('show').setDescription('The active status row and what Discord shows'))
  .addSubcommand((s) =>
    s
      .setName('set')
      .setDescription('Write a new status row and make it the active one')
      .addStringOption((o) => o.setName('activity').setDescription(`What the bot is doing (1–${ACTIVITY_TEXT_MAX} characters)`).setRequired(true).setMinLength(1).setMaxLength(ACTIVITY_TEXT_MAX))
      .addStringOption((o) =>
        o
          .setName('type')
          .setDescription('Kind of activity (default playing)')
          .addChoices(...ACTIVITY_TYPES.map((t) => ({ name: t, value: t }))),
      )
      .addStringOption((o) =>
        o
          .setName('status')
          .setDescription('Online status (default online)')
          .addChoices(...PRESENCE_STATUSES.map((t) => ({ name: t, value: t }))),
      )
      .addStringOption((o) => o.setName('url').setDescription('Streaming only: a https://twitch.tv/… or https://youtube.com/… address').setMinLength(8).setMaxLength(512)),
  )
  .addSubcommand((s) => s.setName('list').setDescription('Every status row, newest last'))
  .addSubcommand((s) =>
    s
      .setName('activate')
      .setDescription('Make an existing status row the active one')
      .addStringOption((o) => o.setName('id').setDescription('The row id, e.g. bot-1a2b3c').setRequired(true).setMinLength(1).setMaxLength(64).setAutocomplete(true)),
  )
  .addSubcommand((s) => s.setName('clear').setDescription('No active row: online with no activity'));

/**
 * /status — operators drive the presence through the database: every subcommand writes
 * `bot_status` through its store, and the presence follows through the change feed like any other
 * edit (the command never sets the presence itself).
 */
export const status: SlashCommand = {
  data,
  access: 'admin',
  async execute(ctx) {
    const sub = ctx.interaction.options.getSubcommand(true);
    if (sub === 'show') return show(ctx);
    if (sub === 'set') return set(ctx);
    if (sub === 'list') return list(ctx);
    if (sub === 'activate') return activate(ctx);
    if (sub === 'clear') return clear(ctx);
    throw new CommandInputError('subcommand', 'must be show, set, list, activate or clear');
  },
  async autocomplete(ctx) {
    await ctx.interaction.respond(ctx.isAdmin ? await idChoices(ctx) : []);
  },
};

async function show(ctx: CommandContext): Promise<void> {
  const row = await ctx.db.botStatus.getActiveBotStatus();
  const active = row ? `Active row: \`${row.id}\` — ${describeRow(row)} (since ${when(row.updatedAt, 'R')})` : 'Active row: none — the bot shows online with no activity.';
  await ctx.reply({ content: `${active}\nDiscord shows: ${describeApplied(ctx)}`, ephemeral: true });
}

async function set(ctx: CommandContext): Promise<void> {
  const input = readSetOptions(ctx.interaction);
  const row = await ctx.db.botStatus.createBotStatus({ ...input, isActive: true });
  await ctx.reply({ content: `Status \`${row.id}\` is now active: ${describeRow(row)}. The presence follows in a moment.`, ephemeral: true });
}

/** The `/status set` options, each checked and named when wrong; nothing is written before this passes. */
function readSetOptions(i: ChatInputCommandInteraction): { activity: string; activityType: ActivityKind; status: PresenceStatus; url: string | null } {
  const activity = textOption(i, 'activity', { min: 1, max: ACTIVITY_TEXT_MAX, required: true });
  const activityType = choiceOption(i, 'type', ACTIVITY_TYPES, 'playing');
  const status = choiceOption(i, 'status', PRESENCE_STATUSES, 'online');
  const url = i.options.getString('url')?.trim() || null;
  if (activityType === 'streaming' && !(url && isStreamUrl(url))) throw new CommandInputError('url', URL_RULE);
  if (activityType !== 'streaming' && url) throw new CommandInputError('url', 'is only for type streaming');
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
  const lines = shown.map((r) => `\`${r.id}\`${r.isActive ? ' **(active)**' : ''} — ${describeRow(r)}`);
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
  await ctx.reply({ content: `Status \`${id}\` is now active: ${describeRow(row)}. The presence follows in a moment.`, ephemeral: true });
}

async function clear(ctx: CommandContext): Promise<void> {
  const n = await ctx.db.botStatus.clearActiveBotStatus();
  await ctx.reply({ content: n ? 'Cleared: no active row, so the bot shows online with no activity.' : 'There was no active row; the bot shows online with no activity.', ephemeral: true });
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
