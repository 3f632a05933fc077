/**
 * Executing a channel webhook (POST /webhooks/{id}/{token}, no Authorization header): the message
 * is authored by the webhook (its id, the name it posts under, `bot: true`, discriminator 0000),
 * carries `webhook_id`, and has no member, as on Discord. An interaction's webhook (the
 * application's id) is not one of these: interactions.ts answers it.
 */
import { makeUser } from '../payloads';
import type { EmuMessage } from '../types';
import { checkContentLength, commitFiles, isEmpty, normaliseEmbeds, resolveAttachments, type MessageBody } from './messagebody';
import { Errors, type RestCtx, type Reply } from './router';

/** A channel webhook as the emulator keeps it. */
export interface EmuWebhook {
  id: string;
  token: string;
  channelId: string;
  name: string;
}

/** Runs the webhook when the path names one, else null (the request is an interaction's). */
export function executeChannelWebhook(ctx: RestCtx): Reply | null {
  const { core } = ctx;
  const hook = core.state.webhooks.get(ctx.params.webhook_id);
  if (!hook) return null;
  if (hook.token !== ctx.params.webhook_token) throw Errors.unknownWebhook();
  const body = (ctx.body ?? {}) as MessageBody & { username?: string | null };
  checkContentLength(body);
  const { list, pending } = resolveAttachments(ctx, hook.channelId, body, null, false);
  if (isEmpty(body, list)) throw Errors.emptyMessage();
  const author = makeUser({ id: hook.id, username: body.username || hook.name, bot: true, globalName: null });
  const m: EmuMessage = core.state.buildMessage({ channelId: hook.channelId, author, content: body.content ?? '', embeds: normaliseEmbeds(body.embeds), attachments: list, tts: body.tts ?? false });
  m.webhook_id = hook.id;
  commitFiles(ctx, m, pending);
  const d = core.actions.postMessage(m);
  return ctx.query.get('wait') === 'true' ? { status: 200, body: d } : { status: 204 };
}
