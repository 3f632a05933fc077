import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { ping } from './ping';
import type { SlashCommand } from './types';

/** Every slash command the bot answers; the deploy step registers exactly these. */
export const COMMANDS: SlashCommand[] = [ping];

export function commandBodies(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return COMMANDS.map((c) => c.data.toJSON() as RESTPostAPIChatInputApplicationCommandsJSONBody);
}
