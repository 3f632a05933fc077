import { REST, Routes, type APIApplication, type APIApplicationCommand, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { commandBodies } from './registry';

export interface DeployTarget {
  token: string;
  apiUrl?: string;
  applicationId?: string;
  /** A guild (instant, for development), or global when unset. */
  guildId?: string;
}

function restFor(opts: DeployTarget): REST {
  return new REST(opts.apiUrl ? { api: opts.apiUrl } : {}).setToken(opts.token);
}

async function target(rest: REST, opts: DeployTarget) {
  const applicationId = opts.applicationId ?? ((await rest.get(Routes.currentApplication())) as APIApplication).id;
  const route = opts.guildId ? Routes.applicationGuildCommands(applicationId, opts.guildId) : Routes.applicationCommands(applicationId);
  return { applicationId, route, scope: opts.guildId ? `guild ${opts.guildId}` : 'global' };
}

/**
 * Registers the registry's commands with Discord (bulk overwrite): globally, or in one guild
 * (instant, for development). The application id is asked from the API when not given.
 */
export async function deployCommands(opts: DeployTarget): Promise<{ applicationId: string; scope: string; commands: APIApplicationCommand[] }> {
  const rest = restFor(opts);
  const { applicationId, route, scope } = await target(rest, opts);
  const commands = (await rest.put(route, { body: commandBodies() })) as APIApplicationCommand[];
  return { applicationId, scope, commands };
}

export interface CommandDrift {
  scope: string;
  /** In the code, not registered. */
  missing: string[];
  /** Registered, no longer in the code. */
  extra: string[];
  /** Registered with other options, description or permissions than the code's. */
  changed: string[];
  stale: boolean;
}

/** Compares what is registered (globally or in the guild) with the code's commands. */
export async function commandDrift(opts: DeployTarget): Promise<CommandDrift> {
  const rest = restFor(opts);
  const { route, scope } = await target(rest, opts);
  const registered = (await rest.get(route)) as APIApplicationCommand[];
  return diffCommands(commandBodies(), registered, scope);
}

export function diffCommands(local: RESTPostAPIChatInputApplicationCommandsJSONBody[], registered: APIApplicationCommand[], scope: string): CommandDrift {
  const remote = new Map(registered.filter((c) => (c.type ?? 1) === 1).map((c) => [c.name, c]));
  const missing: string[] = [];
  const changed: string[] = [];
  for (const body of local) {
    const r = remote.get(body.name);
    if (!r) missing.push(body.name);
    else if (!sameAs(body, r)) changed.push(body.name);
    remote.delete(body.name);
  }
  const extra = [...remote.keys()];
  return { scope, missing, extra, changed, stale: missing.length + extra.length + changed.length > 0 };
}

/** Discord fills in defaults (false, null, [], ids, versions): compare only what the code sets, with false, null and [] equal to absent. */
function sameAs(local: unknown, remote: unknown): boolean {
  const empty = (v: unknown) => v === undefined || v === null || v === false || (Array.isArray(v) && v.length === 0);
  if (empty(local)) return empty(remote);
  if (Array.isArray(local)) return Array.isArray(remote) && remote.length === local.length && local.every((v, i) => sameAs(v, remote[i]));
  if (typeof local === 'object') {
    if (!remote || typeof remote !== 'object') return false;
    const r = remote as Record<string, unknown>;
    const l = local as Record<string, unknown>;
    // An option list the code leaves out must be empty on Discord too.
    if (!('options' in l) && !empty(r.options)) return false;
    // A key the code leaves undefined takes Discord's default, whatever it is.
    return Object.entries(l).every(([k, v]) => v === undefined || sameAs(v, r[k]));
  }
  return String(local) === String(remote);
}
