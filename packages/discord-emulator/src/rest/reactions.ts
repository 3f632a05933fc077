/** Reactions: the bot's own (PUT/DELETE …/@me), others' removed by the bot (MANAGE_MESSAGES), and who reacted. */
import { Perm } from '../payloads';
import { parseEmoji, type EmuEmoji } from '../reactions';
import { compareSnowflakes } from '../snowflake';
import type { EmuChannel, EmuMessage } from '../types';
import { ApiError, Errors, route, type RestCtx, type Route } from './router';

const unknownEmoji = () => new ApiError(400, { message: 'Unknown Emoji', code: 10014 });

function target(ctx: RestCtx, perms: bigint): { c: EmuChannel; m: EmuMessage; emoji: EmuEmoji | null } {
  const { state } = ctx.core;
  const c = state.channels.get(ctx.params.channel_id);
  if (!c) throw Errors.unknownChannel();
  if (c.guild_id) {
    const have = state.memberPermissions(c.guild_id, state.botUser.id);
    if ((have & Perm.VIEW_CHANNEL) === 0n) throw Errors.missingAccess();
    if ((have & perms) !== perms) throw Errors.missingPermissions();
  }
  const m = state.store(c.id).byId.get(ctx.params.message_id);
  if (!m) throw Errors.unknownMessage();
  const raw = ctx.params.emoji_name;
  if (raw === undefined) return { c, m, emoji: null };
  // The path names a unicode emoji by its text, a custom one as name:id.
  const emoji = raw ? parseEmoji(raw) : null;
  if (!emoji || (!emoji.id && (/^[\w~-]*$/.test(raw) || /:/.test(raw)))) throw unknownEmoji();
  return { c, m, emoji };
}

const BASE = '/channels/:channel_id/messages/:message_id/reactions';

export const reactionRoutes: Route[] = [
  route('PUT', `${BASE}/:emoji_name/@me`, {}, (ctx) => {
    const { m, emoji } = target(ctx, Perm.READ_MESSAGE_HISTORY | Perm.ADD_REACTIONS);
    ctx.core.reactions.add(m, ctx.core.state.botUser.id, emoji!);
    return { status: 204 };
  }),
  route('DELETE', `${BASE}/:emoji_name/@me`, {}, (ctx) => {
    const { m, emoji } = target(ctx, Perm.READ_MESSAGE_HISTORY);
    ctx.core.reactions.remove(m, ctx.core.state.botUser.id, emoji!);
    return { status: 204 };
  }),
  route('DELETE', `${BASE}/:emoji_name/:user_id`, {}, (ctx) => {
    const { m, emoji } = target(ctx, Perm.MANAGE_MESSAGES);
    ctx.core.reactions.remove(m, ctx.params.user_id, emoji!);
    return { status: 204 };
  }),
  route('DELETE', `${BASE}/:emoji_name`, {}, (ctx) => {
    const { m, emoji } = target(ctx, Perm.MANAGE_MESSAGES);
    ctx.core.reactions.removeEmoji(m, emoji!);
    return { status: 204 };
  }),
  route('DELETE', BASE, {}, (ctx) => {
    const { m } = target(ctx, Perm.MANAGE_MESSAGES);
    ctx.core.reactions.removeAll(m);
    return { status: 204 };
  }),
  route('GET', `${BASE}/:emoji_name`, {}, (ctx) => {
    const { m, emoji } = target(ctx, Perm.READ_MESSAGE_HISTORY);
    const type = Number(ctx.query.get('type') ?? 0);
    const limit = Math.min(100, Math.max(1, Number(ctx.query.get('limit') ?? 25)));
    const after = ctx.query.get('after') ?? '0';
    const ids = ctx.core.reactions
      .users(m.id, emoji!, type === 1)
      .filter((id) => compareSnowflakes(id, after) > 0)
      .sort(compareSnowflakes)
      .slice(0, limit);
    return { status: 200, body: ids.map((id) => ctx.core.state.user(id)) };
  }),
];
