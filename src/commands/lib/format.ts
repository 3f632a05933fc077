import type { ChatInputCommandInteraction, ButtonInteraction } from 'discord.js';
import { DISCORD_CHANNEL, type Person } from '../../entities/User';
import { recordedAuthor, type RecordedAuthor } from '../../recording/events';

/** A Discord timestamp tag: each reader sees it in their own time zone. */
export function when(d: Date, style: 'f' | 'F' | 'R' | 't' | 'T' | 'd' | 'D' = 'f'): string {
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

/** The first 8 characters of a UUID: enough to name a task or schedule in a reply. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** Joins lines while they fit in `max` characters; says how many were left out. */
export function fitLines(head: string, lines: string[], max = 1900): string {
  let out = head;
  for (let i = 0; i < lines.length; i++) {
    const next = `${out}\n${lines[i]}`;
    if (next.length > max) return `${out}\n… and ${lines.length - i} more`;
    out = next;
  }
  return out;
}

/** The invoking person as stored in `users`. */
export function personOf(i: ChatInputCommandInteraction | ButtonInteraction): Person {
  return { channel: DISCORD_CHANNEL, channelUserId: i.user.id };
}

/**
 * The invoking person as the recorder sees an author, named by the recorder's one rule
 * (`displayName`), so `users.display_name` does not flip between two names depending on whether
 * the person last wrote or ran a command.
 */
export function authorOf(i: ChatInputCommandInteraction | ButtonInteraction): RecordedAuthor {
  const m = i.member as { nickname?: string | null; nick?: string | null } | null;
  return recordedAuthor({ id: i.user.id, username: i.user.username, global_name: i.user.globalName }, m?.nickname ?? m?.nick);
}
