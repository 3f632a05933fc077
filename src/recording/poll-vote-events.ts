import type { GatewayMessagePollVoteDispatchData } from 'discord.js';
import type { RecordedPollVote } from './events';

/** The poll vote dispatches the recorder reads (Guild / Direct Message Polls intents). */
export const POLL_VOTE_EVENTS = ['MESSAGE_POLL_VOTE_ADD', 'MESSAGE_POLL_VOTE_REMOVE'] as const;
export type PollVoteEventName = (typeof POLL_VOTE_EVENTS)[number];

/**
 * A poll vote dispatch as a plain event (no discord.js objects past this point). A dispatch
 * without the fields it needs is an error the recorder logs.
 */
export function pollVoteEvent(t: PollVoteEventName, d: GatewayMessagePollVoteDispatchData): RecordedPollVote {
  if (typeof d.message_id !== 'string') throw new Error('no message_id');
  if (typeof d.user_id !== 'string') throw new Error('no user_id');
  if (!Number.isSafeInteger(d.answer_id)) throw new Error('no answer_id');
  const base = { kind: 'poll_vote' as const, discordMessageId: d.message_id, userId: d.user_id, answerId: d.answer_id };
  return t === 'MESSAGE_POLL_VOTE_ADD' ? { ...base, action: 'add', createdAt: new Date() } : { ...base, action: 'remove' };
}
