import { defineSkill, SkillInputError, SkillPermissionError } from './types';

export interface DigestInput {
  scope: 'channel' | 'server';
  /** A channel other than the one it runs in (`<#id>`). */
  channelId: string | null;
  periodMs: number;
  periodLabel: string;
}

const UNITS: Record<string, { ms: number; label: string }> = {
  m: { ms: 60_000, label: 'min' },
  min: { ms: 60_000, label: 'min' },
  h: { ms: 3_600_000, label: 'h' },
  d: { ms: 86_400_000, label: 'd' },
  w: { ms: 7 * 86_400_000, label: 'w' },
};
const MAX_PERIOD_MS = 366 * 86_400_000;

/**
 * digest — a channel's (or, for admins, the server's) activity over a period, from the recorded
 * messages: how many messages people sent, how many people, the busiest hour of day, and the
 * biggest threads of conversation (reply chains). Input: `[24h|7d|…] [server|<#channel>]`.
 */
export const digest = defineSkill<DigestInput>({
  name: 'digest',
  version: '1.0.0',
  description: "A channel's or the server's activity: messages, people, busiest hour, top threads",
  usage: '[period, e.g. 24h, 7d] [server | #channel]  (default: this channel, last 24 h)',
  permissions: ['read_messages'],
  location: 'src/skills/digest.ts',
  timeoutMs: 30_000,
  parse(raw) {
    const out: DigestInput = { scope: 'channel', channelId: null, periodMs: 86_400_000, periodLabel: '24 h' };
    for (const word of raw.trim().split(/\s+/).filter(Boolean)) {
      const w = word.toLowerCase();
      const period = /^(\d{1,4})(m|min|h|d|w)$/.exec(w);
      const channel = /^<#(\d{15,20})>$/.exec(word) ?? /^(\d{15,20})$/.exec(word);
      if (period) {
        const unit = UNITS[period[2]];
        const n = Number(period[1]);
        if (n < 1 || n * unit.ms > MAX_PERIOD_MS) throw new SkillInputError(`the period must be from 1 minute to 366 days (got ${word})`);
        out.periodMs = n * unit.ms;
        out.periodLabel = `${n} ${unit.label}`;
      } else if (w === 'server' || w === 'guild') {
        out.scope = 'server';
      } else if (w === 'channel') {
        out.scope = 'channel';
      } else if (channel) {
        out.scope = 'channel';
        out.channelId = channel[1];
      } else {
        throw new SkillInputError(`"${word}" is not understood; give a period like 24h or 7d, and "server" or a #channel (default: this channel, last 24 h)`);
      }
    }
    return out;
  },
  async run(input, ctx) {
    const until = ctx.now;
    const since = new Date(until.getTime() - input.periodMs);
    let where: string;
    let scope: { channelId?: string; guildId?: string };
    if (input.scope === 'server') {
      if (!ctx.guildId) throw new SkillInputError('a server digest needs a server: run it in a server channel');
      if (!ctx.isAdmin) throw new SkillPermissionError('a server-wide digest is for server admins (Manage Server)');
      scope = { guildId: ctx.guildId };
      where = 'this server';
    } else {
      const channelId = input.channelId ?? ctx.channelId;
      if (!channelId) throw new SkillInputError('no channel to digest');
      if (input.channelId && input.channelId !== ctx.channelId && !ctx.isAdmin) throw new SkillPermissionError('a digest of another channel is for server admins (Manage Server)');
      scope = { channelId };
      where = `<#${channelId}>`;
    }
    const s = await ctx.stores.activity.summarize({ ...scope, since, until }, { timezone: ctx.timezone, topThreads: 3 });
    ctx.signal.throwIfAborted();
    const lines = [`**Digest of ${where} — last ${input.periodLabel}**`];
    if (!s.messages) {
      lines.push('No messages from people in this period.');
      return lines.join('\n');
    }
    const hour = s.busiestHour ? `${pad(s.busiestHour.hour)}:00–${pad((s.busiestHour.hour + 1) % 24)}:00 ${ctx.timezone} (${plural(s.busiestHour.messages, 'message')})` : '—';
    lines.push(`Messages: ${s.messages} · People: ${s.people} · Busiest hour: ${hour}`);
    if (s.threads.length) {
      lines.push('Top threads:');
      s.threads.forEach((t, i) => {
        const text = t.snippet ? `“${t.snippet}”` : '(no text)';
        const place = input.scope === 'server' ? ` in <#${t.channelId}>` : '';
        lines.push(`${i + 1}. ${text} — ${t.author}${place} · ${plural(t.messages, 'message')}, ${plural(t.people, 'person', 'people')}`);
      });
    } else {
      lines.push('No reply threads.');
    }
    if (s.truncated) lines.push('_(threads and busiest hour from the newest 20,000 messages)_');
    return lines.join('\n');
  },
});

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
