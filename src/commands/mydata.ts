import { SlashCommandBuilder } from 'discord.js';
import { personOf, plural } from './lib/format';
import { writePersonalExport } from './lib/personal-export-file';
import { confirmButtons, describeForgotten, describeSummary, isEmpty, readConfirm } from './lib/personal-data';
import { CommandInputError, type ButtonContext, type CommandContext, type SlashCommand } from './types';

const NOTHING = 'I have nothing stored about you.';
/** Used when the interaction does not say (Discord's default upload limit). */
const DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;

/**
 * /mydata — what Chronicle stores about the caller: a summary, a JSON export, and erasure after a
 * confirmation button. Every subcommand reads after the recorder has committed what came before
 * it (`readsRecorded`), so the caller's latest messages are included. What erasure removes is
 * described on PrivacyStore; it runs through the recording pipeline (see `Recording.forget`).
 */
export const mydata: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('mydata')
    .setDescription('See, export or erase what Chronicle stores about you')
    .addSubcommand((s) => s.setName('show').setDescription('What is stored about you: counts and dates per table'))
    .addSubcommand((s) => s.setName('export').setDescription('Everything stored about you, as a JSON file'))
    .addSubcommand((s) => s.setName('forget').setDescription('Erase what is stored about you (asks for confirmation)')),
  readsRecorded: { ephemeral: true },
  async execute(ctx) {
    const sub = ctx.interaction.options.getSubcommand(true);
    if (sub === 'show') return show(ctx);
    if (sub === 'export') return exportData(ctx);
    if (sub === 'forget') return offerForget(ctx);
    throw new CommandInputError('subcommand', 'must be show, export or forget');
  },
  button: forgetButton,
};

async function show(ctx: CommandContext): Promise<void> {
  await ctx.defer(true);
  const s = await ctx.db.privacy.summarize(personOf(ctx.interaction));
  if (isEmpty(s)) {
    await ctx.reply({ content: NOTHING, ephemeral: true });
    return;
  }
  const tail = 'Get a copy with `/mydata export`; erase it with `/mydata forget`.';
  await ctx.reply({ content: `**What I store about you**\n${describeSummary(s).join('\n')}\n${tail}`, ephemeral: true });
}

async function exportData(ctx: CommandContext): Promise<void> {
  await ctx.defer(true);
  const i = ctx.interaction;
  // Streamed page by page into a temporary file (flat memory for a person with any number of messages).
  const out = await writePersonalExport(i.user.id, ctx.db.privacy.exportParts(personOf(i)), i.attachmentSizeLimit || DEFAULT_UPLOAD_LIMIT);
  try {
    const { counts, file } = out;
    if (!counts.user && !counts.schedulesCreated && !counts.reactions && !counts.pollVotes) {
      await ctx.reply({ content: NOTHING, ephemeral: true });
      return;
    }
    if (!file) {
      await ctx.reply({ content: 'Your data is too large for one Discord upload even compressed; ask a bot owner for a copy.', ephemeral: true });
      return;
    }
    const parts = [plural(counts.sessions, 'session'), plural(counts.messages, 'message')];
    if (counts.revisions) parts.push(plural(counts.revisions, 'earlier version'));
    if (counts.reactions) parts.push(plural(counts.reactions, 'reaction'));
    if (counts.pollVotes) parts.push(plural(counts.pollVotes, 'poll vote'));
    if (counts.attachments) parts.push(`${plural(counts.attachments, 'attachment')} (described; the files are not in the export)`);
    parts.push(plural(counts.tasks, 'task'));
    await ctx.reply({
      content: `Everything stored about you: ${counts.user ? 'your user record, ' : ''}${parts.join(', ')}${counts.schedulesCreated ? `, ${plural(counts.schedulesCreated, 'schedule')} you created` : ''}.`,
      files: [file],
      ephemeral: true,
    });
  } finally {
    await out.cleanup();
  }
}

async function offerForget(ctx: CommandContext): Promise<void> {
  await ctx.defer(true);
  const i = ctx.interaction;
  const s = await ctx.db.privacy.summarize(personOf(i));
  if (isEmpty(s)) {
    await ctx.reply({ content: NOTHING, ephemeral: true });
    return;
  }
  await ctx.reply({
    content: `**This permanently erases what I store about you:**\n${describeSummary(s).join('\n')}\nIt cannot be undone. Messages you write later in recorded channels are recorded again.`,
    components: [confirmButtons('mydata', i.user.id, 'Erase my data')],
    ephemeral: true,
  });
}

/**
 * The confirmation. The erasure runs in one transaction; the result replaces the prompt without
 * being recorded (recording it would store the person again, under their name, in a new session).
 */
async function forgetButton(ctx: ButtonContext): Promise<void> {
  const c = readConfirm(ctx.args);
  if (!c) throw new CommandInputError('button', 'is not one this bot made; run `/mydata forget` again');
  if (c.action === 'cancel') return ctx.update({ content: 'Cancelled: nothing was erased.', components: [] });
  if (c.discordUserId !== ctx.interaction.user.id) {
    await ctx.reply({ content: 'This confirmation belongs to someone else; run `/mydata forget` yourself.', ephemeral: true });
    return;
  }
  if (c.expired) return ctx.update({ content: 'This confirmation has expired; nothing was erased. Run `/mydata forget` again.', components: [] });
  await ctx.interaction.deferUpdate(); // the erasure waits its turn behind what was received before it
  const result = await ctx.recording.forget(personOf(ctx.interaction));
  await ctx.interaction.editReply({ content: `Done: I no longer store anything about you. ${describeForgotten(result)}`, components: [] });
}
