/** Interaction callback and the interaction webhooks (follow-ups, @original). No Authorization header required. */
import { MessageFlags } from '../actions';
import { TOKEN_LIFETIME_MS, type PendingInteraction } from '../interactions';
import type { EmuMessage } from '../types';
import { byType, type SpecSchema } from '../validation';
import { applyEdit, checkContentLength, commitFiles, isEmpty, normaliseComponents, normaliseEmbeds, resolveAttachments, type MessageBody } from './messagebody';
import { ApiError, Errors, route, type RestCtx, type Route } from './router';
import { executeChannelWebhook } from './webhooks';

const CallbackType = { PONG: 1, CHANNEL_MESSAGE: 4, DEFERRED_CHANNEL_MESSAGE: 5, DEFERRED_UPDATE_MESSAGE: 6, UPDATE_MESSAGE: 7, AUTOCOMPLETE_RESULT: 8, MODAL: 9, LAUNCH_ACTIVITY: 12 } as const;

/** Callback types Discord accepts per interaction type (2 command, 3 component, 4 autocomplete, 5 modal submit). */
const ALLOWED: Record<number, number[]> = { 2: [4, 5, 9, 12], 3: [4, 5, 6, 7, 9, 12], 4: [8], 5: [4, 5, 6, 7] };

function callbackSchema(ctx: RestCtx): SpecSchema {
  const s = ctx.core.spec;
  return byType({
    1: s.PongInteractionCallbackRequestSchema,
    4: s.CreateMessageInteractionCallbackRequestSchema,
    5: s.CreateMessageInteractionCallbackRequestSchema,
    6: s.UpdateMessageInteractionCallbackRequestSchema,
    7: s.UpdateMessageInteractionCallbackRequestSchema,
    8: s.ApplicationCommandAutocompleteCallbackRequestSchema,
    9: s.ModalInteractionCallbackRequestSchema,
    12: s.LaunchActivityInteractionCallbackRequestSchema,
  });
}

/** A message created by an interaction response or follow-up: authored by the bot, with webhook_id and interaction_metadata. */
function interactionMessage(ctx: RestCtx, p: PendingInteraction, data: MessageBody, loading: boolean): { m: EmuMessage; commit: () => void } {
  const { state } = ctx.core;
  checkContentLength(data);
  const ephemeral = Boolean((data.flags ?? 0) & MessageFlags.EPHEMERAL);
  const { list, pending } = resolveAttachments(ctx, p.channelId, data, null, ephemeral);
  if (!loading && isEmpty(data, list)) throw Errors.emptyMessage();
  const user = state.user(p.userId);
  const m = state.buildMessage({
    channelId: p.channelId,
    author: state.botUser,
    content: loading ? '' : (data.content ?? ''),
    embeds: loading ? [] : normaliseEmbeds(data.embeds),
    components: loading ? [] : normaliseComponents(data.components),
    attachments: loading ? [] : list,
    flags: ((data.flags ?? 0) & (4 | 64 | 4096 | 32768)) | (loading ? MessageFlags.LOADING : 0),
    type: p.type === 2 ? 20 : 0,
    tts: data.tts ?? false,
  });
  m.webhook_id = state.applicationId;
  m.application_id = state.applicationId;
  const owners = p.guildId ? { '0': p.guildId } : { '0': '0' };
  const meta: Record<string, unknown> = { id: p.id, type: p.type, user, authorizing_integration_owners: owners };
  if (p.type === 2) Object.assign(meta, { name: p.name, command_type: p.commandType });
  if (p.type === 3 && p.sourceMessageId) meta.interacted_message_id = p.sourceMessageId;
  if (p.followupIds.length > 0 || p.originalMessageId) meta.original_response_message_id = p.originalMessageId ?? undefined;
  m.interaction_metadata = meta;
  m.interaction = { id: p.id, type: p.type, name: p.name ?? '', user };
  if (p.type === 3 && p.sourceMessageId) {
    m.message_reference = { type: 0, message_id: p.sourceMessageId, channel_id: p.channelId, ...(p.guildId ? { guild_id: p.guildId } : {}) };
  }
  return { m, commit: () => commitFiles(ctx, m, pending) };
}

function pendingOf(ctx: RestCtx): PendingInteraction {
  const p = ctx.core.interactions.get(ctx.params.interaction_id, ctx.params.interaction_token);
  if (!p) throw Errors.unknownInteraction();
  return p;
}

function callback(ctx: RestCtx) {
  const p = pendingOf(ctx);
  const { core } = ctx;
  if (p.ack !== null) throw Errors.alreadyAcknowledged();
  if (Date.now() - p.createdAt > core.interactionResponseMs) {
    throw new ApiError(404, { message: 'Unknown interaction', code: 10062 }, 'unknown_interaction');
  }
  const body = ctx.body as { type: number; data?: Record<string, unknown> | null };
  if (!ALLOWED[p.type]?.includes(body.type)) {
    throw new ApiError(
      400,
      { code: 50035, message: 'Invalid Form Body', errors: { type: { _errors: [{ code: 'INTERACTION_RESPONSE_TYPE_INVALID', message: `Interaction response type ${body.type} is not valid for interaction type ${p.type}.` }] } } },
      'invalid_body',
    );
  }
  const data = (body.data ?? {}) as MessageBody & Record<string, unknown>;
  let message: EmuMessage | null = null;
  /** The response is message `m`: it becomes the interaction's original response and Discord shows it (new, or edited in place). */
  const answerWith = (m: EmuMessage, shown: 'posted' | 'updated'): EmuMessage => {
    p.ack = body.type;
    p.originalMessageId = m.id;
    p.ephemeral = Boolean(m.flags & MessageFlags.EPHEMERAL);
    if (shown === 'posted') core.actions.postMessage(m);
    else core.actions.messageUpdated(m);
    core.interactions.linkMessage(p, m.id);
    return m;
  };
  switch (body.type) {
    case CallbackType.CHANNEL_MESSAGE: {
      const { m, commit } = interactionMessage(ctx, p, data, false);
      commit();
      message = answerWith(m, 'posted');
      core.interactions.settle(p, m, { type: 4 });
      break;
    }
    case CallbackType.DEFERRED_CHANNEL_MESSAGE: {
      const { m } = interactionMessage(ctx, p, data, true);
      message = answerWith(m, 'posted');
      Object.assign(p.result, core.interactions.resultFromMessage(m), { type: 5, deferred: true });
      break;
    }
    case CallbackType.DEFERRED_UPDATE_MESSAGE: {
      p.ack = body.type;
      p.originalMessageId = p.sourceMessageId;
      Object.assign(p.result, { type: 6, deferred: true, messageId: p.sourceMessageId });
      break;
    }
    case CallbackType.UPDATE_MESSAGE: {
      const m = p.sourceMessageId ? core.state.findMessage(p.channelId, p.sourceMessageId) : undefined;
      if (!m) throw Errors.unknownMessage();
      const pending = applyEdit(ctx, m, data);
      commitFiles(ctx, m, pending);
      message = answerWith(m, 'updated');
      core.interactions.settle(p, m, { type: 7 });
      break;
    }
    case CallbackType.AUTOCOMPLETE_RESULT:
      p.ack = body.type;
      core.interactions.settle(p, null, { type: 8, choices: ((data.choices ?? []) as { name: string; value: string | number }[]).map((c) => ({ name: c.name, value: c.value })) });
      break;
    case CallbackType.MODAL:
      p.ack = body.type;
      core.interactions.settle(p, null, { type: 9, modal: data });
      break;
    default:
      throw new ApiError(400, { message: 'This interaction response type is not emulated', code: 50035, errors: {} }, 'invalid_body');
  }
  if (ctx.query.get('with_response') !== 'true') return { status: 204 };
  const interaction: Record<string, unknown> = { id: p.id, type: p.type, activity_instance_id: null };
  if (message) {
    interaction.response_message_id = message.id;
    interaction.response_message_loading = Boolean(message.flags & MessageFlags.LOADING);
    interaction.response_message_ephemeral = Boolean(message.flags & MessageFlags.EPHEMERAL);
  }
  const out: Record<string, unknown> = { interaction };
  if (message) out.resource = { type: body.type, message };
  else if (body.type === CallbackType.DEFERRED_UPDATE_MESSAGE || body.type === CallbackType.AUTOCOMPLETE_RESULT || body.type === CallbackType.MODAL) out.resource = { type: body.type };
  return { status: 200, body: out };
}

function webhookPending(ctx: RestCtx): PendingInteraction {
  const { core } = ctx;
  if (ctx.params.webhook_id !== core.applicationId) throw Errors.unknownWebhook();
  const p = core.interactions.getByToken(ctx.params.webhook_token);
  if (!p || p.ack === null) throw Errors.unknownWebhook();
  if (Date.now() - p.createdAt > TOKEN_LIFETIME_MS) throw new ApiError(401, { message: 'Invalid Webhook Token', code: 50027 }, 'unknown_interaction');
  return p;
}

function targetMessage(ctx: RestCtx, p: PendingInteraction): EmuMessage {
  const id = ctx.params.message_id === '@original' ? p.originalMessageId : ctx.params.message_id;
  if (!id || (id !== p.originalMessageId && !p.followupIds.includes(id))) throw Errors.unknownMessage();
  const m = ctx.core.state.findMessage(p.channelId, id);
  if (!m) throw Errors.unknownMessage();
  return m;
}

/** Turns a deferred "thinking" message into the final answer. */
function finishLoading(ctx: RestCtx, p: PendingInteraction, m: EmuMessage, body: MessageBody): void {
  const wasLoading = Boolean(m.flags & MessageFlags.LOADING);
  const pending = applyEdit(ctx, m, body);
  commitFiles(ctx, m, pending);
  if (wasLoading) {
    m.flags = (m.flags & ~MessageFlags.LOADING) | ((body.flags ?? 0) & MessageFlags.IS_COMPONENTS_V2);
    m.edited_timestamp = null;
  }
  ctx.core.actions.messageUpdated(m);
  if (m.id === p.originalMessageId) ctx.core.interactions.settle(p, m, { deferred: p.ack === 5 || p.ack === 6 });
  else ctx.core.interactions.refreshFollowup(p, m);
}

function followup(ctx: RestCtx) {
  const executed = executeChannelWebhook(ctx);
  if (executed) return executed;
  const p = webhookPending(ctx);
  const { core } = ctx;
  const body = (ctx.body ?? {}) as MessageBody;
  const wait = ctx.query.get('wait') === 'true';
  const original = p.originalMessageId ? core.state.findMessage(p.channelId, p.originalMessageId) : undefined;
  // On Discord the first follow-up after a deferred reply replaces the "thinking" message.
  if (p.ack === 5 && original && original.flags & MessageFlags.LOADING) {
    if (isEmpty(body, undefined) && ctx.files.length === 0) throw Errors.emptyMessage();
    finishLoading(ctx, p, original, body);
    return wait ? { status: 200, body: original } : { status: 204 };
  }
  const { m, commit } = interactionMessage(ctx, p, body, false);
  commit();
  core.actions.postMessage(m);
  core.interactions.addFollowup(p, m);
  if (!p.settled) core.interactions.settle(p, m, { deferred: true, messageId: m.id });
  return wait ? { status: 200, body: m } : { status: 204 };
}

function editWebhookMessage(ctx: RestCtx) {
  const p = webhookPending(ctx);
  const m = targetMessage(ctx, p);
  finishLoading(ctx, p, m, (ctx.body ?? {}) as MessageBody);
  return { status: 200, body: m };
}

function deleteWebhookMessage(ctx: RestCtx) {
  const p = webhookPending(ctx);
  const m = targetMessage(ctx, p);
  ctx.core.actions.deleteMessage(m.channel_id, m.id);
  return { status: 204 };
}

const editSchema = (ctx: RestCtx) => ctx.core.spec.IncomingWebhookUpdateRequestPartialSchema;

export const interactionRoutes: Route[] = [
  route('POST', '/interactions/:interaction_id/:interaction_token/callback', { auth: false, schema: callbackSchema }, callback),
  route('POST', '/webhooks/:webhook_id/:webhook_token', { auth: false, schema: (ctx) => ctx.core.spec.IncomingWebhookRequestPartialSchema }, followup),
  route('GET', '/webhooks/:webhook_id/:webhook_token/messages/:message_id', { auth: false }, (ctx) => ({ status: 200, body: targetMessage(ctx, webhookPending(ctx)) })),
  route('PATCH', '/webhooks/:webhook_id/:webhook_token/messages/:message_id', { auth: false, schema: editSchema }, editWebhookMessage),
  route('DELETE', '/webhooks/:webhook_id/:webhook_token/messages/:message_id', { auth: false }, deleteWebhookMessage),
];
