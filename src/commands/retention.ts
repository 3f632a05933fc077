import { ChannelType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { MAX_RETENTION_DAYS } from '../database/stores/retention.store';
import { deferredIfSlow } from './lib/defer';
import { fitLines, plural, when } from './lib/format';
import { CommandInputError, type CommandContext, type SlashCommand } from './types';

const RECORDABLE = [
  ChannelType.GuildText,
  ChannelType.GuildAnnouncement,
  ChannelType.GuildForum,
  ChannelType.GuildVoice,
  ChannelType.GuildStageVoice,
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
] as const;

/**
 * /retention set|clear|show|run — how long recorded messages are kept. Admins only. A channel's
 * rule (its threads follow it) overrides RETENTION_DAYS; 0 days keeps the channel's messages for
 * ever. The purge runs once a UTC day across every process; `run` purges now.
 */
export const retention: SlashCommand = {
  access: 'admin',
  data: new SlashCommandBuilder()
    .setName('retention')
    .setDescription('How long recorded messages are kept (admins)')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand((s) =>
      s
        .setName('set')
        .setDescription("Set a channel's retention (its threads follow it)")
        .addChannelOption((o) =>
          o
            .setName('channel')
            .setDescription('The channel')
            .setRequired(true)
            .addChannelTypes(...RECORDABLE),
        )
        .addIntegerOption((o) => o.setName('days').setDescription('Days messages are kept; 0 keeps them for ever').setRequired(true).setMinValue(0).setMaxValue(MAX_RETENTION_DAYS)),
    )
    .addSubcommand((s) =>
      s
        .setName('clear')
        .setDescription("Remove a channel's rule: it follows RETENTION_DAYS again")
        .addChannelOption((o) =>
          o
            .setName('channel')
            .setDescription('The channel')
            .setRequired(true)
            .addChannelTypes(...RECORDABLE),
        ),
    )
    .addSubcommand((s) => s.setName('show').setDescription('The retention in force, the channel rules and the last purge'))
    .addSubcommand((s) => s.setName('run').setDescription('Purge what is past its retention now')),
  async execute(ctx) {
    const sub = ctx.interaction.options.getSubcommand(true);
    if (sub === 'set') return set(ctx);
    if (sub === 'clear') return clear(ctx);
    if (sub === 'show') return show(ctx);
    if (sub === 'run') return runNow(ctx);
    throw new CommandInputError('subcommand', 'must be set, clear, show or run');
  },
};

function globalText(days: number | null): string {
  return days ? `${plural(days, 'day')} (RETENTION_DAYS)` : 'for ever (RETENTION_DAYS is not set)';
}

async function set(ctx: CommandContext): Promise<void> {
  const i = ctx.interaction;
  const channel = i.options.getChannel('channel', true, [...RECORDABLE]);
  const days = i.options.getInteger('days', true);
  if (!Number.isInteger(days) || days < 0 || days > MAX_RETENTION_DAYS) throw new CommandInputError('days', `must be a whole number from 0 (keep for ever) to ${MAX_RETENTION_DAYS}`);
  const { created } = await ctx.db.retention.setRule({ channelId: channel.id, guildId: i.guildId ?? null, days, setBy: i.user.id });
  const verb = created ? 'set' : 'changed';
  if (days === 0) {
    await ctx.reply({ content: `Retention ${verb}: <#${channel.id}> keeps its messages for ever (everywhere else: ${globalText(ctx.retention.globalDays)}).`, ephemeral: true, allowedMentions: { parse: [] } });
    return;
  }
  const older = await ctx.db.retention.countOlder([channel.id], new Date(Date.now() - days * 86_400_000));
  const due = older ? ` ${plural(older, 'message')} there ${older === 1 ? 'is' : 'are'} older than that: the daily purge deletes them (or \`/retention run\` now).` : '';
  await ctx.reply({ content: `Retention ${verb}: <#${channel.id}> (and its threads) keeps messages for ${plural(days, 'day')}.${due}`, ephemeral: true, allowedMentions: { parse: [] } });
}

async function clear(ctx: CommandContext): Promise<void> {
  const channel = ctx.interaction.options.getChannel('channel', true, [...RECORDABLE]);
  const removed = await ctx.db.retention.clearRule(channel.id);
  const content = removed
    ? `Rule removed: <#${channel.id}> follows the global retention again: ${globalText(ctx.retention.globalDays)}.`
    : `<#${channel.id}> has no rule of its own; it follows the global retention: ${globalText(ctx.retention.globalDays)}.`;
  await ctx.reply({ content, ephemeral: true, allowedMentions: { parse: [] } });
}

async function show(ctx: CommandContext): Promise<void> {
  const guildId = ctx.interaction.guildId;
  const rules = (await ctx.db.retention.listRules()).filter((r) => !guildId || r.guildId === guildId || r.guildId === null);
  const last = await ctx.db.retention.lastRun();
  const lines = rules.map((r) => `• <#${r.channelId}>: ${r.days ? plural(r.days, 'day') : 'for ever'}${r.setBy ? ` · set by <@${r.setBy}>` : ''} ${when(r.updatedAt, 'R')}`);
  const purge = last
    ? last.finishedAt
      ? `Last purge ${when(last.finishedAt, 'R')}: ${plural(last.messages, 'message')}, ${plural(last.revisions, 'revision')}, ${plural(last.reactions, 'reaction')}, ${plural(last.attachments, 'attachment')} deleted.`
      : `A purge started ${when(last.startedAt, 'R')} and has not finished.`
    : 'No purge has run yet.';
  const head = `Messages are kept ${globalText(ctx.retention.globalDays)} unless a channel has its own rule. ${purge}\n${rules.length ? `${plural(rules.length, 'channel rule')}:` : 'No channel rules (`/retention set`).'}`;
  await ctx.reply({ content: fitLines(head, lines), ephemeral: true, allowedMentions: { parse: [] } });
}

async function runNow(ctx: CommandContext): Promise<void> {
  const r = await deferredIfSlow(ctx, () => ctx.retention.purge(), { ephemeral: true });
  const content = r.messages
    ? `Purged ${plural(r.messages, 'message')} in ${plural(r.channels, 'channel')}, with ${plural(r.revisions, 'revision')}, ${plural(r.reactions, 'reaction')} and ${plural(r.attachments, 'attachment')}.`
    : 'Nothing is past its retention.';
  await ctx.reply({ content, ephemeral: true });
}
