import type { APIEmoji, GatewayMessageReactionAddDispatchData, GatewayMessageReactionRemoveAllDispatchData, GatewayMessageReactionRemoveDispatchData, GatewayMessageReactionRemoveEmojiDispatchData } from 'discord.js';
import { emojiKey } from '../entities/Reaction';
import type { RecordedEmoji, RecordedReaction } from './events';

/** The reaction dispatches the recorder reads (Guild / Direct Message Reactions intents). */
export const REACTION_EVENTS = ['MESSAGE_REACTION_ADD', 'MESSAGE_REACTION_REMOVE', 'MESSAGE_REACTION_REMOVE_ALL', 'MESSAGE_REACTION_REMOVE_EMOJI'] as const;
export type ReactionEventName = (typeof REACTION_EVENTS)[number];

type ReactionData = GatewayMessageReactionAddDispatchData | GatewayMessageReactionRemoveDispatchData | GatewayMessageReactionRemoveAllDispatchData | GatewayMessageReactionRemoveEmojiDispatchData;

/**
 * A reaction dispatch as a plain event (no discord.js objects past this point). Custom emoji are
 * kept by id (their name can change, and is null for one deleted since), unicode emoji by their
 * text. A dispatch without the fields it needs is an error the recorder logs.
 */
export function reactionEvent(t: ReactionEventName, d: ReactionData): RecordedReaction {
  if (typeof d.message_id !== 'string') throw new Error('no message_id');
  const base = { kind: 'reaction' as const, discordMessageId: d.message_id };
  if (t === 'MESSAGE_REACTION_REMOVE_ALL') return { ...base, action: 'remove_all' };
  const emoji = recordedEmoji((d as GatewayMessageReactionRemoveEmojiDispatchData).emoji);
  if (t === 'MESSAGE_REACTION_REMOVE_EMOJI') return { ...base, action: 'remove_emoji', emoji };
  const r = d as GatewayMessageReactionRemoveDispatchData;
  if (typeof r.user_id !== 'string') throw new Error('no user_id');
  const who = { emoji, userId: r.user_id, burst: r.burst === true };
  if (t === 'MESSAGE_REACTION_REMOVE') return { ...base, action: 'remove', ...who };
  return { ...base, action: 'add', ...who, createdAt: new Date() };
}

function recordedEmoji(e: APIEmoji | undefined): RecordedEmoji {
  const key = e ? emojiKey(e) : null;
  if (!e || !key) throw new Error('no emoji id or name');
  return { key, id: e.id ?? null, name: e.name ?? null, animated: e.animated === true };
}
