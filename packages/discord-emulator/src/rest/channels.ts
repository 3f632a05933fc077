/** Channels, messages, guilds and members. */
import { Intents, Perm } from '../payloads';
import { compareSnowflakes, isSnowflake, snowflakeTime } from '../snowflake';
import type { EmuChannel, EmuMessage } from '../types';
import { BulkDeleteSchema, addError, invalidFormBody } from '../validation';
import { applyEdit, checkContentLength, commitFiles, isEmpty, normaliseComponents, normaliseEmbeds, resolveAttachments, type MessageBody } from './messagebody';
import { ApiError, Errors, route, type RestCtx, type Route } from './router';

function channelOf(ctx: RestCtx): EmuChannel {
  const c = ctx.core.state.channels.get(ctx.params.channel_id);
  if (!c) throw Errors.unknownChannel();
  if (c.type === 1) {
    const recipient = (c.recipients ?? [])[0];
    if (!recipient) throw Errors.missingAccess();
  }
  return c;
}

/** Guild-level permission check for the bot (the emulator has no channel overwrites). */
function requirePerms(ctx: RestCtx, c: EmuChannel, perms: bigint): void {
  if (!c.guild_id) return;
  const have = ctx.core.state.memberPermissions(c.guild_id, ctx.core.state.botUser.id);
  if ((have & Perm.VIEW_CHANNEL) === 0n) throw Errors.missingAccess();
  if ((have & perms) !== perms) throw Errors.missingPermissions();
}

function formError(path: (string | number)[], code: string, message: string): ApiError {
  const tree = {};
  addError(tree, path, { code, message });
  return new ApiError(400, invalidFormBody(tree), 'invalid_body');
}

function listMessages(ctx: RestCtx) {
  const c = channelOf(ctx);
  requirePerms(ctx, c, Perm.VIEW_CHANNEL);
  if (c.guild_id && (ctx.core.state.memberPermissions(c.guild_id, ctx.core.state.botUser.id) & Perm.READ_MESSAGE_HISTORY) === 0n) return { status: 200, body: [] };
  const q = ctx.query;
  const limitRaw = q.get('limit');
  const limit = limitRaw === null ? 50 : Number(limitRaw);
  if (!Number.isInteger(limit)) throw formError(['limit'], 'NUMBER_TYPE_COERCE', `Value "${limitRaw}" is not int.`);
  if (limit < 1) throw formError(['limit'], 'NUMBER_TYPE_MIN', 'int value should be greater than or equal to 1.');
  if (limit > 100) throw formError(['limit'], 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 100.');
  for (const k of ['before', 'after', 'around']) {
    const v = q.get(k);
    if (v !== null && !isSnowflake(v)) throw formError([k], 'NUMBER_TYPE_COERCE', `Value "${v}" is not snowflake.`);
  }
  const list = ctx.core.state.store(c.id).list; // ascending
  const before = q.get('before');
  const after = q.get('after');
  const around = q.get('around');
  let out: EmuMessage[];
  if (around) {
    const start = Math.max(0, lowerBound(list, around) - Math.floor(limit / 2));
    out = list.slice(start, start + limit);
  } else if (before) {
    const idx = lowerBound(list, before);
    out = list.slice(Math.max(0, idx - limit), idx);
  } else if (after) {
    let idx = lowerBound(list, after);
    if (idx < list.length && list[idx].id === after) idx++;
    out = list.slice(idx, idx + limit);
  } else out = list.slice(Math.max(0, list.length - limit));
  return { status: 200, body: out.slice().reverse() };
}

/** First index whose id is >= id (list ascending). */
function lowerBound(list: EmuMessage[], id: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareSnowflakes(list[mid].id, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function createMessage(ctx: RestCtx) {
  const c = channelOf(ctx);
  if (c.type === 2 || c.type === 4) throw new ApiError(400, { message: 'Cannot send messages in a non-text channel', code: 50008 });
  const body = (ctx.body ?? {}) as MessageBody;
  const needs = Perm.SEND_MESSAGES | (c.type === 11 ? Perm.SEND_MESSAGES_IN_THREADS : 0n) | (ctx.files.length ? Perm.ATTACH_FILES : 0n);
  requirePerms(ctx, c, c.type === 11 ? needs & ~Perm.SEND_MESSAGES : needs);
  checkContentLength(body);
  const { list: attachments, pending } = resolveAttachments(ctx, c.id, body, null, false);
  if (isEmpty(body, attachments)) throw Errors.emptyMessage();
  const ref = body.message_reference;
  let replyTo: string | undefined;
  if (ref?.message_id) {
    const target = ctx.core.state.findMessage(ref.channel_id ?? c.id, ref.message_id);
    if (!target && ref.fail_if_not_exists !== false) throw formError(['message_reference'], 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
    if (target) replyTo = target.id;
  }
  const m = ctx.core.state.buildMessage({
    channelId: c.id,
    author: ctx.core.state.botUser,
    content: body.content ?? '',
    embeds: normaliseEmbeds(body.embeds),
    components: normaliseComponents(body.components),
    attachments,
    flags: (body.flags ?? 0) & (4 | 4096 | 32768),
    replyTo,
    nonce: body.nonce ?? undefined,
    tts: body.tts ?? false,
  });
  if (body.poll) m.poll = body.poll;
  commitFiles(ctx, m, pending);
  ctx.core.actions.postMessage(m);
  return { status: 200, body: m };
}

function messageOf(ctx: RestCtx, c: EmuChannel): EmuMessage {
  const m = ctx.core.state.store(c.id).byId.get(ctx.params.message_id);
  if (!m) throw Errors.unknownMessage();
  return m;
}

function editMessage(ctx: RestCtx) {
  const c = channelOf(ctx);
  const m = messageOf(ctx, c);
  const body = (ctx.body ?? {}) as MessageBody;
  if (m.author.id !== ctx.core.state.botUser.id) {
    // Others' messages: only the SUPPRESS_EMBEDS flag may be changed (with MANAGE_MESSAGES).
    const keys = Object.keys(body);
    if (keys.some((k) => k !== 'flags')) throw Errors.notAuthor();
    requirePerms(ctx, c, Perm.MANAGE_MESSAGES);
  }
  const pending = applyEdit(ctx, m, body);
  commitFiles(ctx, m, pending);
  ctx.core.actions.messageUpdated(m);
  return { status: 200, body: m };
}

function deleteMessage(ctx: RestCtx) {
  const c = channelOf(ctx);
  const m = messageOf(ctx, c);
  if (m.author.id !== ctx.core.state.botUser.id) requirePerms(ctx, c, Perm.MANAGE_MESSAGES);
  ctx.core.actions.deleteMessage(c.id, m.id);
  return { status: 204 };
}

function bulkDelete(ctx: RestCtx) {
  const c = channelOf(ctx);
  if (!c.guild_id) throw new ApiError(403, { message: 'Cannot execute action on a DM channel', code: 50003 }, 'forbidden');
  requirePerms(ctx, c, Perm.MANAGE_MESSAGES);
  const ids = (ctx.body as { messages: string[] }).messages;
  if (new Set(ids).size !== ids.length) throw formError(['messages'], 'BASE_TYPE_INVALID', 'Duplicate message ids');
  const twoWeeks = Date.now() - 14 * 24 * 3600 * 1000;
  if (ids.some((id) => snowflakeTime(id) < twoWeeks)) throw new ApiError(400, { message: 'You can only bulk delete messages that are under 14 days old.', code: 50034 }, 'invalid_body');
  const existing = ids.filter((id) => ctx.core.state.store(c.id).byId.has(id));
  ctx.core.actions.bulkDelete(c.id, existing);
  return { status: 204 };
}

function guildOf(ctx: RestCtx) {
  const g = ctx.core.state.guilds.get(ctx.params.guild_id);
  if (!g || !g.members.has(ctx.core.state.botUser.id)) throw Errors.unknownGuild();
  return g;
}

export const channelRoutes: Route[] = [
  route('GET', '/channels/:channel_id', {}, (ctx) => ({ status: 200, body: channelOf(ctx) })),
  route('GET', '/channels/:channel_id/messages', {}, listMessages),
  route('POST', '/channels/:channel_id/messages', { schema: (ctx) => ctx.core.spec.MessageCreateRequestSchema }, createMessage),
  route('GET', '/channels/:channel_id/messages/:message_id', {}, (ctx) => {
    const c = channelOf(ctx);
    requirePerms(ctx, c, Perm.READ_MESSAGE_HISTORY);
    return { status: 200, body: messageOf(ctx, c) };
  }),
  route('PATCH', '/channels/:channel_id/messages/:message_id', { schema: (ctx) => ctx.core.spec.MessageEditRequestPartialSchema }, editMessage),
  route('DELETE', '/channels/:channel_id/messages/:message_id', {}, deleteMessage),
  route('POST', '/channels/:channel_id/messages/bulk-delete', { schema: BulkDeleteSchema }, bulkDelete),
  route('POST', '/channels/:channel_id/typing', {}, (ctx) => {
    channelOf(ctx);
    return { status: 204 };
  }),

  route('GET', '/guilds/:guild_id', {}, (ctx) => {
    const g = guildOf(ctx);
    const { members: _m, channelIds: _c, created: _t, ...rest } = g;
    return { status: 200, body: { ...rest, icon: null, features: [], emojis: [], stickers: [], preferred_locale: g.preferred_locale } };
  }),
  route('GET', '/guilds/:guild_id/channels', {}, (ctx) => {
    const g = guildOf(ctx);
    return { status: 200, body: g.channelIds.map((id) => ctx.core.state.channels.get(id)).filter((c) => c && c.type !== 11) };
  }),
  route('GET', '/guilds/:guild_id/roles', {}, (ctx) => ({ status: 200, body: guildOf(ctx).roles })),
  route('GET', '/guilds/:guild_id/members/:user_id', {}, (ctx) => {
    const g = guildOf(ctx);
    const m = ctx.core.state.fullMember(g.id, ctx.params.user_id);
    if (!m) throw Errors.unknownMember();
    return { status: 200, body: m };
  }),
  route('GET', '/guilds/:guild_id/members', {}, (ctx) => {
    const g = guildOf(ctx);
    // Listing members needs the privileged GUILD_MEMBERS intent enabled for the application.
    if ((ctx.core.gateway.allowedIntents & Intents.GUILD_MEMBERS) === 0) throw Errors.missingAccess();
    const limit = Math.min(1000, Math.max(1, Number(ctx.query.get('limit') ?? 1)));
    const after = ctx.query.get('after') ?? '0';
    const ids = [...g.members.keys()]
      .filter((id) => compareSnowflakes(id, after) > 0)
      .sort(compareSnowflakes)
      .slice(0, limit);
    return { status: 200, body: ids.map((id) => ctx.core.state.fullMember(g.id, id)) };
  }),
];
