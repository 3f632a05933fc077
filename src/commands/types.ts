import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  InteractionEditReplyOptions,
  InteractionReplyOptions,
  SharedSlashCommand,
} from 'discord.js';
import type { Bot } from '../bot/bot';
import type { Config } from '../config';
import type { Database } from '../database/database';
import type { Logger } from '../logger';

/** What a reply may carry; `ephemeral` makes it visible to the invoking user only. */
export type ReplyOptions = Omit<InteractionReplyOptions, 'flags' | 'withResponse' | 'fetchReply'> & Omit<InteractionEditReplyOptions, 'flags'> & { ephemeral?: boolean };

export interface CommandContext {
  interaction: ChatInputCommandInteraction;
  /** Stores only: commands never write SQL. */
  db: Database;
  config: Config;
  logger: Logger;
  bot: Bot;
  /** Whether the invoking user passes the admin check (Manage Server, Administrator or BOT_OWNER_IDS). */
  isAdmin: boolean;
  isOwner: boolean;
  /**
   * Replies (or edits the deferred reply, or follows up when already answered) and records the
   * reply as an `assistant` message in the invoking user's session.
   */
  reply(options: string | ReplyOptions): Promise<void>;
  /** Defers when the work may take longer than Discord's 3-second window. */
  defer(ephemeral?: boolean): Promise<void>;
}

export interface ButtonContext extends Omit<CommandContext, 'interaction'> {
  interaction: ButtonInteraction;
  /** The custom id after the command's prefix, split on ':'. */
  args: string[];
  /** Replaces the message the button was on (and records it). */
  update(options: string | ReplyOptions): Promise<void>;
}

export interface AutocompleteContext {
  interaction: AutocompleteInteraction;
  db: Database;
  bot: Bot;
  isAdmin: boolean;
}

/** One slash command: one file in src/commands/, listed in registry.ts. */
export interface SlashCommand {
  /** discord.js builder; admin commands also set default_member_permissions (Manage Server). */
  data: SharedSlashCommand;
  /** Checked on the server side too: Manage Server / Administrator in the guild, or BOT_OWNER_IDS. */
  access?: 'everyone' | 'admin' | 'owner';
  execute(ctx: CommandContext): Promise<void>;
  autocomplete?(ctx: AutocompleteContext): Promise<void>;
  /** Buttons whose custom id starts with `${data.name}:` come here. */
  button?(ctx: ButtonContext): Promise<void>;
}

/** A bad option value: the reply names the option and the rule, ephemerally. Nothing is written. */
export class CommandInputError extends Error {
  constructor(
    readonly option: string,
    readonly rule: string,
  ) {
    super(`\`${option}\`: ${rule}`);
    this.name = 'CommandInputError';
  }
}
