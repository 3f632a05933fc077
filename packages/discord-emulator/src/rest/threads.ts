/** Threads: starting one (from a message, without, a forum post) and listing the active ones. */
import { ChannelType, Perm } from '../payloads';
import { activeThreads, createThread } from '../threads';
import { ApiError, Errors, route, type RestCtx, type Route } from './router';

function parentOf(ctx: RestCtx) {
  const c = ctx.core.state.channels.get(ctx.params.channel_id);
  if (!c || !c.guild_id) throw Errors.unknownChannel();
  const have = ctx.core.state.memberPermissions(c.guild_id, ctx.core.state.botUser.id);
  if ((have & Perm.VIEW_CHANNEL) === 0n) throw Errors.missingAccess();
  if (c.type !== ChannelType.GUILD_TEXT && c.type !== ChannelType.GUILD_FORUM) throw new ApiError(400, { message: 'Cannot execute action on this channel type', code: 50024 });
  // A forum post is sending a message; a thread in a text channel needs Create Public Threads.
  const needs = c.type === ChannelType.GUILD_FORUM ? Perm.SEND_MESSAGES : Perm.CREATE_PUBLIC_THREADS;
  if ((have & needs) === 0n) throw Errors.missingPermissions();
  return c;
}

/** POST /channels/{id}/threads: a thread without a message (text channels), or a forum post (forums: `message` required). */
function create(ctx: RestCtx) {
  const parent = parentOf(ctx);
  const body = (ctx.body ?? {}) as { name: string; message?: { content?: string } };
  const forum = parent.type === ChannelType.GUILD_FORUM;
  if (forum && !body.message) throw new ApiError(400, { message: 'Invalid Form Body', code: 50035, errors: { message: { _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] } } });
  const { thread, message } = createThread(ctx.core, { parentId: parent.id, name: body.name, firstMessage: forum ? { content: body.message?.content ?? '' } : undefined });
  // A forum post answers with the thread and its first message.
  return { status: 201, body: forum ? { ...thread, message } : thread };
}

/** POST /channels/{id}/messages/{message_id}/threads: a thread started from a message. */
function createFromMessage(ctx: RestCtx) {
  const parent = parentOf(ctx);
  if (!ctx.core.state.findMessage(parent.id, ctx.params.message_id)) throw Errors.unknownMessage();
  if (ctx.core.state.channels.has(ctx.params.message_id)) throw new ApiError(400, { message: 'A thread has already been created for this message', code: 160004 });
  const body = (ctx.body ?? {}) as { name: string };
  return { status: 201, body: createThread(ctx.core, { parentId: parent.id, name: body.name, messageId: ctx.params.message_id }).thread };
}

function active(ctx: RestCtx) {
  const g = ctx.core.state.guilds.get(ctx.params.guild_id);
  if (!g || !g.members.has(ctx.core.state.botUser.id)) throw Errors.unknownGuild();
  return { status: 200, body: { threads: activeThreads(ctx.core, g.id), members: [] } };
}

export const threadRoutes: Route[] = [
  route(
    'POST',
    '/channels/:channel_id/threads',
    { schema: (ctx) => (ctx.core.state.channels.get(ctx.params.channel_id)?.type === ChannelType.GUILD_FORUM ? ctx.core.spec.CreateForumThreadRequestSchema : ctx.core.spec.CreateTextThreadWithoutMessageRequestSchema) },
    create,
  ),
  route('POST', '/channels/:channel_id/messages/:message_id/threads', { schema: (ctx) => ctx.core.spec.CreateTextThreadWithMessageRequestSchema }, createFromMessage),
  route('GET', '/guilds/:guild_id/threads/active', {}, active),
];
