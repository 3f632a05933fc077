import { ChannelType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { Schedule } from '../entities/Schedule';
import { compileCron, CronInputError, formatInZone, nextRuns } from '../assistant/cron';
import { SkillInputError } from '../skills';
import { deferredIfSlow } from './lib/defer';
import { fitLines, oneLine, shortId, when } from './lib/format';
import { skillChoices } from './lib/skills';
import { CommandInputError, type AutocompleteContext, type CommandContext, type SlashCommand } from './types';

const POSTABLE = [ChannelType.GuildText, ChannelType.GuildAnnouncement, ChannelType.PublicThread, ChannelType.PrivateThread, ChannelType.AnnouncementThread] as const;

/**
 * /schedule add|list|remove|enable|disable|run — cron schedules that run a skill and post its
 * output in a channel. Admins only. Cron expressions have 5 fields, or 6 with seconds first, and
 * are read in the schedule's IANA time zone; a bad one is refused with the reason. Changes take
 * effect at once (the scheduler follows the table), in every bot process.
 */
export const schedule: SlashCommand = {
  access: 'admin',
  data: new SlashCommandBuilder()
    .setName('schedule')
    .setDescription('Run skills on a cron schedule (admins)')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand((s) =>
      s
        .setName('add')
        .setDescription('Add a schedule; shows its next three run times')
        .addStringOption((o) => o.setName('skill').setDescription('Which skill').setRequired(true).setAutocomplete(true).setMaxLength(64))
        .addStringOption((o) => o.setName('cron').setDescription('Cron: "0 9 * * 1-5" (5 fields) or with seconds first (6 fields)').setRequired(true).setMaxLength(120))
        .addStringOption((o) => o.setName('input').setDescription('What the skill gets each run').setMaxLength(2000))
        .addChannelOption((o) =>
          o
            .setName('channel')
            .setDescription('Where the output is posted (default: here)')
            .addChannelTypes(...POSTABLE),
        )
        .addStringOption((o) => o.setName('timezone').setDescription('IANA time zone the cron is read in (default UTC)').setAutocomplete(true).setMaxLength(64)),
    )
    .addSubcommand((s) => s.setName('list').setDescription('Schedules in this server'))
    .addSubcommand((s) =>
      s
        .setName('remove')
        .setDescription('Delete a schedule')
        .addStringOption((o) => idOption(o)),
    )
    .addSubcommand((s) =>
      s
        .setName('enable')
        .setDescription('Turn a schedule on (the next run is computed from now)')
        .addStringOption((o) => idOption(o)),
    )
    .addSubcommand((s) =>
      s
        .setName('disable')
        .setDescription('Turn a schedule off')
        .addStringOption((o) => idOption(o)),
    )
    .addSubcommand((s) =>
      s
        .setName('run')
        .setDescription('Run a schedule now (its cron times are unchanged)')
        .addStringOption((o) => idOption(o)),
    ),
  async execute(ctx) {
    const sub = ctx.interaction.options.getSubcommand(true);
    if (sub === 'add') return add(ctx);
    if (sub === 'list') return list(ctx);
    const s = await findSchedule(ctx, ctx.interaction.options.getString('id', true));
    if (sub === 'remove') return remove(ctx, s);
    if (sub === 'enable') return enable(ctx, s);
    if (sub === 'disable') return disable(ctx, s);
    if (sub === 'run') return runNow(ctx, s);
    throw new CommandInputError('subcommand', 'must be add, list, remove, enable, disable or run');
  },
  async autocomplete(ctx) {
    const focused = ctx.interaction.options.getFocused(true);
    const typed = String(focused.value);
    if (focused.name === 'skill') return ctx.interaction.respond(await skillChoices(ctx, typed));
    if (focused.name === 'timezone') return ctx.interaction.respond(timezoneChoices(typed));
    if (focused.name === 'id') return ctx.interaction.respond(await idChoices(ctx, typed));
    await ctx.interaction.respond([]);
  },
};

function idOption<T extends { setName(n: string): T; setDescription(d: string): T; setRequired(r: boolean): T; setAutocomplete(a: boolean): T; setMaxLength(n: number): T }>(o: T): T {
  return o.setName('id').setDescription('The schedule (id or its first characters; see /schedule list)').setRequired(true).setAutocomplete(true).setMaxLength(36);
}

async function add(ctx: CommandContext): Promise<void> {
  const i = ctx.interaction;
  const name = i.options.getString('skill', true).trim().toLowerCase();
  const skill = ctx.skills.get(name);
  if (!skill) throw new CommandInputError('skill', `there is no skill named "${name}"; choose one of ${ctx.skills.names().join(', ')}`);
  const expression = i.options.getString('cron', true).trim().replace(/\s+/g, ' ');
  if (expression.length > 120) throw new CommandInputError('cron', 'at most 120 characters');
  const timezone = (i.options.getString('timezone') ?? 'UTC').trim() || 'UTC';
  let cron;
  try {
    cron = compileCron(expression, timezone);
  } catch (e) {
    if (e instanceof CronInputError) throw new CommandInputError(e.field, e.message);
    throw e;
  }
  const input = i.options.getString('input') ?? '';
  try {
    skill.parse(input, { now: new Date(), timezone });
  } catch (e) {
    if (e instanceof SkillInputError) throw new CommandInputError('input', `${e.message}${skill.usage ? ` (usage: ${skill.usage})` : ''}`);
    throw e;
  }
  const channelId = i.options.getChannel('channel', false, [...POSTABLE])?.id ?? i.channelId;
  const runs = nextRuns(cron, 3, new Date());
  const row = await ctx.db.schedules.createSchedule({ skill: name, cronExpression: expression, input, channelId, guildId: i.guildId ?? null, timezone, createdBy: i.user.id, nextRunAt: runs[0] ?? null });
  const times = runs.map((r) => `• ${formatInZone(r, timezone)} ${timezone} (${when(r, 'R')})`);
  await ctx.reply({
    content: `Schedule \`${shortId(row.id)}\` added: **${name}** \`${expression}\` (${timezone}) → <#${channelId}>${input ? ` with input “${oneLine(input, 80)}”` : ''}.\nNext runs:\n${times.join('\n')}`,
    ephemeral: true,
    allowedMentions: { parse: [] },
  });
}

async function list(ctx: CommandContext): Promise<void> {
  const rows = await visibleSchedules(ctx);
  if (!rows.length) {
    await ctx.reply({ content: 'No schedules here. Add one with `/schedule add`.', ephemeral: true });
    return;
  }
  const lines = rows.map((s) => {
    const state = s.enabled ? '✅ on' : '⏸️ off';
    const next = s.enabled && s.nextRunAt ? ` · next ${when(s.nextRunAt, 'R')}` : '';
    const last = s.lastRunAt ? ` · last ${when(s.lastRunAt, 'R')}` : '';
    const input = s.input ? ` · “${oneLine(s.input, 40)}”` : '';
    return `\`${shortId(s.id)}\` ${state} **${s.skill}** \`${s.cronExpression}\` (${s.timezone}) → <#${s.channelId}>${input}${next}${last}`;
  });
  await ctx.reply({ content: fitLines(`${rows.length} schedule(s):`, lines), ephemeral: true, allowedMentions: { parse: [] } });
}

async function remove(ctx: CommandContext, s: Schedule): Promise<void> {
  await ctx.db.schedules.deleteSchedule(s.id);
  await ctx.reply({ content: `Schedule \`${shortId(s.id)}\` (**${s.skill}** \`${s.cronExpression}\`) removed.`, ephemeral: true });
}

async function enable(ctx: CommandContext, s: Schedule): Promise<void> {
  let cron;
  try {
    cron = compileCron(s.cronExpression, s.timezone || 'UTC');
  } catch (e) {
    throw new CommandInputError('id', `schedule ${shortId(s.id)} cannot run: ${(e as Error).message}; remove it and add it again`);
  }
  const next = cron.nextRun(new Date());
  await ctx.db.schedules.updateSchedule(s.id, { enabled: true, nextRunAt: next });
  await ctx.reply({ content: `Schedule \`${shortId(s.id)}\` is on. Next run ${next ? `${formatInZone(next, s.timezone)} ${s.timezone} (${when(next, 'R')})` : 'never'}.`, ephemeral: true });
}

async function disable(ctx: CommandContext, s: Schedule): Promise<void> {
  await ctx.db.schedules.updateSchedule(s.id, { enabled: false, nextRunAt: null });
  await ctx.reply({ content: `Schedule \`${shortId(s.id)}\` is off.`, ephemeral: true });
}

async function runNow(ctx: CommandContext, s: Schedule): Promise<void> {
  const content = await deferredIfSlow(
    ctx,
    async () => {
      const r = await ctx.scheduler.runNow(s);
      if (!r.done || !r.task) return `Not run: the previous run of \`${shortId(s.id)}\` (task \`${shortId(r.busy?.id ?? '')}\`) has not finished.`;
      const t = await r.done;
      if (t.status === 'completed') return `Ran **${s.skill}** (task \`${shortId(t.id)}\`); the output is posted in <#${s.channelId}>.`;
      return `Ran **${s.skill}** (task \`${shortId(t.id)}\`): it failed: ${oneLine(t.error ?? 'unknown error', 1500)}`;
    },
    { ephemeral: true },
  );
  await ctx.reply({ content, ephemeral: true, allowedMentions: { parse: [] } });
}

/** This server's schedules (bot owners in a DM see all). */
async function visibleSchedules(ctx: CommandContext | AutocompleteContext): Promise<Schedule[]> {
  const all = await ctx.db.schedules.listSchedules();
  const guildId = ctx.interaction.guildId;
  return guildId ? all.filter((s) => s.guildId === guildId) : all;
}

/** A full id, or a unique prefix of at least 4 characters, among this server's schedules. */
async function findSchedule(ctx: CommandContext, raw: string): Promise<Schedule> {
  const v = raw.trim().toLowerCase();
  if (!/^[0-9a-f-]{4,36}$/.test(v)) throw new CommandInputError('id', 'give a schedule id (at least its first 4 characters); see /schedule list');
  const matches = (await visibleSchedules(ctx)).filter((s) => s.id === v || s.id.startsWith(v));
  if (!matches.length) throw new CommandInputError('id', `no schedule here has id ${v}; see /schedule list`);
  if (matches.length > 1) throw new CommandInputError('id', `${v} matches ${matches.length} schedules; give more characters`);
  return matches[0];
}

async function idChoices(ctx: AutocompleteContext, typed: string): Promise<{ name: string; value: string }[]> {
  const q = typed.trim().toLowerCase();
  return (await visibleSchedules(ctx))
    .filter((s) => !q || s.id.startsWith(q) || s.skill.includes(q))
    .slice(0, 25)
    .map((s) => ({ name: oneLine(`${shortId(s.id)} · ${s.skill} · ${s.cronExpression} · ${s.enabled ? 'on' : 'off'}`, 100), value: s.id }));
}

let zones: string[] | null = null;
function timezoneChoices(typed: string): { name: string; value: string }[] {
  zones ??= ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')];
  const q = typed.trim().toLowerCase();
  return zones
    .filter((z) => !q || z.toLowerCase().includes(q))
    .slice(0, 25)
    .map((z) => ({ name: z, value: z }));
}
