import { PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { LOG_ROW_LEVELS, type Log, type LogRowLevel } from '../entities/Log';
import { CommandInputError, type SlashCommand } from './types';

/**
 * /logs level:<debug|info|warn|error> limit:<1–50> — the newest rows of the `logs` table at that
 * level and above (admins). The table holds LOG_DB_LEVEL and above (default warn); older rows are
 * purged after LOG_RETENTION_DAYS.
 */
export const logs: SlashCommand = {
  access: 'admin',
  data: new SlashCommandBuilder()
    .setName('logs')
    .setDescription('Recent warnings and errors from the logs table (admins)')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addStringOption((o) =>
      o
        .setName('level')
        .setDescription('This level and above (default warn)')
        .addChoices(...LOG_ROW_LEVELS.map((l) => ({ name: l, value: l }))),
    )
    .addIntegerOption((o) => o.setName('limit').setDescription('How many (1–50, default 10)').setMinValue(1).setMaxValue(50)),
  async execute(ctx) {
    const i = ctx.interaction;
    const level = (i.options.getString('level') ?? 'warn') as LogRowLevel;
    if (!(LOG_ROW_LEVELS as readonly string[]).includes(level)) throw new CommandInputError('level', `must be one of ${LOG_ROW_LEVELS.join(', ')}`);
    const limit = i.options.getInteger('limit') ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new CommandInputError('limit', 'must be a whole number from 1 to 50');
    await ctx.log.flush();
    const rows = await ctx.db.logs.listLogs({ minLevel: level, limit });
    if (!rows.length) {
      await ctx.reply({ content: `No log entries at ${level} or above. (The table keeps ${ctx.config.logDbLevel} and above — LOG_DB_LEVEL — for ${ctx.config.logRetentionDays} days.)`, ephemeral: true });
      return;
    }
    await ctx.reply({ content: render(rows, level), ephemeral: true, allowedMentions: { parse: [] } });
  },
};

/** A code block, newest first, cut to fit one message. */
function render(rows: Log[], level: string): string {
  const head = `Newest ${rows.length} log entr${rows.length === 1 ? 'y' : 'ies'} at ${level} or above:`;
  const lines: string[] = [];
  let size = head.length + 8;
  for (const r of rows) {
    const when = r.createdAt.toISOString().replace('T', ' ').slice(0, 19);
    const msg = r.message.replace(/```/g, "'''").replace(/\s+/g, ' ').trim();
    const line = `${when} ${r.level.toUpperCase().padEnd(5)} [${r.source}] ${msg.length > 300 ? `${msg.slice(0, 299)}…` : msg}`;
    if (size + line.length + 1 > 1900) {
      lines.push(`… ${rows.length - lines.length} more not shown`);
      break;
    }
    lines.push(line);
    size += line.length + 1;
  }
  return `${head}\n\`\`\`\n${lines.join('\n')}\n\`\`\``;
}
