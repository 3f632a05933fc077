import { compileCron } from '../assistant/cron';
import { ACTIVITY_TEXT_MAX, PRESENCE_VARIABLES, templateVariables, windowProblems, type BotStatus, type BotStatusWindow, type PresenceVariable } from '../entities/BotStatus';

/**
 * Which `bot_status` row is live at a given instant, and why — plain data in, plain data out (no
 * discord.js, no SQL), so the presence sync, `/status show` and every process agree:
 *
 * 1. A row with a window (`starts_at`/`ends_at`/`cron_expression`) that is not in the rotation and
 *    whose window is open now wins; several open: the one whose window opened last (then by id).
 * 2. Else the rotation: the rows with a `rotation_position` (those with a window only while it is
 *    open), in position order, each for its `rotation_seconds`. Turns are counted from the Unix
 *    epoch, so every process and every connection shows the same row at the same time.
 * 3. Else the active row (`is_active`).
 * 4. Else nothing: online with no activity.
 *
 * A row whose window cannot be computed (a bad cron expression written straight to the table)
 * counts as open: it is chosen, cannot be applied, and the last good presence stays while it is logged.
 */

export type LiveReason = 'window' | 'rotation' | 'active' | 'none';

export interface LivePlan {
  row: BotStatus | null;
  reason: LiveReason;
  /** Rotation: the rows in turn order and which one is live. */
  rotation?: { rows: BotStatus[]; index: number };
  /** Window: when it opened and when it closes (null: open-ended). */
  window?: { start: Date | null; end: Date | null };
  /** The next instant the choice may change (a turn ends, a window opens or closes); null: none known. */
  nextChange: Date | null;
}

type Window = { open: true; start: Date | null; end: Date | null; next: Date | null } | { open: false; next: Date | null };

export function hasWindow(row: Partial<BotStatusWindow>): boolean {
  return !!(row.startsAt || row.endsAt || row.cronExpression);
}

const cronCache = new Map<string, ReturnType<typeof compileCron> | null>();
function cronOf(expr: string, tz: string) {
  const key = `${tz} ${expr}`;
  if (!cronCache.has(key)) {
    if (cronCache.size > 500) cronCache.clear();
    try {
      cronCache.set(key, compileCron(expr, tz));
    } catch {
      cronCache.set(key, null);
    }
  }
  return cronCache.get(key) ?? null;
}

/** Whether a row's window is open at `now`, with its bounds, and the next instant that changes. */
export function windowAt(row: BotStatusWindow, now: Date): Window | 'broken' {
  if (windowProblems(row).length) return 'broken';
  const t = now.getTime();
  const min = (...ds: (Date | null | undefined)[]) => ds.filter((d): d is Date => !!d && d.getTime() > t).sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  if (row.endsAt && t >= row.endsAt.getTime()) return { open: false, next: null };
  if (row.startsAt && t < row.startsAt.getTime()) return { open: false, next: row.startsAt };
  if (!row.cronExpression) return { open: true, start: row.startsAt, end: row.endsAt, next: row.endsAt };
  const cron = cronOf(row.cronExpression, row.timezone || 'UTC');
  if (!cron) return 'broken';
  const durationMs = row.durationSeconds! * 1000;
  const last = cron.previousRuns(1, now)[0] ?? null;
  const upcoming = cron.nextRun(now);
  if (last && t < last.getTime() + durationMs) {
    const end = new Date(Math.min(last.getTime() + durationMs, row.endsAt?.getTime() ?? Infinity));
    const start = row.startsAt && row.startsAt.getTime() > last.getTime() ? row.startsAt : last;
    return { open: true, start, end, next: min(end, upcoming) };
  }
  return { open: false, next: min(upcoming && (!row.endsAt || upcoming < row.endsAt) ? upcoming : null) };
}

/** What is live at `now` among `rows` (see the module comment for the rules). */
export function planAt(rows: BotStatus[], now: Date): LivePlan {
  const t = now.getTime();
  const changes: Date[] = [];
  const note = (d: Date | null) => d && d.getTime() > t && changes.push(d);
  const open = new Map<BotStatus, { start: Date | null; end: Date | null }>();
  for (const r of rows) {
    if (!hasWindow(r)) continue;
    const w = windowAt(r, now);
    if (w === 'broken') open.set(r, { start: null, end: null });
    else {
      note(w.next);
      if (w.open) open.set(r, { start: w.start, end: w.end });
    }
  }
  const nextChange = (extra?: Date | null) => {
    note(extra ?? null);
    return changes.sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  };
  const windowed = rows.filter((r) => r.rotationPosition == null && open.has(r));
  if (windowed.length) {
    const startOf = (r: BotStatus) => open.get(r)!.start?.getTime() ?? -Infinity;
    const row = windowed.sort((a, b) => startOf(b) - startOf(a) || a.id.localeCompare(b.id))[0];
    return { row, reason: 'window', window: open.get(row), nextChange: nextChange() };
  }
  const rotation = rows.filter((r) => r.rotationPosition != null && (!hasWindow(r) || open.has(r))).sort((a, b) => a.rotationPosition! - b.rotationPosition! || a.id.localeCompare(b.id));
  if (rotation.length) {
    const turnMs = (r: BotStatus) => Math.max(1, r.rotationSeconds) * 1000;
    const cycle = rotation.reduce((n, r) => n + turnMs(r), 0);
    let offset = t % cycle;
    let index = 0;
    while (offset >= turnMs(rotation[index])) offset -= turnMs(rotation[index++]);
    const turnEnd = rotation.length > 1 ? new Date(t - offset + turnMs(rotation[index])) : null;
    return { row: rotation[index], reason: 'rotation', rotation: { rows: rotation, index }, nextChange: nextChange(turnEnd) };
  }
  const active = rows.filter((r) => r.isActive && !hasWindow(r)).sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())[0];
  if (active) return { row: active, reason: 'active', nextChange: nextChange() };
  return { row: null, reason: 'none', nextChange: nextChange() };
}

/** The values `{variables}` stand for when the presence is applied. */
export type VariableValues = Record<Exclude<PresenceVariable, 'uptime' | 'version'>, number> & { uptimeMs: number; version: string };

/** The variables that need a database read (the others come from the gateway or the process). */
export const STORED_VARIABLES: readonly PresenceVariable[] = ['messages_today', 'users_seen'];

export function usesVariables(text: string | null): PresenceVariable[] {
  return templateVariables(text).filter((v): v is PresenceVariable => (PRESENCE_VARIABLES as readonly string[]).includes(v));
}

/** `2d 3h`, `3h 12m`, `12m` (minutes at most: the text changes at most once a minute). */
export function formatUptime(ms: number): string {
  const m = Math.floor(ms / 60_000);
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m % 60}m`;
  return `${m}m`;
}

/**
 * The activity text with its variables filled in (numbers in the row's locale, default en-US) and
 * cut to Discord's 128 characters (the last one an ellipsis). Unknown names are left as written
 * (rows that use them are refused before this).
 */
export function renderActivity(text: string, values: VariableValues, locale: string | null): string {
  const nf = new Intl.NumberFormat(locale || 'en-US');
  const out = text.replace(/\{([^{}\s]{1,32})\}/g, (whole, name: string) => {
    if (name === 'uptime') return formatUptime(values.uptimeMs);
    if (name === 'version') return values.version;
    const v = (values as unknown as Record<string, number>)[name];
    return typeof v === 'number' && (PRESENCE_VARIABLES as readonly string[]).includes(name) ? nf.format(v) : whole;
  });
  if (out.length <= ACTIVITY_TEXT_MAX) return out;
  // Cut by UTF-16 length, as the 128 is counted, never inside a character.
  let cut = '';
  for (const ch of out) {
    if (cut.length + ch.length > ACTIVITY_TEXT_MAX - 1) break;
    cut += ch;
  }
  return `${cut}…`;
}
