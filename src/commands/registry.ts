import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { exportCommand } from './export';
import { history } from './history';
import { mydata } from './mydata';
import { ping } from './ping';
import { privacy } from './privacy';
import { retention } from './retention';
import { search } from './search';
import { session } from './session';
import { stats } from './stats';
import { status } from './status';
import type { SlashCommand } from './types';
// ---- issue 6: skills, tasks, schedules, logs ----
import { logs } from './logs';
import { run } from './run';
import { schedule } from './schedule';
import { tasks } from './tasks';
const ASSISTANT_COMMANDS: SlashCommand[] = [run, tasks, schedule, logs];
// ---- end issue 6 ----

/** Every slash command the bot answers; the deploy step registers exactly these. */
export const COMMANDS: SlashCommand[] = [ping, status, session, history, stats, mydata, privacy, retention, search, exportCommand, ...ASSISTANT_COMMANDS];

export function commandBodies(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return COMMANDS.map((c) => c.data.toJSON() as RESTPostAPIChatInputApplicationCommandsJSONBody);
}
