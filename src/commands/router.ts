import { randomBytes } from 'node:crypto';
import { Events, MessageFlags, PermissionFlagsBits, type ButtonInteraction, type Client, type ChatInputCommandInteraction, type Interaction, type Message } from 'discord.js';
import { StoreError, ValidationError, NotFoundError } from '../database/errors';
import type { Logger } from '../logger';
import type { ButtonContext, CommandContext, CommandServices, ReplyOptions, SlashCommand } from './types';
import { CommandInputError } from './types';
import { deferredIfSlow } from './lib/defer';
import { authorOf } from './lib/format';
import { recordedAuthor } from '../recording/events';
import type { CommandOutcome } from '../metrics/metrics';

type AnyInteraction = ChatInputCommandInteraction | ButtonInteraction;

/**
 * Routes interactions to the command files: checks access on the server side (a refused attempt
 * gets an ephemeral reply and a `logs` row, and nothing runs), turns bad input into an ephemeral
 * reply naming the option, and any other failure into a short apology with an error id that the
 * logs carry — never a stack trace, never a silent "interaction failed". A command that reads
 * recorded data (`readsRecorded`) runs once the recorder has committed what came before it.
 * Ephemeral replies are recorded here as `assistant` messages in the invoking user's session
 * (Discord does not echo them); the others come back on the gateway and the recorder takes them.
 */
export class CommandRouter {
  private readonly byName = new Map<string, SlashCommand>();
  private readonly logger: Logger;
  private readonly onInteraction = (i: Interaction) => void this.route(i);

  constructor(
    private readonly client: Client,
    private readonly services: CommandServices,
    commands: SlashCommand[],
  ) {
    for (const c of commands) this.byName.set(c.data.name, c);
    this.logger = services.log.logger.child({ source: 'commands' });
  }

  start(): void {
    this.client.on(Events.InteractionCreate, this.onInteraction);
  }

  stop(): void {
    this.client.off(Events.InteractionCreate, this.onInteraction);
  }

  private isOwner(userId: string): boolean {
    return this.services.config.ownerIds.includes(userId);
  }

  private isAdmin(i: Interaction): boolean {
    if (this.isOwner(i.user.id)) return true;
    const perms = i.memberPermissions;
    return !!perms && (perms.has(PermissionFlagsBits.ManageGuild) || perms.has(PermissionFlagsBits.Administrator));
  }

  private async route(i: Interaction): Promise<void> {
    try {
      if (i.isChatInputCommand()) await this.runCommand(i);
      else if (i.isAutocomplete()) {
        const cmd = this.byName.get(i.commandName);
        // The command's access rule holds for its suggestions too (they can name admins' data).
        if (cmd?.autocomplete && this.permits(cmd, this.isAdmin(i), this.isOwner(i.user.id))) await cmd.autocomplete({ ...this.services, interaction: i, isAdmin: this.isAdmin(i) });
        else await i.respond([]);
      } else if (i.isButton()) await this.runButton(i);
    } catch (e) {
      this.logger.error({ err: (e as Error).message, interaction: i.id }, 'interaction handling failed');
    }
  }

  /** Told of every command and button handled: its label, outcome and duration (the metrics). */
  onOutcome?: (label: string, outcome: CommandOutcome, ms: number) => void;

  private async runCommand(i: ChatInputCommandInteraction): Promise<void> {
    const started = performance.now();
    const cmd = this.byName.get(i.commandName);
    const ctx = this.context(i);
    if (!cmd) {
      await ctx.reply({ content: `I do not know \`/${i.commandName}\` (any more). Ask an admin to run \`npm run deploy-commands\`.`, ephemeral: true });
      return;
    }
    const label = `/${[i.commandName, i.options.getSubcommandGroup(false), i.options.getSubcommand(false)].filter(Boolean).join(' ')}`;
    if (!(await this.allowed(cmd, ctx, label))) return this.onOutcome?.(`/${i.commandName}`, 'refused', performance.now() - started);
    const outcome = await this.guard(ctx, label, async () => {
      const reads = cmd.readsRecorded;
      if (reads) await deferredIfSlow(ctx, () => this.services.recording.settled(reads.maxWaitMs), { ephemeral: reads.ephemeral, afterMs: 1000 });
      await cmd.execute(ctx);
    });
    this.onOutcome?.(`/${i.commandName}`, outcome, performance.now() - started);
  }

  private async runButton(i: ButtonInteraction): Promise<void> {
    const started = performance.now();
    const [name, ...args] = i.customId.split(':');
    const cmd = this.byName.get(name);
    const base = this.context(i);
    if (!cmd?.button) {
      await base.reply({ content: 'This button no longer does anything.', ephemeral: true });
      return;
    }
    const ctx: ButtonContext = {
      ...base,
      interaction: i,
      args,
      update: async (options) => {
        const opts = normalise(options);
        const { ephemeral: _e, ...rest } = opts;
        const res = await i.update({ ...rest, withResponse: true });
        const m = res.resource?.message;
        // An ephemeral message's new content: Discord does not echo the edit either.
        if (m && this.isEphemeral(m)) this.services.recording.recordReply({ kind: 'edit', discordMessageId: m.id, content: this.services.config.recordContent ? m.content : '', editedAt: m.editedAt ?? new Date() });
      },
    };
    if (!(await this.allowed(cmd, ctx, `/${name} button`))) return this.onOutcome?.(`/${name} button`, 'refused', performance.now() - started);
    const outcome = await this.guard(ctx, `/${name} button`, () => cmd.button!(ctx));
    this.onOutcome?.(`/${name} button`, outcome, performance.now() - started);
  }

  private permits(cmd: SlashCommand, isAdmin: boolean, isOwner: boolean): boolean {
    const access = cmd.access ?? 'everyone';
    return access === 'everyone' || (access === 'admin' && isAdmin) || (access === 'owner' && isOwner);
  }

  /**
   * A refusal stores exactly one thing: its audit row in `logs` (the stdout line says `audited`
   * and does not go to the table again). Its reply is not recorded: the member's session gets
   * nothing, and someone with no record still has none.
   */
  private async allowed(cmd: SlashCommand, ctx: CommandContext | ButtonContext, label: string): Promise<boolean> {
    if (this.permits(cmd, ctx.isAdmin, ctx.isOwner)) return true;
    const access = cmd.access ?? 'everyone';
    const i = ctx.interaction;
    const need = access === 'owner' ? 'bot owners (BOT_OWNER_IDS)' : 'server admins (Manage Server)';
    await this.services.db.logs
      .createLog({ level: 'warn', source: 'commands', message: `refused ${label} for user ${i.user.id}: only ${need}`, metadata: { userId: i.user.id, guildId: i.guildId, channelId: i.channelId, command: label } })
      .catch((e: Error) => this.logger.error({ err: e.message }, 'could not write the refusal to the logs table'));
    this.logger.warn({ userId: i.user.id, command: label, audited: true }, 'command refused: not allowed');
    await i.reply({ content: `Sorry, \`${label}\` is for ${need} only.`, flags: MessageFlags.Ephemeral });
    return false;
  }

  private async guard(ctx: CommandContext | ButtonContext, label: string, fn: () => Promise<void>): Promise<CommandOutcome> {
    try {
      await fn();
      return 'ok';
    } catch (e) {
      if (e instanceof CommandInputError || e instanceof ValidationError || e instanceof NotFoundError) {
        const text = e instanceof CommandInputError ? e.message : e.message.replace(/^bot_status /, 'status ');
        await ctx.reply({ content: `That did not work: ${text}`, ephemeral: true }).catch(() => undefined);
        return 'invalid';
      }
      const errorId = randomBytes(4).toString('hex');
      this.logger.error({ errorId, command: label, err: (e as Error).message, stack: e instanceof StoreError ? undefined : (e as Error).stack }, `command ${label} failed (error id ${errorId})`);
      await ctx
        .reply({ content: `Sorry, something went wrong running \`${label}\`. Error id: \`${errorId}\` — an admin can find it in the logs.`, ephemeral: true })
        .catch((err: Error) => this.logger.error({ errorId, err: err.message }, 'could not send the apology'));
      return 'error';
    }
  }

  private context(i: AnyInteraction): CommandContext {
    const reply = async (options: string | ReplyOptions) => {
      const opts = normalise(options);
      const { ephemeral, ...rest } = opts;
      const flags = ephemeral ? MessageFlags.Ephemeral : undefined;
      let message: Message | null = null;
      if (i.deferred && !i.replied) message = await i.editReply(rest);
      else if (i.replied) message = await i.followUp({ ...rest, flags });
      else message = (await i.reply({ ...rest, flags, withResponse: true })).resource?.message ?? null;
      this.record(i, message, opts);
    };
    return {
      ...this.services,
      interaction: i as ChatInputCommandInteraction,
      logger: this.logger,
      isAdmin: this.isAdmin(i),
      isOwner: this.isOwner(i.user.id),
      reply,
      defer: async (ephemeral = false) => {
        if (!i.deferred && !i.replied) await i.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
      },
    };
  }

  /** Whether a reply is one the router records: ephemeral (Discord does not echo it on the gateway). */
  private isEphemeral(message: Message): boolean {
    return message.flags.has(MessageFlags.Ephemeral);
  }

  /** An ephemeral reply as an assistant message in the invoking user's session. */
  private record(i: AnyInteraction, message: Message | null, opts: ReplyOptions): void {
    if (!message || !i.channelId || !this.isEphemeral(message)) return;
    const me = this.client.user!;
    const files = opts.files ?? [];
    this.services.recording.recordReply({
      kind: 'create',
      discordMessageId: message.id,
      channelId: i.channelId,
      guildId: i.guildId ?? null,
      author: recordedAuthor({ id: me.id, username: me.username, global_name: me.globalName }),
      role: 'assistant',
      sessionOwner: authorOf(i),
      content: this.services.config.recordContent ? (message.content ?? opts.content ?? '') : '',
      createdAt: message.createdAt,
      metadata: {
        interaction: { name: i.isChatInputCommand() ? i.commandName : i.customId, userId: i.user.id },
        ephemeral: true,
        ...(files.length ? { attachments: message.attachments.map((a) => ({ id: a.id, filename: a.name, size: a.size, contentType: a.contentType })) } : {}),
        ...(opts.embeds?.length ? { embeds: message.embeds.map((e) => ({ title: e.title ?? undefined })) } : {}),
      },
    });
  }
}

function normalise(options: string | ReplyOptions): ReplyOptions {
  return typeof options === 'string' ? { content: options } : options;
}
