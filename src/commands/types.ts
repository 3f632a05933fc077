import type { AutocompleteInteraction, ButtonInteraction, ChatInputCommandInteraction, InteractionEditReplyOptions, InteractionReplyOptions, SharedSlashCommand } from 'discord.js';
import type { LivePresence } from '../bot/presence';
import type { Config } from '../config';
import type { Database } from '../database/database';
import type { ChronicleLogger, Logger } from '../logger';
import type { Recording } from '../recording/recording';
import type { MessageRetention } from '../recording/retention';
import type { Scheduler, TaskRunner } from '../assistant';
import type { SkillRegistry } from '../skills';

/** The connection to Discord as commands see it. */
export interface GatewayInfo {
  /** The last heartbeat round trip in ms (-1 before the first). */
  ping(): number;
  /** The bot's own user id. */
  botUserId(): string;
  /** The presence the bot shows now. */
  presence(): { status: string; activities: { type: number; name: string; state?: string | null; url?: string | null }[] } | null;
  /** What the presence sync decided is live now and why (windows, rotation, active row). */
  livePresence(): LivePresence;
}

/**
 * Everything a command may use, built once the bot has started (every field is there): stores
 * (commands never write SQL), the recording pipeline, the gateway, skills, tasks and schedules.
 */
export interface CommandServices {
  db: Database;
  config: Config;
  recording: Recording;
  gateway: GatewayInfo;
  /** The skills this process runs. */
  skills: SkillRegistry;
  tasks: TaskRunner;
  scheduler: Scheduler;
  /** Message retention (`/retention`): rules live in the database, the purge runs daily. */
  retention: MessageRetention;
  /** The process's logs (`/logs` flushes them to the table first). */
  log: ChronicleLogger;
}

/** What a reply may carry; `ephemeral` makes it visible to the invoking user only. */
export type ReplyOptions = Omit<InteractionReplyOptions, 'flags' | 'withResponse' | 'fetchReply'> & Omit<InteractionEditReplyOptions, 'flags'> & { ephemeral?: boolean };

export interface CommandContext extends CommandServices {
  interaction: ChatInputCommandInteraction;
  logger: Logger;
  /** Whether the invoking user passes the admin check (Manage Server, Administrator or BOT_OWNER_IDS). */
  isAdmin: boolean;
  isOwner: boolean;
  /**
   * Replies (or edits the deferred reply, or follows up when already answered). An ephemeral
   * reply is recorded as an `assistant` message in the invoking user's session here; the others
   * come back from Discord on the gateway and are recorded like any message.
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

export interface AutocompleteContext extends CommandServices {
  interaction: AutocompleteInteraction;
  isAdmin: boolean;
}

/** One slash command: one file in src/commands/, listed in registry.ts. */
export interface SlashCommand {
  /** discord.js builder; admin commands also set default_member_permissions (Manage Server). */
  data: SharedSlashCommand;
  /** Checked on the server side too: Manage Server / Administrator in the guild, or BOT_OWNER_IDS. */
  access?: 'everyone' | 'admin' | 'owner';
  /**
   * The command reads what the recorder writes: before it runs, the router waits until everything
   * received before the interaction is committed (at most `maxWaitMs` when given: then it answers
   * from what is committed), deferring the reply (privately when `ephemeral`) if that is slow.
   */
  readsRecorded?: { ephemeral: boolean; maxWaitMs?: number };
  /** What the bot itself needs in the channel for this command's public replies (files, embeds); part of the invite link. */
  botPermissions?: readonly bigint[];
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
