import { escapeMarkdown, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { MessageStats, StatsBucket } from '../database/stores/stats.store';
import { renderBarChart } from './lib/chart';
import { plural } from './lib/format';
import { choiceOption, integerOption } from './lib/options';
import { CommandInputError, type CommandContext, type SlashCommand } from './types';

const SCOPES = ['channel', 'server'] as const;
const DAYS = { min: 1, max: 90, fallback: 7 };
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Statistics may be a moment behind: a reply does not wait longer than this on a busy recorder. */
const FLUSH_WAIT_MS = 2000;

/**
 * /stats — message counts, active people, top posters and busiest hours for this channel or the
 * whole server over the last N days, with a PNG chart (messages per day, or per hour for one day).
 * Counts people's messages only, never deleted ones; times are UTC. Deferred: on a big database
 * the aggregation can take longer than Discord's 3 seconds.
 */
export const stats: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('stats')
    .setDescription('Message statistics for this channel or server, with a chart')
    .addStringOption((o) =>
      o
        .setName('scope')
        .setDescription('This channel (default) or the whole server')
        .addChoices(...SCOPES.map((s) => ({ name: s, value: s }))),
    )
    .addIntegerOption((o) => o.setName('days').setDescription(`How many days back (${DAYS.min}–${DAYS.max}, default ${DAYS.fallback})`).setMinValue(DAYS.min).setMaxValue(DAYS.max)),
  readsRecorded: { ephemeral: false, maxWaitMs: FLUSH_WAIT_MS },
  // The chart is a file in a public reply.
  botPermissions: [PermissionFlagsBits.AttachFiles],
  async execute(ctx) {
    const i = ctx.interaction;
    const scope = choiceOption(i, 'scope', SCOPES, 'channel');
    const days = integerOption(i, 'days', DAYS);
    if (scope === 'server' && !i.guildId) throw new CommandInputError('scope', 'server only works in a server; use channel here');
    await ctx.defer();
    const window = statsWindow(days, new Date());
    const result = await ctx.db.stats.messageStats({ scope: scope === 'server' ? { guildId: i.guildId! } : { channelId: i.channelId }, ...window, top: 5 });
    const where = scope === 'server' ? (i.guild?.name ? escapeMarkdown(i.guild.name) : 'this server') : `<#${i.channelId}>`;
    const period = days === 1 ? 'the last 24 hours' : `the last ${days} days`;
    const chart = await renderBarChart({
      title: `Messages per ${window.bucket} — ${scope === 'server' ? (i.guild?.name ?? 'server') : `#${channelName(ctx)}`}`,
      subtitle: `${period}, UTC · ${plural(result.messages, 'message')} from ${plural(result.activeUsers, 'person', 'people')}`,
      labels: result.series.map((p) => (window.bucket === 'day' ? p.bucket.slice(5) : p.bucket.slice(11, 13))),
      values: result.series.map((p) => p.messages),
    });
    await ctx.reply({ content: summary(where, period, result), files: [{ attachment: chart, name: 'stats.png' }], allowedMentions: { parse: [] } });
  },
};

/** The window: whole UTC days ending today, or the last 24 whole hours (this one included) for one day. */
export function statsWindow(days: number, now: Date): { since: Date; until: Date; bucket: StatsBucket } {
  if (days === 1) {
    const hour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    return { since: new Date(hour - 23 * HOUR_MS), until: new Date(hour + HOUR_MS), bucket: 'hour' };
  }
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return { since: new Date(today - (days - 1) * DAY_MS), until: new Date(today + DAY_MS), bucket: 'day' };
}

function summary(where: string, period: string, s: MessageStats): string {
  if (!s.messages) return `No messages in ${where} in ${period}.`;
  const top = s.topPosters.map((p) => `${escapeMarkdown(p.name ?? 'someone')} (${p.messages})`).join(', ');
  const busiest = s.byHourOfDay
    .map((n, h) => ({ h, n }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n || a.h - b.h)
    .slice(0, 3)
    .map((x) => `${String(x.h).padStart(2, '0')}:00 (${x.n})`)
    .join(', ');
  return [`**${where}, ${period}**`, `Messages: ${s.messages} · Active people: ${s.activeUsers}`, `Top posters: ${top}`, `Busiest hours (UTC): ${busiest}`].join('\n');
}

function channelName(ctx: CommandContext): string {
  const c = ctx.interaction.channel;
  return c && 'name' in c && c.name ? c.name : ctx.interaction.channelId;
}
