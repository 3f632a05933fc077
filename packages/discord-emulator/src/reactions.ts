/**
 * Reactions: who reacted to which message with which emoji, the message's `reactions` array as
 * REST returns it, and the four gateway events Discord v10 sends (MESSAGE_REACTION_ADD / REMOVE /
 * REMOVE_ALL / REMOVE_EMOJI; GUILD_MESSAGE_REACTIONS in guilds, DIRECT_MESSAGE_REACTIONS in DMs).
 * As on Discord, an event is sent only for a change: a second identical reaction, or removing one
 * that is not there, sends nothing.
 */
import type { Gateway } from './gateway';
import { Intents } from './payloads';
import type { State } from './state';
import type { EmuMessage } from './types';

/** A partial emoji as Discord sends it: unicode `{ id: null, name }`, custom `{ id, name, animated }`. */
export interface EmuEmoji {
  id: string | null;
  name: string | null;
  animated?: boolean;
}

/** A unicode emoji's text, `name:id` / `a:name:id` for a custom one (the REST path form), or the object. */
export type EmojiInput = string | EmuEmoji;

interface Entry {
  emoji: EmuEmoji;
  normal: string[];
  burst: string[];
}

export function parseEmoji(input: EmojiInput): EmuEmoji {
  if (typeof input !== 'string') return input.id ? { id: input.id, name: input.name, animated: input.animated ?? false } : { id: null, name: input.name };
  const custom = /^(a:)?([^:]{1,32}):(\d{17,20})$/.exec(input);
  if (custom) return { id: custom[3], name: custom[2], animated: Boolean(custom[1]) };
  return { id: null, name: input };
}

const keyOf = (e: EmuEmoji) => e.id ?? e.name ?? '';

export class Reactions {
  /** message id → emoji key → who reacted, in order. */
  private readonly byMessage = new Map<string, Map<string, Entry>>();

  constructor(
    private readonly state: State,
    private readonly gateway: Gateway,
    /** Told when a message's reactions changed (the world's message_update). */
    private readonly changed: (m: EmuMessage) => void = () => undefined,
  ) {}

  private intent(channelId: string): number {
    return this.state.channels.get(channelId)?.guild_id ? Intents.GUILD_MESSAGE_REACTIONS : Intents.DIRECT_MESSAGE_REACTIONS;
  }

  private base(m: EmuMessage): { channel_id: string; message_id: string; guild_id?: string } {
    const guildId = this.state.channels.get(m.channel_id)?.guild_id;
    return { channel_id: m.channel_id, message_id: m.id, ...(guildId ? { guild_id: guildId } : {}) };
  }

  /** Who reacted with the emoji (`burst`: super reactions), in the order they did. */
  users(messageId: string, emoji: EmojiInput, burst = false): string[] {
    const e = this.byMessage.get(messageId)?.get(keyOf(parseEmoji(emoji)));
    return e ? [...(burst ? e.burst : e.normal)] : [];
  }

  has(messageId: string, emoji: EmojiInput): boolean {
    return this.byMessage.get(messageId)?.has(keyOf(parseEmoji(emoji))) ?? false;
  }

  add(m: EmuMessage, userId: string, input: EmojiInput, burst = false): Record<string, unknown> | null {
    const emoji = parseEmoji(input);
    let entries = this.byMessage.get(m.id);
    if (!entries) this.byMessage.set(m.id, (entries = new Map()));
    let entry = entries.get(keyOf(emoji));
    if (!entry) entries.set(keyOf(emoji), (entry = { emoji, normal: [], burst: [] }));
    const list = burst ? entry.burst : entry.normal;
    if (list.includes(userId)) return null;
    list.push(userId);
    this.refresh(m);
    const d: Record<string, unknown> = { user_id: userId, ...this.base(m), emoji, burst, type: burst ? 1 : 0, message_author_id: m.author.id };
    if (d.guild_id) {
      const member = this.state.fullMember(d.guild_id as string, userId);
      if (member) d.member = member;
    }
    if (burst) d.burst_colors = ['#ffcc4d'];
    this.gateway.dispatch('MESSAGE_REACTION_ADD', d, { need: this.intent(m.channel_id) });
    return d;
  }

  remove(m: EmuMessage, userId: string, input: EmojiInput, burst = false): Record<string, unknown> | null {
    const emoji = parseEmoji(input);
    const entries = this.byMessage.get(m.id);
    const entry = entries?.get(keyOf(emoji));
    const list = entry ? (burst ? entry.burst : entry.normal) : [];
    const i = list.indexOf(userId);
    if (i < 0) return null;
    list.splice(i, 1);
    if (entry && !entry.normal.length && !entry.burst.length) entries!.delete(keyOf(emoji));
    this.refresh(m);
    const d = { user_id: userId, ...this.base(m), emoji: entry!.emoji, burst, type: burst ? 1 : 0 };
    this.gateway.dispatch('MESSAGE_REACTION_REMOVE', d, { need: this.intent(m.channel_id) });
    return d;
  }

  removeAll(m: EmuMessage): Record<string, unknown> | null {
    if (!this.byMessage.get(m.id)?.size) return null;
    this.byMessage.delete(m.id);
    this.refresh(m);
    const d = this.base(m);
    this.gateway.dispatch('MESSAGE_REACTION_REMOVE_ALL', d, { need: this.intent(m.channel_id) });
    return d;
  }

  removeEmoji(m: EmuMessage, input: EmojiInput): Record<string, unknown> | null {
    const entries = this.byMessage.get(m.id);
    const entry = entries?.get(keyOf(parseEmoji(input)));
    if (!entry) return null;
    entries!.delete(keyOf(entry.emoji));
    this.refresh(m);
    const d = { ...this.base(m), emoji: entry.emoji };
    this.gateway.dispatch('MESSAGE_REACTION_REMOVE_EMOJI', d, { need: this.intent(m.channel_id) });
    return d;
  }

  /** The message's `reactions` (REST form), absent when it has none, as on Discord. */
  private refresh(m: EmuMessage): void {
    this.summarise(m);
    this.changed(m);
  }

  private summarise(m: EmuMessage): void {
    const entries = this.byMessage.get(m.id);
    if (!entries?.size) {
      delete m.reactions;
      return;
    }
    const bot = this.state.botUser.id;
    m.reactions = [...entries.values()].map((e) => ({
      emoji: e.emoji,
      count: e.normal.length + e.burst.length,
      count_details: { burst: e.burst.length, normal: e.normal.length },
      burst_colors: e.burst.length ? ['#ffcc4d'] : [],
      me_burst: e.burst.includes(bot),
      me: e.normal.includes(bot),
    }));
  }
}
