/**
 * Discord's message markup as a terminal shows it: timestamps (`<t:1700000000:R>` → "3 minutes
 * ago"), mentions (`<@id>` → @ada, `<#id>` → #general, `<@&id>` → @role), slash command mentions
 * (`</ping:id>` → /ping) and custom emoji (`<:name:id>` → :name:). Times are the machine's local
 * time zone, as Discord shows each reader theirs.
 */
export interface MarkupNames {
  user(id: string): string | undefined;
  channel(id: string): string | undefined;
  role?(id: string): string | undefined;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400],
  ['month', 30 * 86_400],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

/** "in 5 minutes", "3 hours ago", "a few seconds ago" — Discord's style R. */
export function relativeTime(at: Date, now: Date): string {
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  // As Discord says it.
  if (Math.abs(seconds) < 45) return seconds > 0 ? 'in a few seconds' : 'a few seconds ago';
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') return rtf.format(Math.trunc(seconds / size), unit);
  }
  return rtf.format(0, 'second');
}

const STYLES: Record<string, Intl.DateTimeFormatOptions> = {
  t: { timeStyle: 'short' },
  T: { timeStyle: 'medium' },
  d: { dateStyle: 'short' },
  D: { dateStyle: 'long' },
  f: { dateStyle: 'long', timeStyle: 'short' },
  F: { dateStyle: 'full', timeStyle: 'short' },
};

export function formatTimestamp(seconds: number, style: string, now: Date): string {
  const at = new Date(seconds * 1000);
  if (style === 'R') return relativeTime(at, now);
  return new Intl.DateTimeFormat('en-GB', STYLES[style] ?? STYLES.f).format(at);
}

export function renderMarkup(text: string, names: MarkupNames, now = new Date()): string {
  return text
    .replace(/<t:(-?\d+)(?::([tTdDfFR]))?>/g, (_m, s: string, style?: string) => formatTimestamp(Number(s), style ?? 'f', now))
    .replace(/<@!?(\d+)>/g, (_m, id: string) => `@${names.user(id) ?? 'unknown-user'}`)
    .replace(/<#(\d+)>/g, (_m, id: string) => `#${names.channel(id) ?? 'unknown-channel'}`)
    .replace(/<@&(\d+)>/g, (_m, id: string) => `@${names.role?.(id) ?? 'unknown-role'}`)
    .replace(/<\/([\w -]+):\d+>/g, (_m, name: string) => `/${name}`)
    .replace(/<a?:(\w+):\d+>/g, (_m, name: string) => `:${name}:`);
}
