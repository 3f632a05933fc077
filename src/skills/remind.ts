import { defineSkill, SkillInputError } from './types';

export interface RemindInput {
  runAt: Date;
  text: string;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const MAX_AHEAD_MS = 366 * 86_400_000;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * remind — posts a text in the channel after a delay or at a time: `10m take a break`,
 * `1h30m call back`, `2026-12-01T09:00Z standup` (a time without an offset is read in the run's
 * time zone: the schedule's, else UTC). The reminder is a pending `tasks` row with `run_at`, so it
 * is delivered after a restart too (late, if the bot was down when it was due).
 */
export const remind = defineSkill<RemindInput>({
  name: 'remind',
  version: '1.0.0',
  description: 'Posts a reminder in this channel after a delay or at a time',
  usage: '<delay like 10m, 1h30m, 2d | time like 2026-12-01T09:00Z> <text>',
  permissions: ['post_messages'],
  location: 'src/skills/remind.ts',
  timeoutMs: 10_000,
  parse(raw, { now, timezone }) {
    const m = /^\s*(?:in\s+)?(\S+)\s*([\s\S]*)$/i.exec(raw);
    const when = m?.[1] ?? '';
    const text = (m?.[2] ?? '').trim();
    let runAt: Date;
    if (/^(\d+[smhdw])+$/i.test(when)) {
      let ms = 0;
      for (const [, n, u] of when.toLowerCase().matchAll(/(\d+)([smhdw])/g)) ms += Number(n) * UNIT_MS[u];
      runAt = new Date(now.getTime() + ms);
    } else if (ISO.test(when)) {
      runAt = parseTime(when, timezone);
      if (Number.isNaN(runAt.getTime())) throw new SkillInputError(`"${when}" is not a valid date and time`);
    } else {
      throw new SkillInputError('start with a delay (10m, 1h30m, 2d) or a time (2026-12-01T09:00Z), then the text, e.g. "10m take a break"');
    }
    if (!text) throw new SkillInputError('what should I remind you of? Add the text after the time, e.g. "10m take a break"');
    if (text.length > 1500) throw new SkillInputError('the reminder text can be at most 1500 characters');
    if (runAt.getTime() <= now.getTime()) throw new SkillInputError(`${runAt.toISOString()} is in the past`);
    if (runAt.getTime() - now.getTime() > MAX_AHEAD_MS) throw new SkillInputError('reminders can be at most 366 days ahead');
    return { runAt, text };
  },
  async run(input, ctx) {
    const { taskId, runAt } = await ctx.later(input.runAt, input.text);
    const t = Math.floor(runAt.getTime() / 1000);
    return `⏰ Reminder set for <t:${t}:F> (<t:${t}:R>): ${input.text}\n-# task \`${taskId.slice(0, 8)}\``;
  },
  async runLater(text, ctx) {
    return ctx.user ? `⏰ <@${ctx.user.id}>, reminder: ${text}` : `⏰ Reminder: ${text}`;
  },
});

/** An ISO date-time; without an offset it is wall time in `timezone`. */
function parseTime(s: string, timezone: string): Date {
  const m = ISO.exec(s)!;
  if (m[7]) {
    const off = m[7].toUpperCase() === 'Z' ? 'Z' : m[7].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
    return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${off}`);
  }
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  // Two passes settle the zone's offset (also across a DST change).
  let t = wall - offsetMs(wall, timezone);
  t = wall - offsetMs(t, timezone);
  return new Date(t);
}

/** The zone's offset from UTC at instant `t`, in ms. */
function offsetMs(t: number, timezone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(t / 1000) * 1000;
}
