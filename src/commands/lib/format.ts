import type { ChatInputCommandInteraction, ButtonInteraction } from 'discord.js';

/** The recorder's name for Discord in `users.channel`. */
export const DISCORD = 'discord';

/** A Discord timestamp tag: each reader sees it in their own time zone. */
export function when(d: Date, style: 'f' | 'R' | 't' | 'd' | 'D' = 'f'): string {
  return `<t:${Math.floor(d.getTime() / 1000)}:${style}>`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One line of at most `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The invoking person as stored in `users`. */
export function personOf(i: ChatInputCommandInteraction | ButtonInteraction): { channel: string; channelUserId: string } {
  return { channel: DISCORD, channelUserId: i.user.id };
}

/**
 * The name people see, as the recorder stores it for messages: the server nickname, else the
 * global display name. Replies are recorded with the same, so `users.display_name` does not flip
 * between the two depending on whether the person last wrote or ran a command.
 */
export function displayNameOf(i: ChatInputCommandInteraction | ButtonInteraction): string | null {
  const m = i.member as { nickname?: string | null; nick?: string | null } | null;
  return m?.nickname ?? m?.nick ?? i.user.globalName ?? null;
}
