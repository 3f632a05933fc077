import { ActionRowBuilder, ButtonBuilder, ButtonStyle, escapeMarkdown } from 'discord.js';
import type { ForgetResult, PersonalSummary, Span } from '../../database/stores/privacy.store';
import { plural, when } from './format';

/** A forget confirmation is honoured for this long after it was offered. */
export const CONFIRM_TTL_MS = 10 * 60_000;

export function isEmpty(s: PersonalSummary): boolean {
  return !s.user && !s.schedulesCreated && !s.reactions.count && !s.pollVotes.count;
}

function range(s: Span): string {
  return s.first && s.last ? ` (${when(s.first, 'd')} – ${when(s.last, 'd')})` : '';
}

const WORDS = {
  self: { by: 'you', subject: 'you', possessive: 'your' },
  other: { by: 'them', subject: 'they', possessive: 'their' },
};

/** The summary as lines: one per table, with counts and first/last dates; about "you" or "them". */
export function describeSummary(s: PersonalSummary, about: keyof typeof WORDS = 'self'): string[] {
  const w = WORDS[about];
  const lines: string[] = [];
  if (s.user) {
    const names = [s.user.username && `username \`${escapeMarkdown(s.user.username)}\``, s.user.displayName && `display name \`${escapeMarkdown(s.user.displayName)}\``].filter(Boolean).join(', ');
    lines.push(`• User record: ${names || 'no names'}, since ${when(s.user.createdAt, 'd')}`);
    lines.push(`• Sessions: ${s.sessions.count}${range(s.sessions)}`);
    lines.push(`• Messages: ${s.messages.count} (${s.messages.fromThem} written by ${w.by}, ${s.messages.count - s.messages.fromThem} replies from me)${range(s.messages)}`);
    if (s.revisions) lines.push(`• Earlier versions of edited messages: ${s.revisions}`);
    if (s.attachments.count) lines.push(`• Attachments: ${s.attachments.count} (${s.attachments.stored} with the file kept)`);
    lines.push(`• Tasks ${w.subject} ran: ${s.tasks.count}${range(s.tasks)}`);
  }
  if (s.reactions.count) lines.push(`• Reactions ${w.subject} made: ${s.reactions.count}${range(s.reactions)}`);
  if (s.pollVotes.count) lines.push(`• Poll votes ${w.subject} cast: ${s.pollVotes.count}${range(s.pollVotes)}`);
  if (s.schedulesCreated) lines.push(`• Schedules ${w.subject} created: ${s.schedulesCreated} (they post for everyone, so erasing keeps them and removes ${w.possessive} id from them)`);
  return lines;
}

export function describeForgotten(r: ForgetResult): string {
  const parts = [plural(r.messages, 'message'), plural(r.sessions, 'session'), plural(r.tasks, 'task')];
  if (r.revisions) parts.push(plural(r.revisions, 'earlier version'));
  if (r.reactions) parts.push(plural(r.reactions, 'reaction'));
  if (r.pollVotes) parts.push(plural(r.pollVotes, 'poll vote'));
  if (r.attachments) parts.push(`${plural(r.attachments, 'attachment')} and their files`);
  if (r.userRow) parts.push('the user record');
  const unlinked = r.schedulesUnlinked ? ` ${plural(r.schedulesUnlinked, 'schedule')} no longer name${r.schedulesUnlinked === 1 ? 's' : ''} the creator.` : '';
  return `Deleted ${parts.join(', ')}.${unlinked}`;
}

/** Confirm / cancel buttons: `<command>:forget:<discord user id>:<offered at ms>` and `<command>:cancel`. */
export function confirmButtons(command: string, discordUserId: string, label: string): ActionRowBuilder<ButtonBuilder> {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(`${command}:forget:${discordUserId}:${Date.now()}`).setLabel(label).setStyle(ButtonStyle.Danger),
    new ButtonBuilder().setCustomId(`${command}:cancel`).setLabel('Cancel').setStyle(ButtonStyle.Secondary),
  );
}

/** Reads a confirm button's args (after the command prefix); null when malformed. */
export function readConfirm(args: string[]): { action: 'forget'; discordUserId: string; expired: boolean } | { action: 'cancel' } | null {
  if (args[0] === 'cancel') return { action: 'cancel' };
  if (args[0] !== 'forget' || !/^\d{17,20}$/.test(args[1] ?? '')) return null;
  const offeredAt = Number(args[2]);
  return { action: 'forget', discordUserId: args[1], expired: !Number.isFinite(offeredAt) || Date.now() - offeredAt > CONFIRM_TTL_MS };
}
