import { SlashCommandBuilder } from 'discord.js';
import { clip } from '../assistant/post';
import { SkillInputError } from '../skills';
import { deferredIfSlow } from './lib/defer';
import { authorOf, shortId } from './lib/format';
import { skillChoices } from './lib/skills';
import { CommandInputError, type SlashCommand } from './types';

/**
 * /run skill:<name> input:<text> — runs a skill as a task in the caller's session and answers
 * with its output (deferred when it takes more than 1.5 s). The skill's permissions are checked
 * first; a bad input is refused naming the `input` option and nothing is written. The task goes
 * pending → in_progress → completed (output) or failed (error, also on timeout).
 */
export const run: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('run')
    .setDescription('Run a skill now')
    .addStringOption((o) => o.setName('skill').setDescription('Which skill').setRequired(true).setAutocomplete(true).setMaxLength(64))
    .addStringOption((o) => o.setName('input').setDescription('What the skill gets, e.g. "10m take a break" for remind').setMaxLength(2000)),
  async execute(ctx) {
    const i = ctx.interaction;
    const registry = ctx.skills;
    const name = i.options.getString('skill', true).trim().toLowerCase();
    const raw = i.options.getString('input') ?? '';
    const skill = registry.get(name);
    if (!skill) throw new CommandInputError('skill', `there is no skill named "${name}"; choose one of ${registry.names().join(', ')}`);
    const refusal = registry.refusal(skill, { isAdmin: ctx.isAdmin });
    if (refusal) {
      ctx.logger.warn({ userId: i.user.id, guildId: i.guildId, channelId: i.channelId, skill: name }, `refused /run ${name} for user ${i.user.id}: ${refusal}`);
      await ctx.reply({ content: `Sorry, ${refusal}.`, ephemeral: true });
      return;
    }
    try {
      skill.parse(raw, { now: new Date(), timezone: 'UTC' });
    } catch (e) {
      if (e instanceof SkillInputError) throw new CommandInputError('input', `${e.message}${skill.usage ? ` (usage: ${skill.usage})` : ''}`);
      throw e;
    }

    const reply = await deferredIfSlow(ctx, async () => {
      // Queued with the recorder's events: the session is the one the caller's messages are in.
      const { session } = await ctx.recording.ensureSession(authorOf(i), i.channelId, i.guildId ?? null);
      const task = await ctx.db.tasks.createTask({ sessionId: session.id, skill: name, input: raw, channelId: i.channelId });
      const done = await ctx.tasks.execute(task, { userId: i.user.id, isAdmin: ctx.isAdmin, guildId: i.guildId ?? null });
      if (done.status === 'completed') return { content: clip(done.output?.trim() ? done.output : '(no output)'), ephemeral: false };
      return { content: clip(`The \`${name}\` skill failed (task \`${shortId(done.id)}\`): ${done.error ?? 'unknown error'}`), ephemeral: true };
    });
    await ctx.reply({ ...reply, allowedMentions: { parse: [] } });
  },
  async autocomplete(ctx) {
    const focused = ctx.interaction.options.getFocused(true);
    await ctx.interaction.respond(focused.name === 'skill' ? await skillChoices(ctx, String(focused.value)) : []);
  },
};
