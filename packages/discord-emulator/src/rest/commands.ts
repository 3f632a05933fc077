/** Application commands: bulk overwrite / list / create / delete, global and per guild. */
import { snowflake } from '../snowflake';
import { arrayOf } from '../validation';
import { ApiError, Errors, route, type RestCtx, type Route } from './router';

type Cmd = Record<string, unknown>;

function checkApp(ctx: RestCtx): void {
  if (ctx.params.application_id !== ctx.core.applicationId) throw Errors.missingAccess();
}

function checkGuild(ctx: RestCtx): void {
  if (ctx.params.guild_id && !ctx.core.state.guilds.has(ctx.params.guild_id)) throw Errors.missingAccess();
}

/** A stored command as Discord returns it (ids, version, defaults filled in). Existing ids are kept for same name+type. */
function stored(ctx: RestCtx, body: Cmd, previous: Cmd[]): Cmd {
  const type = (body.type as number | undefined) ?? 1;
  const prev = previous.find((c) => c.name === body.name && c.type === type);
  const guildId = ctx.params.guild_id;
  const cmd: Cmd = {
    id: prev?.id ?? snowflake(),
    application_id: ctx.core.applicationId,
    version: snowflake(),
    default_member_permissions: body.default_member_permissions ?? null,
    type,
    name: body.name,
    name_localizations: body.name_localizations ?? null,
    description: type === 1 ? (body.description ?? '') : '',
    description_localizations: body.description_localizations ?? null,
    dm_permission: body.dm_permission ?? true,
    contexts: body.contexts ?? null,
    integration_types: body.integration_types ?? [0],
    nsfw: body.nsfw ?? false,
  };
  if (Array.isArray(body.options) && body.options.length) cmd.options = body.options;
  if (guildId) {
    cmd.guild_id = guildId;
    delete cmd.dm_permission;
  }
  if (type === 4) cmd.handler = body.handler ?? 1;
  return cmd;
}

function listFor(ctx: RestCtx): Cmd[] {
  const { state } = ctx.core;
  const g = ctx.params.guild_id;
  if (!g) return state.globalCommands;
  let l = state.guildCommands.get(g);
  if (!l) {
    l = [];
    state.guildCommands.set(g, l);
  }
  return l;
}

function uniqueNames(cmds: Cmd[]): void {
  const seen = new Set<string>();
  cmds.forEach((c, i) => {
    const key = `${String(c.type ?? 1)}:${String(c.name)}`;
    if (seen.has(key)) {
      throw new ApiError(400, { code: 50035, message: 'Invalid Form Body', errors: { [i]: { name: { _errors: [{ code: 'APPLICATION_COMMANDS_DUPLICATE_NAME', message: `Application command names must be unique` }] } } } }, 'invalid_body');
    }
    seen.add(key);
  });
}

const list = (ctx: RestCtx) => {
  checkApp(ctx);
  checkGuild(ctx);
  return { status: 200, body: listFor(ctx) };
};

const bulk = (ctx: RestCtx) => {
  checkApp(ctx);
  checkGuild(ctx);
  const body = (ctx.body ?? []) as Cmd[];
  uniqueNames(body);
  const target = listFor(ctx);
  const next = body.map((b) => stored(ctx, b, target));
  target.splice(0, target.length, ...next);
  return { status: 200, body: next };
};

const create = (ctx: RestCtx) => {
  checkApp(ctx);
  checkGuild(ctx);
  const target = listFor(ctx);
  const cmd = stored(ctx, ctx.body as Cmd, target);
  const i = target.findIndex((c) => c.id === cmd.id);
  if (i >= 0) {
    target[i] = cmd;
    return { status: 200, body: cmd };
  }
  target.push(cmd);
  return { status: 201, body: cmd };
};

const getOne = (ctx: RestCtx) => {
  checkApp(ctx);
  const c = listFor(ctx).find((x) => x.id === ctx.params.command_id);
  if (!c) throw new ApiError(404, { message: 'Unknown application command', code: 10063 });
  return { status: 200, body: c };
};

const del = (ctx: RestCtx) => {
  checkApp(ctx);
  const l = listFor(ctx);
  const i = l.findIndex((x) => x.id === ctx.params.command_id);
  if (i < 0) throw new ApiError(404, { message: 'Unknown application command', code: 10063 });
  l.splice(i, 1);
  return { status: 204 };
};

const bulkSchema = (ctx: RestCtx) => arrayOf(ctx.core.spec.ApplicationCommandUpdateRequestSchema, 130);
const createSchema = (ctx: RestCtx) => ctx.core.spec.ApplicationCommandCreateRequestSchema;

export const commandRoutes: Route[] = [
  route('GET', '/applications/:application_id/commands', {}, list),
  route('PUT', '/applications/:application_id/commands', { schema: bulkSchema }, bulk),
  route('POST', '/applications/:application_id/commands', { schema: createSchema }, create),
  route('GET', '/applications/:application_id/commands/:command_id', {}, getOne),
  route('DELETE', '/applications/:application_id/commands/:command_id', {}, del),
  route('GET', '/applications/:application_id/guilds/:guild_id/commands', {}, list),
  route('PUT', '/applications/:application_id/guilds/:guild_id/commands', { schema: bulkSchema }, bulk),
  route('POST', '/applications/:application_id/guilds/:guild_id/commands', { schema: createSchema }, create),
  route('GET', '/applications/:application_id/guilds/:guild_id/commands/:command_id', {}, getOne),
  route('DELETE', '/applications/:application_id/guilds/:guild_id/commands/:command_id', {}, del),
];
