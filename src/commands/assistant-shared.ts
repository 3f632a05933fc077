import type { Session } from '../entities/Session';
import type { User } from '../entities/User';
import type { AutocompleteContext, CommandContext } from './types';

/**
 * Helpers shared by /run, /tasks, /schedule and /logs (issue 6).
 */

/** A Discord timestamp tag: each reader sees it in their own time zone. */
export function stamp(d: Date, style: 'f' | 'F' | 'R' | 't' | 'T' | 'd' | 'D' = 'f'): string {
  return `<t:${Math.floor(d.getTime() / 1000)}:${style}>`;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** One line of at most `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Joins lines while they fit in `max` characters; says how many were left out. */
export function fitLines(head: string, lines: string[], max = 1900): string {
  let out = head;
  for (let i = 0; i < lines.length; i++) {
    const next = `${out}\n${lines[i]}`;
    if (next.length > max) return `${out}\n… and ${lines.length - i} more`;
    out = next;
  }
  return out;
}

/**
 * Runs `work`; if it is not done within `afterMs`, defers the reply first (Discord allows 3 s for
 * the first answer). Waits for a deferral in flight before returning or throwing, so the reply
 * that follows (or the router's error reply) edits it instead of answering twice.
 */
export async function deferredIfSlow<T>(ctx: CommandContext, work: () => Promise<T>, opts: { afterMs?: number; ephemeral?: boolean } = {}): Promise<T> {
  let deferring: Promise<void> | null = null;
  const timer = setTimeout(() => {
    deferring = ctx.defer(opts.ephemeral ?? false).catch((e: Error) => ctx.logger.warn({ err: e.message }, 'could not defer the reply'));
  }, opts.afterMs ?? 1500);
  try {
    return await work();
  } finally {
    clearTimeout(timer);
    if (deferring) await deferring;
  }
}

/**
 * The invoking user's row and open session in this channel, made when missing. Flushes the
 * recorder first so the user's latest messages (and the session they opened) are in the database.
 */
export async function ensureSession(ctx: CommandContext): Promise<{ user: User; session: Session }> {
  const i = ctx.interaction;
  await ctx.bot.queue.flush();
  // The same display name the recorder keeps (server nickname, else global name), so the two never flip-flop.
  const member = i.member as { nickname?: string | null; nick?: string | null } | null;
  const displayName = member?.nickname ?? member?.nick ?? i.user.globalName ?? null;
  const user = await ctx.db.users.ensureUser({ channel: 'discord', channelUserId: i.user.id, username: i.user.username, displayName });
  const open = await ctx.db.sessions.findOpenSession({ userId: user.id, channelId: i.channelId, idleMs: ctx.bot.recording.idleMs });
  if (open) return { user, session: open };
  const session = await ctx.db.sessions.createSession({ userId: user.id, channelId: i.channelId, guildId: i.guildId ?? null });
  // The recorder caches open sessions: make it read this one, or the reply would open another.
  ctx.bot.recording.invalidateSession(user.id, i.channelId);
  return { user, session };
}

/** Choices for a skill-name option: the synced `skills` rows this process can run, matching what was typed. */
export async function skillChoices(ctx: AutocompleteContext, typed: string): Promise<{ name: string; value: string }[]> {
  const registry = ctx.bot.skills;
  if (!registry) return [];
  const q = typed.trim().toLowerCase();
  const rows = await ctx.db.skills.listSkills();
  return rows
    .filter((r) => registry.get(r.name))
    .filter((r) => ctx.isAdmin || !r.permissions.includes('admin'))
    .filter((r) => !q || r.name.includes(q))
    .slice(0, 25)
    .map((r) => ({ name: oneLine(`${r.name} — ${String(r.metadata?.description ?? '')}`, 100), value: r.name }));
}
