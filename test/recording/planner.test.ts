import { describe, expect, it } from 'vitest';
import type { RecordedAuthor, RecordedCreate } from '../../src/recording/events';
import { RecordingPlanner, type CachedSession, type CachedUser, type PlannerLookups } from '../../src/recording/planner';

/** The planner without a database: lookups answer from plain maps, and count what was asked. */
function memory() {
  const users = new Map<string, CachedUser>();
  const sessions: { userId: string; channelId: string; session: CachedSession }[] = [];
  const owners = new Map<string, string>();
  const asked = { users: 0, sessions: 0 };
  const lookups: PlannerLookups = {
    storedMessageIds: async (ids) => new Set(ids.filter((id) => owners.has(id))),
    users: async (ids) => {
      asked.users += ids.length;
      return new Map(ids.filter((id) => users.has(id)).map((id) => [id, users.get(id)!]));
    },
    sessionOwners: async (ids) => new Map(ids.filter((id) => owners.has(id)).map((id) => [id, owners.get(id)!])),
    openSessions: async (pairs) => {
      asked.sessions += pairs.length;
      return sessions.filter((s) => pairs.some(([u, c]) => u === s.userId && c === s.channelId));
    },
  };
  return { users, sessions, owners, asked, lookups };
}

const ada: RecordedAuthor = { id: '100000000000000001', username: 'ada', displayName: 'Ada' };
const bot: RecordedAuthor = { id: '100000000000000009', username: 'chronicle', displayName: null };
const T0 = Date.UTC(2026, 0, 1);
let seq = 0;
function msg(author: RecordedAuthor, atMin: number, extra: Partial<RecordedCreate> = {}): RecordedCreate {
  seq++;
  return { kind: 'create', discordMessageId: String(200000000000000000n + BigInt(seq)), channelId: '300000000000000001', guildId: null, author, role: 'user', content: `m${seq}`, createdAt: new Date(T0 + atMin * 60_000), ...extra };
}

describe('recording planner', () => {
  it('creates an unknown author once, and one session for messages closer than the idle time', async () => {
    const m = memory();
    const p = new RecordingPlanner(30 * 60_000);
    const plan = await p.plan([msg(ada, 0), msg(ada, 10), msg(ada, 20)], m.lookups);
    expect(plan.freshUsers.map((f) => f.discordId)).toEqual([ada.id]);
    expect(new Set(plan.creates.map((c) => c.sessionId)).size).toBe(1);
    expect(plan.result).toMatchObject({ usersCreated: 1, sessionsCreated: 1 });
    // A new user has no sessions to look up.
    expect(m.asked.sessions).toBe(0);
  });

  it('starts a new session after the idle time', async () => {
    const p = new RecordingPlanner(30 * 60_000);
    const plan = await p.plan([msg(ada, 0), msg(ada, 31)], memory().lookups);
    expect(new Set(plan.creates.map((c) => c.sessionId)).size).toBe(2);
    expect(plan.sessionUpserts).toHaveLength(2);
  });

  it('a plan not committed yet is seen by the next one; once committed, the caches answer', async () => {
    const m = memory();
    const p = new RecordingPlanner(30 * 60_000);
    const first = await p.plan([msg(ada, 0)], m.lookups);
    p.accept(first);
    const second = await p.plan([msg(ada, 1)], m.lookups);
    expect(second.freshUsers).toEqual([]);
    expect(second.creates[0].sessionId).toBe(first.creates[0].sessionId);
    p.committed(first);
    p.accept(second);
    p.committed(second);
    const asked = m.asked.users;
    await p.plan([msg(ada, 2)], m.lookups);
    expect(m.asked.users).toBe(asked);
  });

  it('after reset, plans are made afresh from the lookups', async () => {
    const m = memory();
    const p = new RecordingPlanner(30 * 60_000);
    p.accept(await p.plan([msg(ada, 0)], m.lookups));
    p.reset();
    const again = await p.plan([msg(ada, 1)], m.lookups);
    expect(again.freshUsers.map((f) => f.discordId)).toEqual([ada.id]);
  });

  it('renames from authors only: history copies and session owners never rename', async () => {
    const m = memory();
    m.users.set(ada.id, { id: 'u-ada', username: 'ada', displayName: 'Ada' });
    const p = new RecordingPlanner(30 * 60_000);
    const renamed = { ...ada, displayName: 'Countess' };
    expect((await p.plan([msg(renamed, 0, { fromHistory: true })], m.lookups)).renames).toEqual([]);
    expect((await p.plan([msg(bot, 0, { role: 'assistant', sessionOwner: renamed })], m.lookups)).renames).toEqual([]);
    expect((await p.plan([msg(renamed, 0)], m.lookups)).renames).toEqual([{ id: 'u-ada', author: renamed }]);
  });

  it('does not record a reply to a person with no record, and never creates them for it', async () => {
    const m = memory();
    const p = new RecordingPlanner(30 * 60_000);
    const lone = await p.plan([msg(bot, 0, { role: 'assistant', sessionOwner: ada })], m.lookups);
    expect(lone.creates).toEqual([]);
    expect(lone.freshUsers.map((f) => f.discordId)).not.toContain(ada.id);
    expect(lone.result.unanswered).toBe(1);
    // Once she writes (in the same batch, before the reply), the reply is hers.
    const q = msg(ada, 1);
    const both = await p.plan([q, msg(bot, 2, { role: 'assistant', sessionOwner: ada })], m.lookups);
    expect(both.creates).toHaveLength(2);
    expect(both.creates[1].sessionId).toBe(both.creates[0].sessionId);
    expect(both.result.unanswered).toBe(0);
  });

  it("puts the bot's reply in the session of the person it answers (in the batch, or stored)", async () => {
    const m = memory();
    const p = new RecordingPlanner(30 * 60_000);
    const q = msg(ada, 0);
    const plan = await p.plan([q, msg(bot, 1, { role: 'assistant', replyToId: q.discordMessageId })], m.lookups);
    expect(plan.creates[1].sessionId).toBe(plan.creates[0].sessionId);

    m.users.set(ada.id, { id: 'u-ada', username: 'ada', displayName: 'Ada' });
    m.owners.set('299999999999999999', 'u-ada');
    m.sessions.push({ userId: 'u-ada', channelId: '300000000000000001', session: { id: 's-ada', lastAt: T0, storedAt: T0 } });
    const later = await new RecordingPlanner(30 * 60_000).plan([msg(bot, 2, { role: 'assistant', replyToId: '299999999999999999' })], m.lookups);
    expect(later.creates[0].sessionId).toBe('s-ada');
    expect([...later.sessionUpserts, ...later.sessionKeeps].map((r) => r[0])).toEqual(['s-ada']);
  });

  it('an edit of a message never stored becomes a create when the full message came with it', async () => {
    const p = new RecordingPlanner(30 * 60_000);
    const full = msg(ada, 0);
    const plan = await p.plan([{ kind: 'edit', discordMessageId: full.discordMessageId, content: 'edited', editedAt: new Date(T0 + 60_000), full }], memory().lookups);
    expect(plan.creates).toHaveLength(1);
    expect(plan.creates[0].create).toMatchObject({ content: 'edited', discordMessageId: full.discordMessageId });
  });

  it('forgetting a user drops their cached sessions too', async () => {
    const m = memory();
    const p = new RecordingPlanner(30 * 60_000);
    const first = await p.plan([msg(ada, 0)], m.lookups);
    p.accept(first);
    p.committed(first);
    p.forgetUser(ada.id);
    const after = await p.plan([msg(ada, 1)], m.lookups);
    expect(after.freshUsers.map((f) => f.discordId)).toEqual([ada.id]);
    expect(after.creates[0].sessionId).not.toBe(first.creates[0].sessionId);
  });
});
