import { Cron } from 'croner';

/** A cron expression or time zone that cannot be used; the message says why. */
export class CronInputError extends Error {
  constructor(
    readonly field: 'cron' | 'timezone',
    message: string,
  ) {
    super(message);
    this.name = 'CronInputError';
  }
}

/** Null when `tz` is an IANA time zone this runtime knows; else the reason. */
export function timezoneProblem(tz: string): string | null {
  if (!tz || !/^[A-Za-z0-9_+\-/]+$/.test(tz)) return `"${tz}" is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)`;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return null;
  } catch {
    return `"${tz}" is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)`;
  }
}

/**
 * A croner job used only to compute run times (never started: the scheduler keeps the times in
 * the database). 5 fields (minute hour day month weekday), 6 with seconds first, 7 with a year
 * last; nicknames like @daily. Throws CronInputError naming the problem.
 */
export function compileCron(expression: string, timezone = 'UTC'): Cron {
  const expr = expression.trim().replace(/\s+/g, ' ');
  const tzProblem = timezoneProblem(timezone);
  if (tzProblem) throw new CronInputError('timezone', tzProblem);
  const fields = expr.split(' ').length;
  if (!/^@\w+$/.test(expr) && (fields < 5 || fields > 7)) {
    throw new CronInputError('cron', `"${expr}" has ${fields} field(s); use 5 (minute hour day month weekday, e.g. "0 9 * * 1-5"), or 6 with seconds first ("*/30 * * * * *")`);
  }
  let cron: Cron;
  try {
    cron = new Cron(expr, { paused: true, timezone, mode: 'auto' });
  } catch (e) {
    const why = String((e as Error).message).replace(/^Cron\w*:\s*/, '');
    throw new CronInputError('cron', `"${expr}" is not a valid cron expression: ${why}`);
  }
  if (!cron.nextRun(new Date())) {
    cron.stop();
    throw new CronInputError('cron', `"${expr}" never runs (no future time matches it)`);
  }
  return cron;
}

/** The first `n` run times strictly after `from`. */
export function nextRuns(cron: Cron, n: number, from = new Date()): Date[] {
  return cron.nextRuns(n, from);
}

/** The first run time strictly after `from`, or null. */
export function nextRun(cron: Cron, from: Date): Date | null {
  return cron.nextRun(from);
}

/** `2026-12-01 09:00:00` wall time in `timezone` (for replies; Discord's <t:…> shows the reader's own zone). */
export function formatInZone(d: Date, timezone: string): string {
  const p = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(d);
  const g = (t: string) => p.find((x) => x.type === t)?.value ?? '';
  return `${g('year')}-${g('month')}-${g('day')} ${g('hour')}:${g('minute')}:${g('second')}`;
}
