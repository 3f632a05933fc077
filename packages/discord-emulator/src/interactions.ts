/**
 * Interactions: builds INTERACTION_CREATE payloads (chat input, components, autocomplete), tracks each
 * interaction's token and lifecycle, and resolves the caller's promise once the bot's answer is final.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_BOT_PERMISSIONS } from './payloads';
import { snowflake } from './snowflake';
import type { Core } from './core';
import type { CommandOptionInput, EmuMessage, InteractionContext, InteractionResult } from './types';

export const InteractionType = { PING: 1, APPLICATION_COMMAND: 2, MESSAGE_COMPONENT: 3, AUTOCOMPLETE: 4, MODAL_SUBMIT: 5 } as const;
export const OptionType = { SUB_COMMAND: 1, SUB_COMMAND_GROUP: 2, STRING: 3, INTEGER: 4, BOOLEAN: 5, USER: 6, CHANNEL: 7, ROLE: 8, MENTIONABLE: 9, NUMBER: 10, ATTACHMENT: 11 } as const;

/** How long interaction tokens stay valid for follow-ups, like Discord. */
export const TOKEN_LIFETIME_MS = 15 * 60 * 1000;

export interface PendingInteraction {
  id: string;
  token: string;
  type: number;
  name: string | null;
  commandType: number;
  channelId: string;
  guildId: string | null;
  userId: string;
  createdAt: number;
  /** Callback type once acknowledged. */
  ack: number | null;
  ephemeral: boolean;
  /** The interaction's original response message (the reply, or the component message for types 6/7). */
  originalMessageId: string | null;
  /** Message a component interaction was triggered from. */
  sourceMessageId: string | null;
  followupIds: string[];
  result: InteractionResult;
  settled: boolean;
  resolve: (r: InteractionResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
  followupWaiters: { count: number; resolve: () => void }[];
}

type OptionValue = string | number | boolean;

export class Interactions {
  readonly byId = new Map<string, PendingInteraction>();
  private readonly byToken = new Map<string, PendingInteraction>();
  private readonly byResultMessage = new Map<string, PendingInteraction>();

  constructor(private readonly core: Core) {}

  get(id: string, token: string): PendingInteraction | undefined {
    const p = this.byId.get(id);
    return p && p.token === token ? p : undefined;
  }

  getByToken(token: string): PendingInteraction | undefined {
    return this.byToken.get(token);
  }

  /** Finds the stored command a user would invoke in this channel (guild command first, then global). */
  findCommand(name: string, guildId: string | null, type = 1): Record<string, unknown> | undefined {
    const s = this.core.state;
    const guildCmds = guildId ? (s.guildCommands.get(guildId) ?? []) : [];
    return guildCmds.find((c) => c.name === name && (c.type ?? 1) === type) ?? s.globalCommands.find((c) => c.name === name && (c.type ?? 1) === type);
  }

  private base(type: number, ctx: InteractionContext): Record<string, unknown> & { channelGuild: string | null } {
    const { state } = this.core;
    const channel = state.channel(ctx.channelId);
    const user = state.user(ctx.userId);
    const guildId = channel.guild_id ?? null;
    const p: Record<string, unknown> & { channelGuild: string | null } = {
      channelGuild: guildId,
      id: snowflake(),
      application_id: state.applicationId,
      type,
      token: `${Buffer.from(`interaction:${snowflake()}:`).toString('base64url')}${randomBytes(48).toString('base64url')}`,
      version: 1,
      locale: ctx.locale ?? 'en-US',
      entitlements: [],
      authorizing_integration_owners: guildId ? { '0': guildId } : { '0': '0' },
      context: guildId ? 0 : 1,
      attachment_size_limit: 10 * 1024 * 1024,
      channel_id: channel.id,
    };
    if (guildId) {
      const g = state.guild(guildId);
      const member = state.fullMember(guildId, user.id, true, channel.id);
      if (!member) throw new Error(`emulator: user ${user.id} is not a member of guild ${guildId} (call addMember first)`);
      const appPerms = state.memberPermissions(guildId, state.botUser.id);
      p.guild_id = guildId;
      p.guild = { id: guildId, locale: g.preferred_locale, features: [] };
      p.guild_locale = g.preferred_locale;
      p.member = member;
      p.app_permissions = appPerms.toString();
      p.channel = { ...channel, permissions: member.permissions };
    } else {
      p.user = user;
      p.app_permissions = DEFAULT_BOT_PERMISSIONS.toString();
      p.channel = { ...channel, permissions: DEFAULT_BOT_PERMISSIONS.toString() };
    }
    return p;
  }

  /** Builds the option list of a chat-input command from the stored definition (or inferred types). */
  buildOptions(
    cmd: Record<string, unknown> | undefined,
    input: Record<string, OptionValue> | CommandOptionInput[],
    ctx: InteractionContext,
    focused?: { name: string; value: string },
  ): { options: CommandOptionInput[]; resolved: Record<string, Record<string, unknown>> | undefined } {
    const { state } = this.core;
    let defs = (cmd?.options ?? []) as Record<string, unknown>[];
    const wrap: { name: string; type: number }[] = [];
    if (ctx.subcommandGroup) {
      const group = defs.find((o) => o.name === ctx.subcommandGroup && o.type === OptionType.SUB_COMMAND_GROUP);
      if (cmd && !group) throw new Error(`emulator: command /${String(cmd.name)} has no subcommand group "${ctx.subcommandGroup}"`);
      defs = (group?.options ?? []) as Record<string, unknown>[];
      wrap.push({ name: ctx.subcommandGroup, type: OptionType.SUB_COMMAND_GROUP });
    }
    if (ctx.subcommand) {
      const sub = defs.find((o) => o.name === ctx.subcommand && o.type === OptionType.SUB_COMMAND);
      if (cmd && !sub) throw new Error(`emulator: command /${String(cmd.name)} has no subcommand "${ctx.subcommand}"`);
      defs = (sub?.options ?? []) as Record<string, unknown>[];
      wrap.push({ name: ctx.subcommand, type: OptionType.SUB_COMMAND });
    }
    const entries: CommandOptionInput[] = Array.isArray(input) ? input : Object.entries(input).map(([name, value]) => ({ name, value }));
    const resolved: Record<string, Record<string, unknown>> = {};
    const add = (kind: string, id: string, v: unknown) => ((resolved[kind] ??= {})[id] = v);
    const leaf: CommandOptionInput[] = [];
    for (const e of entries) {
      const def = defs.find((d) => d.name === e.name);
      if (cmd && !def) throw new Error(`emulator: command /${String(cmd.name)} has no option "${e.name}"`);
      const type = e.type ?? (def?.type as number | undefined) ?? inferType(e.value);
      if (e.options) {
        leaf.push(e);
        continue;
      }
      const value = e.value;
      const o: CommandOptionInput = { name: e.name, type, value };
      if (typeof value === 'string' && [OptionType.USER, OptionType.MENTIONABLE].includes(type as 6 | 9) && state.users.has(value)) {
        add('users', value, state.users.get(value));
        const gid = state.channels.get(ctx.channelId)?.guild_id;
        const m = gid ? state.fullMember(gid, value, true) : null;
        if (m) {
          const { user: _u, ...partial } = m;
          add('members', value, partial);
        }
      } else if (typeof value === 'string' && type === OptionType.CHANNEL && state.channels.has(value)) {
        const c = state.channels.get(value)!;
        add('channels', value, { id: c.id, name: c.name, type: c.type, permissions: state.memberPermissions(c.guild_id ?? '', ctx.userId).toString(), parent_id: c.parent_id ?? null, flags: 0 });
      } else if (typeof value === 'string' && (type === OptionType.ROLE || type === OptionType.MENTIONABLE)) {
        const gid = state.channels.get(ctx.channelId)?.guild_id;
        const role = gid ? state.guilds.get(gid)?.roles.find((r) => r.id === value) : undefined;
        if (role) add('roles', value, role);
      }
      leaf.push(o);
    }
    if (focused) {
      const existing = leaf.find((o) => o.name === focused.name);
      const def = defs.find((d) => d.name === focused.name);
      if (cmd && !def) throw new Error(`emulator: command /${String(cmd.name)} has no option "${focused.name}"`);
      // The focused value is the partial text the user typed: always a string.
      const f: CommandOptionInput = { name: focused.name, type: (def?.type as number | undefined) ?? OptionType.STRING, value: focused.value, focused: true };
      if (existing) Object.assign(existing, f);
      else leaf.push(f);
    }
    if (cmd) {
      for (const d of defs) {
        if (d.required && !leaf.some((o) => o.name === d.name) && !focused) throw new Error(`emulator: command /${String(cmd.name)} requires option "${String(d.name)}"`);
      }
    }
    let options: CommandOptionInput[] = leaf;
    for (let i = wrap.length - 1; i >= 0; i--) options = [{ name: wrap[i].name, type: wrap[i].type, options }];
    return { options, resolved: Object.keys(resolved).length ? resolved : undefined };
  }

  /** Registers and dispatches an interaction; the promise resolves on the bot's final answer. */
  start(payload: Record<string, unknown> & { channelGuild: string | null }, meta: { name: string | null; commandType: number; userId: string; sourceMessageId: string | null; timeoutMs: number }): Promise<InteractionResult> {
    const { channelGuild: _g, ...d } = payload;
    const id = d.id as string;
    const token = d.token as string;
    return new Promise<InteractionResult>((resolve, reject) => {
      const p: PendingInteraction = {
        id,
        token,
        type: d.type as number,
        name: meta.name,
        commandType: meta.commandType,
        channelId: d.channel_id as string,
        guildId: (d.guild_id as string | undefined) ?? null,
        userId: meta.userId,
        createdAt: Date.now(),
        ack: null,
        ephemeral: false,
        originalMessageId: null,
        sourceMessageId: meta.sourceMessageId,
        followupIds: [],
        result: emptyResult(id, d.channel_id as string),
        settled: false,
        resolve,
        reject,
        timer: null,
        followupWaiters: [],
      };
      p.timer = setTimeout(() => {
        if (p.settled) return;
        p.settled = true;
        const what = p.ack === null ? 'never answered it' : `acknowledged it (type ${p.ack}) but never sent the final content (edit-original or follow-up)`;
        reject(new Error(`emulator: interaction ${meta.name ? `/${meta.name}` : id} failed: the bot ${what} within ${meta.timeoutMs} ms`));
      }, meta.timeoutMs);
      this.byId.set(id, p);
      this.byToken.set(token, p);
      this.core.gateway.dispatch('INTERACTION_CREATE', d);
      if (!this.core.gateway.hasSession()) this.core.log('emulator: INTERACTION_CREATE produced with no bot session; it will fail');
    });
  }

  runCommand(name: string, input: Record<string, OptionValue> | CommandOptionInput[], ctx: InteractionContext): Promise<InteractionResult> {
    const payload = this.base(InteractionType.APPLICATION_COMMAND, ctx);
    const cmd = this.findCommand(name, payload.channelGuild);
    const { options, resolved } = this.buildOptions(cmd, input, ctx);
    const data: Record<string, unknown> = { id: (cmd?.id as string | undefined) ?? snowflake(), name, type: 1 };
    if (cmd?.guild_id) data.guild_id = cmd.guild_id;
    if (options.length) data.options = options;
    if (resolved) data.resolved = resolved;
    payload.data = data;
    return this.start(payload, { name, commandType: 1, userId: ctx.userId, sourceMessageId: null, timeoutMs: ctx.timeoutMs ?? 5000 });
  }

  autocomplete(name: string, focused: { name: string; value: string }, ctx: InteractionContext & { options?: Record<string, OptionValue> }): Promise<InteractionResult> {
    const payload = this.base(InteractionType.AUTOCOMPLETE, ctx);
    const cmd = this.findCommand(name, payload.channelGuild);
    const { options } = this.buildOptions(cmd, ctx.options ?? {}, ctx, focused);
    const data: Record<string, unknown> = { id: (cmd?.id as string | undefined) ?? snowflake(), name, type: 1, options };
    if (cmd?.guild_id) data.guild_id = cmd.guild_id;
    payload.data = data;
    return this.start(payload, { name, commandType: 1, userId: ctx.userId, sourceMessageId: null, timeoutMs: ctx.timeoutMs ?? 5000 });
  }

  component(o: { message: EmuMessage; customId: string; userId: string; channelId: string; values?: string[]; timeoutMs?: number }): Promise<InteractionResult> {
    const comp = findComponent(o.message.components, o.customId);
    if (!comp) throw new Error(`emulator: message ${o.message.id} has no component with custom_id "${o.customId}"`);
    if (comp.disabled) throw new Error(`emulator: component "${o.customId}" is disabled; a user cannot click it`);
    const payload = this.base(InteractionType.MESSAGE_COMPONENT, { userId: o.userId, channelId: o.channelId });
    const data: Record<string, unknown> = { custom_id: o.customId, component_type: comp.type };
    if (o.values) data.values = o.values;
    payload.data = data;
    payload.message = this.core.state.dispatchForm(o.message);
    delete (payload.message as Record<string, unknown>).member;
    return this.start(payload, { name: null, commandType: 0, userId: o.userId, sourceMessageId: o.message.id, timeoutMs: o.timeoutMs ?? 5000 });
  }

  /** The interaction whose answer is message `id` (for clickButton on a reply). */
  forMessage(id: string): PendingInteraction | undefined {
    return this.byResultMessage.get(id);
  }

  linkMessage(p: PendingInteraction, messageId: string): void {
    this.byResultMessage.set(messageId, p);
  }

  /** Fills the result from a message and resolves the caller if still pending. */
  settle(p: PendingInteraction, m: EmuMessage | null, extra: Partial<InteractionResult> = {}): void {
    if (m) Object.assign(p.result, this.resultFromMessage(m));
    Object.assign(p.result, extra);
    if (p.settled) return;
    p.settled = true;
    if (p.timer) clearTimeout(p.timer);
    p.resolve(p.result);
  }

  resultFromMessage(m: EmuMessage): Pick<InteractionResult, 'content' | 'flags' | 'ephemeral' | 'embeds' | 'components' | 'attachments' | 'messageId' | 'channelId'> {
    const store = this.core.state.attachmentData;
    return {
      content: m.content,
      flags: m.flags,
      ephemeral: Boolean(m.flags & 64),
      embeds: m.embeds,
      components: m.components,
      attachments: m.attachments.map((a) => {
        const s = store.get(a.id);
        return { filename: a.filename, contentType: a.content_type ?? s?.contentType ?? 'application/octet-stream', data: s?.data ?? Buffer.alloc(0) };
      }),
      messageId: m.id,
      channelId: m.channel_id,
    };
  }

  addFollowup(p: PendingInteraction, m: EmuMessage): void {
    const r: InteractionResult = { ...emptyResult(p.id, m.channel_id), type: 4, ...this.resultFromMessage(m) };
    p.result.followups.push(r);
    p.followupIds.push(m.id);
    this.linkMessage(p, m.id);
    p.followupWaiters = p.followupWaiters.filter((w) => {
      if (p.result.followups.length < w.count) return true;
      w.resolve();
      return false;
    });
  }

  /** Updates a follow-up's result after an edit. */
  refreshFollowup(p: PendingInteraction, m: EmuMessage): void {
    const r = p.result.followups.find((f) => f.messageId === m.id);
    if (r) Object.assign(r, this.resultFromMessage(m));
  }

  waitForFollowups(result: InteractionResult, count: number, timeoutMs: number): Promise<InteractionResult[]> {
    const p = this.byId.get(result.interactionId);
    if (!p) return Promise.reject(new Error('emulator: unknown interaction result'));
    if (p.result.followups.length >= count) return Promise.resolve(p.result.followups);
    return new Promise((resolve, reject) => {
      const w = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(p.result.followups);
        },
      };
      const timer = setTimeout(() => {
        p.followupWaiters = p.followupWaiters.filter((x) => x !== w);
        reject(new Error(`emulator: expected ${count} follow-up(s), got ${p.result.followups.length} within ${timeoutMs} ms`));
      }, timeoutMs);
      p.followupWaiters.push(w);
    });
  }

  close(): void {
    for (const p of this.byId.values()) if (p.timer) clearTimeout(p.timer);
  }
}

function inferType(v: OptionValue | undefined): number {
  if (typeof v === 'boolean') return OptionType.BOOLEAN;
  if (typeof v === 'number') return Number.isInteger(v) ? OptionType.INTEGER : OptionType.NUMBER;
  return OptionType.STRING;
}

export function emptyResult(interactionId: string, channelId: string): InteractionResult {
  return { interactionId, type: 0, content: null, ephemeral: false, flags: 0, embeds: [], components: [], attachments: [], deferred: false, followups: [], messageId: null, channelId };
}

/** Finds a component by custom_id anywhere in a message's component tree (action rows, containers, sections). */
export function findComponent(components: object[], customId: string): { type: number; disabled?: boolean } | null {
  for (const c of components as Record<string, unknown>[]) {
    if (c.custom_id === customId) return c as { type: number; disabled?: boolean };
    if (Array.isArray(c.components)) {
      const f = findComponent(c.components as object[], customId);
      if (f) return f;
    }
    if (c.accessory && typeof c.accessory === 'object') {
      const f = findComponent([c.accessory as object], customId);
      if (f) return f;
    }
  }
  return null;
}
