import { PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { DISCORD_CHANNEL } from '../entities/User';
import { confirmButtons, describeForgotten, describeSummary, isEmpty, readConfirm } from './lib/personal-data';
import { textOption } from './lib/options';
import { CommandInputError, type ButtonContext, type SlashCommand } from './types';

/**
 * /privacy forget — bot owners (BOT_OWNER_IDS) handle a deletion request for someone else, e.g.
 * a person who left the server. Same erasure as `/mydata forget`, with a confirmation button; the
 * handling is written to the `logs` table (who erased which user id, and how much).
 */
export const privacy: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('privacy')
    .setDescription('Handle data requests for other people (bot owners only)')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand((s) =>
      s
        .setName('forget')
        .setDescription('Erase what is stored about a user id (asks for confirmation)')
        .addStringOption((o) => o.setName('user_id').setDescription('Their Discord user id (17–20 digits)').setRequired(true).setMinLength(17).setMaxLength(20)),
    ),
  access: 'owner',
  readsRecorded: { ephemeral: true },
  async execute(ctx) {
    const id = textOption(ctx.interaction, 'user_id', { min: 1, max: 40, required: true });
    if (!/^\d{17,20}$/.test(id)) throw new CommandInputError('user_id', 'must be a Discord user id: 17–20 digits');
    if (id === ctx.gateway.botUserId()) throw new CommandInputError('user_id', 'is this bot; its own records are not personal data');
    await ctx.defer(true);
    const s = await ctx.db.privacy.summarize({ channel: DISCORD_CHANNEL, channelUserId: id });
    if (isEmpty(s)) {
      await ctx.reply({ content: `Nothing is stored about user id \`${id}\`.`, ephemeral: true });
      return;
    }
    await ctx.reply({
      content: `**Erase what is stored about user id \`${id}\`?**\n${describeSummary(s, 'other').join('\n')}\nIt cannot be undone.`,
      components: [confirmButtons('privacy', id, 'Erase their data')],
      ephemeral: true,
    });
  },
  button: confirm,
};

async function confirm(ctx: ButtonContext): Promise<void> {
  const c = readConfirm(ctx.args);
  if (!c) throw new CommandInputError('button', 'is not one this bot made; run `/privacy forget` again');
  if (c.action === 'cancel') return ctx.update({ content: 'Cancelled: nothing was erased.', components: [] });
  if (c.expired) return ctx.update({ content: 'This confirmation has expired; nothing was erased. Run `/privacy forget` again.', components: [] });
  await ctx.interaction.deferUpdate(); // the erasure waits its turn behind what was received before it
  const result = await ctx.recording.forget({ channel: DISCORD_CHANNEL, channelUserId: c.discordUserId });
  const report = describeForgotten(result);
  await ctx.db.logs.createLog({
    level: 'info',
    source: 'privacy',
    message: `user ${c.discordUserId} erased at the request of bot owner ${ctx.interaction.user.id}: ${report}`,
    metadata: { userId: c.discordUserId, by: ctx.interaction.user.id, ...result },
  });
  await ctx.reply({ content: `Erased user id \`${c.discordUserId}\`. ${report}`, components: [] }); // edits the prompt (deferred update)
}
