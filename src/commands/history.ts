import { SlashCommandBuilder } from 'discord.js';
import type { StoredRevision } from '../database/stores/archive.store';
import { integerOption } from './lib/options';
import { oneLine, personOf, plural, when } from './lib/format';
import { messageText } from './lib/message-text';
import type { SlashCommand } from './types';

const LIMIT = { min: 1, max: 50, fallback: 10 };
/** Discord's message limit is 2000 characters; keep room for the header and the note. */
const BUDGET = 1850;
const LINE_MAX = 180;
/** An earlier version's line is shorter: they are context. */
const VERSION_MAX = 120;

/**
 * /history — the caller's recent messages in this channel's current session, privately; edited
 * ones are marked, and with `versions:true` their earlier versions are shown under them (only the
 * caller's own messages are ever listed, so only their own edit history is shown).
 */
export const history: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('history')
    .setDescription('Your recent messages in this channel’s current session (only you see the reply)')
    .addIntegerOption((o) => o.setName('limit').setDescription(`How many (${LIMIT.min}–${LIMIT.max}, default ${LIMIT.fallback})`).setMinValue(LIMIT.min).setMaxValue(LIMIT.max))
    .addBooleanOption((o) => o.setName('versions').setDescription('Also show the earlier versions of your edited messages')),
  readsRecorded: { ephemeral: true },
  async execute(ctx) {
    const limit = integerOption(ctx.interaction, 'limit', LIMIT);
    const versions = ctx.interaction.options.getBoolean('versions') ?? false;
    await ctx.defer(true);
    const user = await ctx.db.users.getUserByChannel(personOf(ctx.interaction));
    const open = user ? await ctx.db.sessions.findOpenSession({ userId: user.id, channelId: ctx.interaction.channelId, idleMs: ctx.recording.idleMs }) : null;
    const newest = open ? await ctx.db.messages.listBySession(open.id, { limit, newestFirst: true, role: 'user' }) : [];
    if (!newest.length) {
      await ctx.reply({ content: 'You have no messages in a current session here.', ephemeral: true });
      return;
    }
    const earlier = versions ? await ctx.db.archive.revisionsOf(newest.filter((m) => m.editedAt).map((m) => m.id)) : new Map<string, StoredRevision[]>();
    const lines: string[] = [];
    let used = 0;
    let shown = 0;
    for (const m of newest) {
      const block = [`${when(m.createdAt, 't')} ${oneLine(messageText(m), LINE_MAX) || '*(no text)*'}${m.editedAt ? ' *(edited)*' : ''}`];
      for (const v of earlier.get(m.id) ?? []) block.push(`  ↳ before ${when(v.replacedAt, 't')}: ${oneLine(v.content, VERSION_MAX) || '*(no text)*'}`);
      const size = block.reduce((n, l) => n + l.length + 1, 0);
      if (used + size > BUDGET) break;
      lines.unshift(...block);
      used += size;
      shown++;
    }
    const cut = newest.length - shown;
    const header = `Your last ${plural(shown, 'message')} in this session (started ${when(open!.createdAt, 'R')}):`;
    const note = cut ? `\n… ${plural(cut, 'older message')} not shown (too long for one reply).` : '';
    await ctx.reply({ content: `${header}\n${lines.join('\n')}${note}`, ephemeral: true, allowedMentions: { parse: [] } });
  },
};
