import { SlashCommandBuilder } from 'discord.js';
import type { Session } from '../entities/Session';
import type { User } from '../entities/User';
import { authorOf, personOf, plural, when } from './lib/format';
import { CommandInputError, type CommandContext, type SlashCommand } from './types';

const NO_SESSION = 'You have no open session in this channel. One starts when you next write here.';

/**
 * /session — the caller's conversation record in this channel. It reads after the recorder has
 * committed what came before it (`readsRecorded`), and ends or starts sessions through the
 * recording pipeline, in order with the caller's messages.
 */
export const session: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('session')
    .setDescription('Your conversation record in this channel')
    .addSubcommand((s) => s.setName('info').setDescription('Your open session here: when it started, messages so far'))
    .addSubcommand((s) => s.setName('new').setDescription('End your session here and start a fresh one'))
    .addSubcommand((s) => s.setName('end').setDescription('End your session here')),
  readsRecorded: { ephemeral: true },
  async execute(ctx) {
    const sub = ctx.interaction.options.getSubcommand(true);
    await ctx.defer(true);
    const user = await ctx.db.users.getUserByChannel(personOf(ctx.interaction));
    const open = user ? await openSession(ctx, user) : null;
    if (sub === 'info') return info(ctx, open);
    if (sub === 'new') return fresh(ctx, open);
    if (sub === 'end') return end(ctx, user, open);
    throw new CommandInputError('subcommand', 'must be info, new or end');
  },
};

function openSession(ctx: CommandContext, user: User): Promise<Session | null> {
  return ctx.db.sessions.findOpenSession({ userId: user.id, channelId: ctx.interaction.channelId, idleMs: ctx.recording.idleMs });
}

async function describe(ctx: CommandContext, s: Session): Promise<string> {
  const n = await ctx.db.messages.countBySession(s.id);
  return `started ${when(s.createdAt, 'R')} (${when(s.createdAt)}), ${plural(n.total, 'message')} so far: ${n.user} from you, ${n.total - n.user} from me`;
}

async function info(ctx: CommandContext, open: Session | null): Promise<void> {
  if (!open) {
    await ctx.reply({ content: NO_SESSION, ephemeral: true });
    return;
  }
  const idleMinutes = Math.round(ctx.recording.idleMs / 60_000);
  await ctx.reply({ content: `Your session here ${await describe(ctx, open)}. Last message ${when(open.updatedAt, 'R')}; it closes after ${plural(idleMinutes, 'minute')} without messages.`, ephemeral: true });
}

/** Ends the open session (if any) and starts a new one in one transaction; this reply is its first message. */
async function fresh(ctx: CommandContext, open: Session | null): Promise<void> {
  const i = ctx.interaction;
  const previous = open ? await describe(ctx, open) : null;
  await ctx.recording.startFreshSession(authorOf(i), i.channelId, i.guildId);
  await ctx.reply({ content: previous ? `Ended your session here (it ${previous}) and started a fresh one.` : 'Started a fresh session here.', ephemeral: true });
}

/**
 * Ends the open session. The reply is sent and recorded first, so it lands in the session it
 * closes rather than opening a new one; your next message starts the next session.
 */
async function end(ctx: CommandContext, user: User | null, open: Session | null): Promise<void> {
  if (!user || !open) {
    await ctx.reply({ content: 'You have no open session in this channel; nothing to end.', ephemeral: true });
    return;
  }
  const i = ctx.interaction;
  await ctx.reply({ content: `Ended your session here (it ${await describe(ctx, open)}). Your next message starts a new one.`, ephemeral: true });
  // Queued behind the reply just recorded, so the reply lands in the session it closes.
  await ctx.recording.endSession(authorOf(i), i.channelId, i.guildId);
}
