import { SlashCommandBuilder } from 'discord.js';
import type { Task } from '../entities/Task';
import { DISCORD_CHANNEL } from '../entities/User';
import { fitLines, oneLine, shortId, when } from './lib/format';
import type { SlashCommand } from './types';

const ICON: Record<string, string> = { pending: '⏳', in_progress: '🔄', completed: '✅', failed: '❌' };

/** /tasks — the caller's recent tasks (from /run and the reminders they set) with their status. */
export const tasks: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('tasks')
    .setDescription('Your recent tasks and their status')
    .addIntegerOption((o) => o.setName('limit').setDescription('How many (1–25, default 10)').setMinValue(1).setMaxValue(25)),
  async execute(ctx) {
    const i = ctx.interaction;
    const limit = Math.min(25, Math.max(1, i.options.getInteger('limit') ?? 10));
    const user = await ctx.db.users.getUserByChannel({ channel: DISCORD_CHANNEL, channelUserId: i.user.id });
    const rows = user ? await ctx.db.tasks.listTasksForUser(user.id, limit) : [];
    if (!rows.length) {
      await ctx.reply({ content: 'You have no tasks yet. Start one with `/run`.', ephemeral: true });
      return;
    }
    await ctx.reply({ content: fitLines(`Your ${rows.length === 1 ? 'latest task' : `latest ${rows.length} tasks`}:`, rows.map(line)), ephemeral: true, allowedMentions: { parse: [] } });
  },
};

function line(t: Task): string {
  const head = `${ICON[t.status] ?? '•'} \`${shortId(t.id)}\` **${t.skill}** ${t.status.replace('_', ' ')} · ${when(t.createdAt, 'R')}`;
  if (t.status === 'pending' && t.runAt) return `${head} · runs ${when(t.runAt, 'R')}`;
  if (t.status === 'failed') return `${head} — ${oneLine(t.error ?? 'unknown error', 120)}`;
  if (t.status === 'completed' && t.output) return `${head} — ${oneLine(t.output, 80)}`;
  return head;
}
