import { REST, Routes, type APIApplication, type APIApplicationCommand } from 'discord.js';
import { commandBodies } from './registry';

/**
 * Registers the registry's commands with Discord (bulk overwrite): globally, or in one guild
 * (instant, for development). The application id is asked from the API when not given.
 */
export async function deployCommands(opts: { token: string; apiUrl?: string; applicationId?: string; guildId?: string }): Promise<{ applicationId: string; scope: string; commands: APIApplicationCommand[] }> {
  const rest = new REST(opts.apiUrl ? { api: opts.apiUrl } : {}).setToken(opts.token);
  const applicationId = opts.applicationId ?? ((await rest.get(Routes.currentApplication())) as APIApplication).id;
  const route = opts.guildId ? Routes.applicationGuildCommands(applicationId, opts.guildId) : Routes.applicationCommands(applicationId);
  const commands = (await rest.put(route, { body: commandBodies() })) as APIApplicationCommand[];
  return { applicationId, scope: opts.guildId ? `guild ${opts.guildId}` : 'global', commands };
}
