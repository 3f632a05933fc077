import { describe, expect, it } from 'vitest';
import { formatUptime, planAt, renderActivity, windowAt, type VariableValues } from '../../src/bot/presence-rules';
import { botStatusProblems, type BotStatus } from '../../src/entities/BotStatus';

const T0 = new Date('2026-12-03T12:00:00.000Z');
let n = 0;
function row(o: Partial<BotStatus> = {}): BotStatus {
  return {
    id: `r${++n}`,
    status: 'online',
    activityType: 'playing',
    activity: 'x',
    url: null,
    isActive: false,
    rotationPosition: null,
    rotationSeconds: 60,
    startsAt: null,
    endsAt: null,
    cronExpression: null,
    timezone: 'UTC',
    durationSeconds: null,
    locale: null,
    createdAt: T0,
    updatedAt: T0,
    ...o,
  };
}
const at = (ms: number) => new Date(T0.getTime() + ms);
const values: VariableValues = { guilds: 3, members: 1234567, channels: 12, messages_today: 4321, users_seen: 99, uptimeMs: 26 * 3600_000 + 5 * 60_000, version: '0.1.0' };

describe('planAt', () => {
  it('a single active row is live, with no change ahead', () => {
    const a = row({ isActive: true });
    expect(planAt([row(), a], T0)).toEqual({ row: a, reason: 'active', nextChange: null });
    expect(planAt([row()], T0)).toEqual({ row: null, reason: 'none', nextChange: null });
  });

  it('the rotation outranks the active row; turns follow position order, each for its seconds, counted from the epoch', () => {
    const a = row({ isActive: true });
    const r1 = row({ rotationPosition: 2, rotationSeconds: 10 });
    const r2 = row({ rotationPosition: 1, rotationSeconds: 20 });
    const r3 = row({ rotationPosition: 3, rotationSeconds: 30 });
    // T0 is a multiple of the 60 s cycle: turn 1 (r2, position 1) starts at T0.
    const seq = [0, 19_999, 20_000, 29_999, 30_000, 59_999, 60_000].map((ms) => planAt([a, r1, r2, r3], at(ms)).row!.id);
    expect(seq).toEqual([r2.id, r2.id, r1.id, r1.id, r3.id, r3.id, r2.id]);
    const p = planAt([a, r1, r2, r3], at(25_000));
    expect(p.reason).toBe('rotation');
    expect(p.rotation!.index).toBe(1);
    expect(p.nextChange).toEqual(at(30_000));
    // One row in the rotation: it stays, no turn ends.
    expect(planAt([a, r1], at(5_000))).toMatchObject({ row: r1, reason: 'rotation', nextChange: null });
  });

  it('an open window outranks the rotation; the window opened last wins; closes on time', () => {
    const rot = row({ rotationPosition: 1 });
    const w1 = row({ startsAt: at(1_000), endsAt: at(10_000) });
    const w2 = row({ startsAt: at(5_000), endsAt: at(8_000) });
    const rows = [rot, w1, w2];
    expect(planAt(rows, T0)).toMatchObject({ row: rot, reason: 'rotation', nextChange: at(1_000) });
    expect(planAt(rows, at(1_000))).toMatchObject({ row: w1, reason: 'window', window: { start: at(1_000), end: at(10_000) }, nextChange: at(5_000) });
    expect(planAt(rows, at(6_000))).toMatchObject({ row: w2, reason: 'window', nextChange: at(8_000) });
    expect(planAt(rows, at(8_000))).toMatchObject({ row: w1, nextChange: at(10_000) });
    expect(planAt(rows, at(10_000))).toMatchObject({ row: rot, reason: 'rotation', nextChange: null });
  });

  it('a rotation row with a window takes its turns only while the window is open', () => {
    const r1 = row({ rotationPosition: 1, rotationSeconds: 30 });
    const r2 = row({ rotationPosition: 2, rotationSeconds: 30, startsAt: at(60_000) });
    expect(planAt([r1, r2], at(40_000))).toMatchObject({ row: r1, nextChange: at(60_000) });
    expect(planAt([r1, r2], at(90_000)).row).toBe(r2);
  });

  it('cron windows: open for duration_seconds from each time, in the time zone given', () => {
    // 09:00 in Berlin is 08:00 UTC in December.
    const w = row({ cronExpression: '0 9 * * *', timezone: 'Europe/Berlin', durationSeconds: 1800 });
    const nine = new Date('2026-12-03T08:00:00.000Z');
    expect(windowAt(w, new Date(nine.getTime() - 1))).toEqual({ open: false, next: nine });
    expect(windowAt(w, new Date(nine.getTime() + 60_000))).toEqual({ open: true, start: nine, end: new Date(nine.getTime() + 1800_000), next: new Date(nine.getTime() + 1800_000) });
    expect(windowAt(w, new Date(nine.getTime() + 1800_000))).toMatchObject({ open: false, next: new Date('2026-12-04T08:00:00.000Z') });
    // ends_at caps the window.
    const capped = { ...w, endsAt: new Date(nine.getTime() + 600_000) };
    expect(windowAt(capped, new Date(nine.getTime() + 60_000))).toMatchObject({ open: true, end: capped.endsAt });
    expect(windowAt(capped, new Date(nine.getTime() + 600_000))).toEqual({ open: false, next: null });
  });

  it('a row whose window cannot be computed is chosen (and then refused), so the last good presence stays', () => {
    const bad = row({ cronExpression: 'not cron', durationSeconds: 60 });
    expect(windowAt(bad, T0)).toBe('broken');
    expect(planAt([row({ isActive: true }), bad], T0).row).toBe(bad);
    expect(botStatusProblems(bad).join('; ')).toMatch(/cron_expression: "not cron" /);
  });
});

describe('variables', () => {
  it('render at apply time with numbers in the row locale; uptime in minutes at most', () => {
    expect(renderActivity('{members} members in {guilds} servers · {messages_today} today · {users_seen} seen · up {uptime} · v{version} · {channels}', values, null)).toBe(
      '1,234,567 members in 3 servers · 4,321 today · 99 seen · up 1d 2h · v0.1.0 · 12',
    );
    expect(renderActivity('{members}', values, 'de-DE')).toBe('1.234.567');
    expect(formatUptime(59_999)).toBe('0m');
    expect(formatUptime(3 * 3600_000 + 12 * 60_000 + 59_000)).toBe('3h 12m');
  });

  it('cap the rendered text at 128 characters without splitting a character', () => {
    const out = renderActivity(`${'🙂'.repeat(60)}{members}`, values, null);
    expect(out.length).toBeLessThanOrEqual(128);
    expect(out.endsWith('…')).toBe(true);
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(renderActivity('{members}', values, null)).toBe('1,234,567');
  });

  it('an unknown variable, a bad locale, too short a turn, a window the wrong way round are problems', () => {
    const p = (o: Partial<BotStatus>) => botStatusProblems(row(o));
    expect(p({ activity: 'hi {member} and {guilds} {Nope}' })).toEqual([expect.stringMatching(/^activity uses unknown variables \{member\}, \{Nope\} \(known: \{guilds\} \{members\}/)]);
    expect(p({ locale: 'xx-nope-nope-nope' })).toEqual([expect.stringMatching(/locale "xx-nope-nope-nope" is not a locale/)]);
    expect(p({ rotationSeconds: 4 })).toEqual(['rotation_seconds must be a whole number from 5 to 86400 (got 4)']);
    expect(p({ startsAt: at(10), endsAt: at(5) })).toEqual(['ends_at must be after starts_at']);
    expect(p({ cronExpression: '0 9 * * *' })).toEqual([expect.stringMatching(/needs duration_seconds/)]);
    expect(p({ durationSeconds: 60 })).toEqual(['duration_seconds is only for a row with cron_expression']);
    expect(p({ activity: 'a {guilds} b' })).toEqual([]);
  });
});
