import { PermissionFlagsBits, type Client } from 'discord.js';

/** What posting needs in the channel (part of the invite link: src/bot/invite.ts). */
export const POST_PERMISSIONS = [PermissionFlagsBits.ViewChannel, PermissionFlagsBits.SendMessages] as const;

/** Discord's limit for a bot message. */
export const MAX_CONTENT = 2000;

/** Cuts text to Discord's limit, saying so. */
export function clip(content: string, max = MAX_CONTENT): string {
  if (content.length <= max) return content;
  const note = '\n… (cut: the full output is in the task)';
  return content.slice(0, max - note.length) + note;
}

/**
 * Posts as the bot in a channel (schedules' output, reminders). Mentions only `mentionUserId`,
 * never @everyone or roles. The message comes back over the gateway and the recorder records it
 * as an `assistant` message. Returns the message id.
 */
export async function postToChannel(client: Client, channelId: string, content: string, mentionUserId?: string | null): Promise<string> {
  const channel = client.channels.cache.get(channelId) ?? (await client.channels.fetch(channelId).catch(() => null));
  if (!channel || !channel.isSendable()) throw new Error(`channel ${channelId} is not a text channel the bot can post in`);
  const text = content.trim() ? content : '(no output)';
  const message = await channel.send({ content: clip(text), allowedMentions: { parse: [], users: mentionUserId ? [mentionUserId] : [] } });
  return message.id;
}
