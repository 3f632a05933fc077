import { SlashCommandBuilder } from 'discord.js';
import { integerOption } from './lib/options';
import { oneLine, personOf, plural, when } from './lib/format';
import type { SlashCommand } from './types';

const LIMIT = { min: 1, max: 50, fallback: 10 };
/** Discord's message limit is 2000 characters; keep room for the header and the note. */
const BUDGET = 1850;
const LINE_MAX = 180;

/** /history — the caller's recent messages in this channel's current session, privately. */
export const history: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('history')
    .setDescription('Your recent messages in this channel’s current session (only you see the reply)')
    .addIntegerOption((o) => o.setName('limit').setDescription(`How many (${LIMIT.min}–${LIMIT.max}, default ${LIMIT.fallback})`).setMinValue(LIMIT.min).setMaxValue(LIMIT.max)),
  readsRecorded: { ephemeral: true },
  async execute(ctx) {
    const limit = integerOption(ctx.interaction, 'limit', LIMIT);
    await ctx.defer(true);
    const user = await ctx.db.users.getUserByChannel(personOf(ctx.interaction));
    const open = user ? await ctx.db.sessions.findOpenSession({ userId: user.id, channelId: ctx.interaction.channelId, idleMs: ctx.recording.idleMs }) : null;
    const newest = open ? await ctx.db.messages.listBySession(open.id, { limit, newestFirst: true, role: 'user' }) : [];
    if (!newest.length) {
      await ctx.reply({ content: 'You have no messages in a current session here.', ephemeral: true });
      return;
    }
    const lines: string[] = [];
    let used = 0;
    for (const m of newest) {
      const line = `${when(m.createdAt, 't')} ${oneLine(m.content, LINE_MAX) || '*(no text)*'}${m.editedAt ? ' *(edited)*' : ''}`;
      if (used + line.length + 1 > BUDGET) break;
      lines.unshift(line);
      used += line.length + 1;
    }
    const cut = newest.length - lines.length;
    const header = `Your last ${plural(lines.length, 'message')} in this session (started ${when(open!.createdAt, 'R')}):`;
    const note = cut ? `\n… ${plural(cut, 'older message')} not shown (too long for one reply).` : '';
    await ctx.reply({ content: `${header}\n${lines.join('\n')}${note}`, ephemeral: true, allowedMentions: { parse: [] } });
  },
};
