/**
 * Polls as Discord v10 has them: the message's `poll` object (question, answers with ids from 1,
 * expiry, allow_multiselect, layout_type, results), MESSAGE_POLL_VOTE_ADD / _REMOVE (the Guild
 * Message Polls intent in guilds, Direct Message Polls in DMs; user_id, channel_id, message_id,
 * guild_id, answer_id), and the end of a poll: MESSAGE_UPDATE with the final results
 * (`is_finalized`, no edited_timestamp), then Discord's POLL_RESULT system message (type 46) that
 * references the poll. As on Discord, a vote that changes nothing sends nothing.
 */
import type { Actions } from './actions';
import type { Gateway } from './gateway';
import { Intents } from './payloads';
import type { EmuEmoji } from './reactions';
import type { State } from './state';
import type { EmuMessage } from './types';

/** An answer: its text, or text and emoji. */
export type PollAnswerInput = string | { text: string; emoji?: EmuEmoji };

export interface PollInput {
  question: string;
  answers: PollAnswerInput[];
  /** Hours it is open (Discord: 1..768, default 24). */
  durationHours?: number;
  allowMultiselect?: boolean;
}

interface PollObject {
  question: { text: string };
  answers: { answer_id: number; poll_media: { text: string; emoji?: EmuEmoji } }[];
  expiry: string;
  allow_multiselect: boolean;
  layout_type: number;
  results: { answer_counts: { id: number; count: number; me_voted: boolean }[]; is_finalized: boolean };
}

/** The message's `poll` for a new poll (answer ids from 1, as Discord gives them). */
export function pollObject(o: PollInput, now = new Date()): PollObject {
  if (!o.answers.length || o.answers.length > 10) throw new Error('emulator: a poll has 1 to 10 answers');
  const hours = o.durationHours ?? 24;
  return {
    question: { text: o.question },
    answers: o.answers.map((a, i) => {
      const media = typeof a === 'string' ? { text: a } : a.emoji ? { text: a.text, emoji: a.emoji } : { text: a.text };
      return { answer_id: i + 1, poll_media: media };
    }),
    expiry: new Date(now.getTime() + hours * 3_600_000).toISOString(),
    allow_multiselect: o.allowMultiselect ?? false,
    layout_type: 1,
    results: { answer_counts: [], is_finalized: false },
  };
}

export class Polls {
  /** message id → answer id → who voted, in order. */
  private readonly votes = new Map<string, Map<number, string[]>>();

  constructor(
    private readonly state: State,
    private readonly gateway: Gateway,
    private readonly actions: Actions,
  ) {}

  private intent(channelId: string): number {
    return this.state.channels.get(channelId)?.guild_id ? Intents.GUILD_MESSAGE_POLLS : Intents.DIRECT_MESSAGE_POLLS;
  }

  private poll(m: EmuMessage): PollObject {
    const p = m.poll as PollObject | undefined;
    if (!p) throw new Error(`emulator: message ${m.id} has no poll`);
    return p;
  }

  /** Who voted for an answer, in order. */
  voters(messageId: string, answerId: number): string[] {
    return [...(this.votes.get(messageId)?.get(answerId) ?? [])];
  }

  /** A person votes: MESSAGE_POLL_VOTE_ADD (null when nothing changed). Without multiselect a vote replaces none: Discord refuses a second one. */
  add(m: EmuMessage, userId: string, answerId: number): Record<string, unknown> | null {
    const p = this.poll(m);
    if (p.results.is_finalized) throw new Error(`emulator: the poll of ${m.id} has ended`);
    if (!p.answers.some((a) => a.answer_id === answerId)) throw new Error(`emulator: the poll of ${m.id} has no answer ${answerId}`);
    let byAnswer = this.votes.get(m.id);
    if (!byAnswer) this.votes.set(m.id, (byAnswer = new Map()));
    const list = byAnswer.get(answerId) ?? [];
    if (list.includes(userId)) return null;
    if (!p.allow_multiselect && [...byAnswer.values()].some((l) => l.includes(userId))) throw new Error(`emulator: ${userId} already voted on ${m.id} (no multiselect)`);
    list.push(userId);
    byAnswer.set(answerId, list);
    this.count(m);
    return this.dispatch('MESSAGE_POLL_VOTE_ADD', m, userId, answerId);
  }

  /** A person takes their vote back: MESSAGE_POLL_VOTE_REMOVE (null when they had not voted so). */
  remove(m: EmuMessage, userId: string, answerId: number): Record<string, unknown> | null {
    const p = this.poll(m);
    if (p.results.is_finalized) throw new Error(`emulator: the poll of ${m.id} has ended`);
    const list = this.votes.get(m.id)?.get(answerId) ?? [];
    const i = list.indexOf(userId);
    if (i < 0) return null;
    list.splice(i, 1);
    this.count(m);
    return this.dispatch('MESSAGE_POLL_VOTE_REMOVE', m, userId, answerId);
  }

  /**
   * Ends the poll (its expiry, or its author ending it early): the final counts, MESSAGE_UPDATE
   * with them and no edited_timestamp, then the POLL_RESULT message. Returns both.
   */
  end(m: EmuMessage): { update: EmuMessage; result: EmuMessage } {
    const p = this.poll(m);
    if (p.results.is_finalized) throw new Error(`emulator: the poll of ${m.id} has ended already`);
    p.results.is_finalized = true;
    const now = new Date();
    if (new Date(p.expiry) > now) p.expiry = now.toISOString();
    this.count(m);
    const update = this.actions.messageUpdated(m);
    const counts = p.results.answer_counts;
    const total = counts.reduce((n, c) => n + c.count, 0);
    const top = counts.reduce<{ id: number; count: number } | null>((best, c) => (!best || c.count > best.count ? c : best), null);
    const tie = top !== null && counts.filter((c) => c.count === top.count).length > 1;
    const victor = top && !tie ? p.answers.find((a) => a.answer_id === top.id) : undefined;
    const fields = [
      { name: 'poll_question_text', value: p.question.text, inline: false },
      { name: 'victor_answer_votes', value: String(victor ? top!.count : 0), inline: false },
      { name: 'total_votes', value: String(total), inline: false },
    ];
    if (victor) fields.push({ name: 'victor_answer_id', value: String(victor.answer_id), inline: false }, { name: 'victor_answer_text', value: victor.poll_media.text, inline: false });
    const r = this.state.buildMessage({ channelId: m.channel_id, author: m.author, content: '', type: 46, embeds: [{ type: 'poll_result', fields }] });
    const guildId = this.state.channels.get(m.channel_id)?.guild_id;
    r.message_reference = { type: 0, channel_id: m.channel_id, message_id: m.id, ...(guildId ? { guild_id: guildId } : {}) };
    const result = this.actions.postMessage(r);
    return { update, result };
  }

  /** The poll's `results`: a count per answer voted for, `me_voted` for the bot. */
  private count(m: EmuMessage): void {
    const p = this.poll(m);
    const bot = this.state.botUser.id;
    const byAnswer = this.votes.get(m.id);
    p.results.answer_counts = p.answers
      .map((a) => byAnswer?.get(a.answer_id) ?? [])
      .map((voters, i) => ({ id: p.answers[i].answer_id, count: voters.length, me_voted: voters.includes(bot) }))
      .filter((c) => c.count > 0);
  }

  private dispatch(t: 'MESSAGE_POLL_VOTE_ADD' | 'MESSAGE_POLL_VOTE_REMOVE', m: EmuMessage, userId: string, answerId: number): Record<string, unknown> {
    const guildId = this.state.channels.get(m.channel_id)?.guild_id;
    const d = { user_id: userId, channel_id: m.channel_id, message_id: m.id, ...(guildId ? { guild_id: guildId } : {}), answer_id: answerId };
    this.gateway.dispatch(t, d, { need: this.intent(m.channel_id) });
    return d;
  }
}
