import { OAuth2Scopes, PermissionFlagsBits, PermissionsBitField } from 'discord.js';
import type { SlashCommand } from '../commands/types';
import { POST_PERMISSIONS } from '../assistant/post';
import { RECORDER_PERMISSIONS } from '../recording/recorder';

/**
 * The permissions the bot asks for when invited: exactly what its parts use. The recorder reads
 * channels and their history (backfill), the assistant posts schedules' output and reminders, and
 * commands add what their public replies need (`SlashCommand.botPermissions`). Interaction replies
 * themselves need no channel permission.
 */
export function neededPermissions(commands: readonly SlashCommand[]): PermissionsBitField {
  const bits = new PermissionsBitField([...RECORDER_PERMISSIONS, ...POST_PERMISSIONS]);
  for (const c of commands) if (c.botPermissions) bits.add(c.botPermissions);
  return bits.freeze();
}

/** The OAuth2 URL that adds the bot to a server with its slash commands and those permissions. */
export function inviteUrl(applicationId: string, permissions: PermissionsBitField): string {
  const u = new URL('https://discord.com/oauth2/authorize');
  u.searchParams.set('client_id', applicationId);
  u.searchParams.set('scope', [OAuth2Scopes.Bot, OAuth2Scopes.ApplicationsCommands].join(' '));
  u.searchParams.set('permissions', permissions.bitfield.toString());
  return u.toString();
}

/** "View Channel, Send Messages, …" in Discord's own words. */
export function permissionNames(permissions: PermissionsBitField): string[] {
  const names = Object.entries(PermissionFlagsBits) as [string, bigint][];
  return names.filter(([, bit]) => permissions.has(bit, false)).map(([name]) => name.replace(/([a-z])([A-Z])/g, '$1 $2'));
}
