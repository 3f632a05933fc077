import { In, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { Attachment } from '../../entities/Attachment';
import { Message } from '../../entities/Message';
import { MessageRevision } from '../../entities/MessageRevision';
import { PollVote } from '../../entities/PollVote';
import { Reaction } from '../../entities/Reaction';
import { RetentionRule } from '../../entities/RetentionRule';
import { Schedule } from '../../entities/Schedule';
import { Session } from '../../entities/Session';
import { Task } from '../../entities/Task';
import { DISCORD_CHANNEL, User, type Person } from '../../entities/User';
import type { StoreContext } from '../database';
import { revisionFromRow, type StoredRevision } from './archive.store';
import { fromRow, type StoredMessage } from './message.store';
import { parseDbDate } from '../sql-values';

export type { Person };

export interface Span {
  count: number;
  first: Date | null;
  last: Date | null;
}

/** What is stored about one person: counts and date ranges per table. */
export interface PersonalSummary {
  user: User | null;
  sessions: Span;
  /** Every message in their sessions: theirs (`fromThem`, role user) and the bot's replies to them. */
  messages: Span & { fromThem: number };
  /** Earlier versions of those messages (edit history). */
  revisions: number;
  /** Reactions they made (to any recorded message). */
  reactions: Span;
  /** Their votes on polls (any recorded poll). */
  pollVotes: Span;
  tasks: Span;
  /** Attachments of those messages, and how many of them have their file in the attachment store. */
  attachments: { count: number; stored: number };
  /** Schedules whose `created_by` is their channel user id. */
  schedulesCreated: number;
}

/** Everything stored about one person, rows as the stores hand them out (content decoded). */
export interface PersonalExport {
  user: User | null;
  sessions: Session[];
  messages: StoredMessage[];
  /** Earlier versions of those messages. */
  revisions: StoredRevision[];
  /** Reactions they made; `discordMessageId` is the message reacted to. */
  reactions: (Omit<Reaction, 'message'> & { discordMessageId: string | null })[];
  /** Their poll votes; `discordMessageId` is the poll's message. */
  pollVotes: (Omit<PollVote, 'message'> & { discordMessageId: string | null })[];
  /** The attachments of those messages (Discord's description and the stored copy's SHA-256; not the files). */
  attachments: ExportedAttachment[];
  tasks: Task[];
  schedulesCreated: Schedule[];
}

/** The sections of an export, in the order they are written. */
export const EXPORT_SECTIONS = ['user', 'sessions', 'messages', 'revisions', 'reactions', 'pollVotes', 'attachments', 'tasks', 'schedulesCreated'] as const satisfies readonly (keyof PersonalExport)[];

/** One part of an export: the user row, or the next page of rows of a list section. */
export type ExportPart = { section: 'user'; value: User | null } | { [K in Exclude<keyof PersonalExport, 'user'>]: { section: K; rows: PersonalExport[K] } }[Exclude<keyof PersonalExport, 'user'>];

/** An attachment row in an export: without Discord's signed CDN links (they expire within a day). */
export type ExportedAttachment = Omit<Attachment, 'url' | 'proxyUrl' | 'message'>;

/** What `forgetPerson` removed. */
export interface ForgetResult {
  userRow: boolean;
  sessions: number;
  messages: number;
  /** Earlier versions of their messages. */
  revisions: number;
  /** Reactions they made (others' reactions to their messages go with the messages). */
  reactions: number;
  /** Their poll votes (others' votes on their polls go with the messages). */
  pollVotes: number;
  tasks: number;
  /** Attachment rows of those messages. */
  attachments: number;
  /**
   * The SHA-256 of every stored file those attachments had: the recording store deletes the ones
   * no other attachment uses, then drops this list (it never reaches a reply or a log).
   */
  files?: string[];
  /** Schedules kept (the channel still gets their posts) with `created_by` cleared. */
  schedulesUnlinked: number;
}

/**
 * `/mydata`: what is stored about a person, a full export, and erasure.
 *
 * Erasure deletes rows rather than blanking fields, because nothing else needs them: a person's
 * sessions hold only their messages and the bot's replies to them, and the tasks they asked for;
 * with those gone the `users` row is referenced by nothing. Their messages' earlier versions and
 * the reactions and poll votes on them go with the messages, and every reaction and poll vote they
 * made goes too (a person who only reacted or voted has no `users` row: those are found by their
 * Discord user id). Only schedules they created are
 * shared (they post to a channel for everyone), so those stay and lose the `created_by` link.
 * Other people's rows are not touched: their messages, including replies that point at an erased
 * message by Discord id (`reply_to_id`), stay as they are.
 */
export class PrivacyStore {
  constructor(private readonly ctx: StoreContext) {}

  async summarize(person: Person): Promise<PersonalSummary> {
    const user = await this.ctx.manager.findOneBy(User, { channel: person.channel, channelUserId: person.channelUserId });
    const schedulesCreated = person.channel === DISCORD_CHANNEL ? await this.ctx.manager.countBy(Schedule, { createdBy: person.channelUserId }) : 0;
    const em = this.ctx.manager;
    const byThem = (entity: typeof Reaction | typeof PollVote) =>
      person.channel === DISCORD_CHANNEL
        ? em
            .createQueryBuilder(entity, 'r')
            .select('COUNT(*)', 'n')
            .addSelect('MIN(r.created_at)', 'first')
            .addSelect('MAX(r.created_at)', 'last')
            .where('r.discord_user_id = :id', { id: person.channelUserId })
            .getRawOne<RawSpan>()
            .then(span)
        : EMPTY;
    const reactions = await byThem(Reaction);
    const pollVotes = await byThem(PollVote);
    if (!user) return { user, sessions: EMPTY, messages: { ...EMPTY, fromThem: 0 }, revisions: 0, reactions, pollVotes, tasks: EMPTY, attachments: { count: 0, stored: 0 }, schedulesCreated };
    const sessions = await em.createQueryBuilder(Session, 's').select('COUNT(*)', 'n').addSelect('MIN(s.created_at)', 'first').addSelect('MAX(s.updated_at)', 'last').where('s.user_id = :uid', { uid: user.id }).getRawOne<RawSpan>();
    const messages = await inSessionsOf(em, Message, 'm', user.id)
      .select('COUNT(*)', 'n')
      .addSelect("SUM(CASE WHEN m.role = 'user' THEN 1 ELSE 0 END)", 'mine')
      .addSelect('MIN(m.created_at)', 'first')
      .addSelect('MAX(m.created_at)', 'last')
      .getRawOne<RawSpan & { mine: string | number | null }>();
    const tasks = await inSessionsOf(em, Task, 't', user.id).select('COUNT(*)', 'n').addSelect('MIN(t.created_at)', 'first').addSelect('MAX(t.created_at)', 'last').getRawOne<RawSpan>();
    const revisions = await em.createQueryBuilder(MessageRevision, 'v').where(`v.message_id IN (${OF_THEIR_MESSAGES})`, { uid: user.id }).getCount();
    const files = await attachmentsOf(em, user.id).select('COUNT(*)', 'n').addSelect("SUM(CASE WHEN a.state = 'stored' THEN 1 ELSE 0 END)", 'stored').getRawOne<{ n: string | number; stored: string | number | null }>();
    const attachments = { count: Number(files?.n ?? 0), stored: Number(files?.stored ?? 0) };
    return { user, sessions: span(sessions), messages: { ...span(messages), fromThem: Number(messages?.mine ?? 0) }, revisions, reactions, pollVotes, tasks: span(tasks), attachments, schedulesCreated };
  }

  /** Every row about the person: exactly theirs, nobody else's (all in memory: for tests and small exports; /mydata export streams `exportParts`). */
  async exportPerson(person: Person): Promise<PersonalExport> {
    const out: PersonalExport = { user: null, sessions: [], messages: [], revisions: [], reactions: [], pollVotes: [], attachments: [], tasks: [], schedulesCreated: [] };
    for await (const part of this.exportParts(person)) {
      if (part.section === 'user') out.user = part.value;
      else (out[part.section] as unknown[]).push(...part.rows);
    }
    return out;
  }

  /**
   * The same rows as `exportPerson`, section by section in EXPORT_SECTIONS order, a page of at most
   * `pageSize` rows at a time (keyset pages on the section's time and id), so that a person with
   * hundreds of thousands of messages is exported in flat memory.
   */
  async *exportParts(person: Person, pageSize = 1000): AsyncGenerator<ExportPart> {
    const em = this.ctx.manager;
    const user = await em.findOneBy(User, { channel: person.channel, channelUserId: person.channelUserId });
    yield { section: 'user', value: user };
    const discord = person.channel === DISCORD_CHANNEL;
    if (user) {
      for await (const rows of keysetPages(() => em.createQueryBuilder(Session, 's').where('s.user_id = :uid', { uid: user.id }), 's', 'created_at', pageSize)) yield { section: 'sessions', rows };
      // Session by session, each in the order of idx_messages_session_created (no sort of all their messages per page).
      for await (const sessions of keysetPages(() => em.createQueryBuilder(Session, 's').select(['s.id', 's.createdAt']).where('s.user_id = :uid', { uid: user.id }), 's', 'created_at', pageSize)) {
        for (const session of sessions) {
          for await (const rows of keysetPages(() => em.createQueryBuilder(Message, 'm').where('m.session_id = :sid', { sid: session.id }), 'm', 'created_at', pageSize)) yield { section: 'messages', rows: rows.map(fromRow) };
        }
      }
      for await (const rows of keysetPages(() => em.createQueryBuilder(MessageRevision, 'v').where(`v.message_id IN (${OF_THEIR_MESSAGES})`, { uid: user.id }), 'v', 'replaced_at', pageSize))
        yield { section: 'revisions', rows: rows.map(revisionFromRow) };
    }
    if (discord) {
      for await (const rows of keysetPages(() => em.createQueryBuilder(Reaction, 'r').where('r.discord_user_id = :id', { id: person.channelUserId }), 'r', 'created_at', pageSize))
        yield { section: 'reactions', rows: await this.withDiscordIds(em, rows) };
      for await (const rows of keysetPages(() => em.createQueryBuilder(PollVote, 'p').where('p.discord_user_id = :id', { id: person.channelUserId }), 'p', 'created_at', pageSize))
        yield { section: 'pollVotes', rows: await this.withDiscordIds(em, rows) };
    }
    if (user) {
      for await (const rows of keysetPages(() => attachmentsOf(em, user.id), 'a', 'created_at', pageSize)) yield { section: 'attachments', rows: rows.map(({ url: _url, proxyUrl: _proxy, ...a }) => a) };
      for await (const rows of keysetPages(() => inSessionsOf(em, Task, 't', user.id), 't', 'created_at', pageSize)) yield { section: 'tasks', rows };
    }
    if (discord) {
      for await (const rows of keysetPages(() => em.createQueryBuilder(Schedule, 'c').where('c.created_by = :id', { id: person.channelUserId }), 'c', 'created_at', pageSize)) yield { section: 'schedulesCreated', rows };
    }
  }

  /** Erases the person in one transaction (see the class comment for what goes and what stays). */
  async forgetPerson(person: Person): Promise<ForgetResult> {
    return this.ctx.write('forget users', async (em) => {
      const schedulesUnlinked = person.channel === DISCORD_CHANNEL ? await this.unlinkSchedules(em, person.channelUserId) : 0;
      const byThem = async (entity: typeof Reaction | typeof PollVote) =>
        person.channel === DISCORD_CHANNEL ? ((await em.createQueryBuilder().delete().from(entity).where('discord_user_id = :id', { id: person.channelUserId }).execute()).affected ?? 0) : 0;
      const reactions = await byThem(Reaction);
      const pollVotes = await byThem(PollVote);
      const user = await em.findOneBy(User, { channel: person.channel, channelUserId: person.channelUserId });
      if (!user) return { userRow: false, sessions: 0, messages: 0, revisions: 0, reactions, pollVotes, tasks: 0, attachments: 0, schedulesUnlinked };
      const inTheirSessions = { where: 'session_id IN (SELECT id FROM sessions WHERE user_id = :uid)', params: { uid: user.id } };
      // What hangs off their messages, explicitly (the foreign keys cascade too), by the ids of
      // their messages read once: a subquery per table would find the same rows four times.
      const ids = (await em.query(THEIR_MESSAGE_IDS[this.ctx.driver], [user.id])) as { id: string }[];
      let revisions = 0;
      let attachments = 0;
      const files = new Set<string>();
      for (const part of chunk(
        ids.map((r) => r.id),
        1000,
      )) {
        revisions += (await em.createQueryBuilder().delete().from(MessageRevision).where('message_id IN (:...part)', { part }).execute()).affected ?? 0;
        await em.createQueryBuilder().delete().from(Reaction).where('message_id IN (:...part)', { part }).execute();
        await em.createQueryBuilder().delete().from(PollVote).where('message_id IN (:...part)', { part }).execute();
        const stored = await em.createQueryBuilder(Attachment, 'a').select('DISTINCT a.sha256', 'sha').where('a.message_id IN (:...part)', { part }).andWhere('a.sha256 IS NOT NULL').getRawMany<{ sha: string }>();
        for (const r of stored) files.add(r.sha);
        attachments += (await em.createQueryBuilder().delete().from(Attachment).where('message_id IN (:...part)', { part }).execute()).affected ?? 0;
      }
      const tasks = await em.createQueryBuilder().delete().from(Task).where(inTheirSessions.where, inTheirSessions.params).execute();
      const messages = await em.createQueryBuilder().delete().from(Message).where(inTheirSessions.where, inTheirSessions.params).execute();
      const sessions = await em.createQueryBuilder().delete().from(Session).where('user_id = :uid', { uid: user.id }).execute();
      await em.delete(User, { id: user.id });
      return {
        userRow: true,
        sessions: sessions.affected ?? 0,
        messages: messages.affected ?? 0,
        revisions,
        reactions,
        pollVotes,
        tasks: tasks.affected ?? 0,
        attachments,
        files: [...files],
        schedulesUnlinked,
      };
    });
  }

  /** Reactions (or poll votes) with the Discord id of the message each is on. */
  private async withDiscordIds<R extends { messageId: string; message?: Message }>(em: EntityManager, rows: R[]): Promise<(Omit<R, 'message'> & { discordMessageId: string | null })[]> {
    const discordIds = new Map<string, string | null>();
    for (const part of chunk([...new Set(rows.map((r) => r.messageId))])) {
      for (const m of await em.find(Message, { where: { id: In(part) }, select: { id: true, discordMessageId: true } })) discordIds.set(m.id, m.discordMessageId);
    }
    return rows.map((r) => ({ ...r, discordMessageId: discordIds.get(r.messageId) ?? null }));
  }

  private async unlinkSchedules(em: EntityManager, discordUserId: string): Promise<number> {
    const res = await em.update(Schedule, { createdBy: discordUserId }, { createdBy: null, updatedAt: new Date() });
    // Retention rules they set stay (they are the channel's) without the link to them.
    await em.update(RetentionRule, { setBy: discordUserId }, { setBy: null });
    return res.affected ?? 0;
  }
}

/**
 * The rows of a query in pages of `size`, ordered by (`timeColumn`, id): each page starts after the
 * last row of the one before (a keyset), so every page costs the same however deep it is.
 */
async function* keysetPages<T extends { id: string }>(query: () => SelectQueryBuilder<T>, alias: string, timeColumn: string, size: number): AsyncGenerator<T[]> {
  const time = `${alias}.${timeColumn}`;
  const prop = timeColumn.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof T;
  let after: { t: Date; id: string } | null = null;
  for (;;) {
    const qb = query();
    if (after) qb.andWhere(`(${time} > :kt OR (${time} = :kt AND ${alias}.id > :kid))`, { kt: after.t, kid: after.id });
    const rows = await qb.orderBy(time, 'ASC').addOrderBy(`${alias}.id`, 'ASC').limit(size).getMany();
    if (rows.length) yield rows;
    if (rows.length < size) return;
    const last = rows[rows.length - 1];
    after = { t: last[prop] as Date, id: last.id };
  }
}

/** Rows of `entity` (messages or tasks) that belong to the user's sessions. */
function inSessionsOf<T extends Message | Task>(em: EntityManager, entity: new () => T, alias: string, userId: string) {
  return em.createQueryBuilder(entity, alias).innerJoin(Session, 's', `s.id = ${alias}.session_id`).where('s.user_id = :uid', { uid: userId });
}

/** The ids of the messages in a user's sessions (`:uid`). */
const OF_THEIR_MESSAGES = 'SELECT m.id FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.user_id = :uid';

/** The same as a statement of its own ($1 / ?), per driver. */
const THEIR_MESSAGE_IDS: Record<'sqlite' | 'postgres', string> = {
  sqlite: 'SELECT m.id AS id FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.user_id = ?',
  postgres: 'SELECT m.id AS id FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.user_id = $1',
};

function chunk<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Attachments of the messages in the user's sessions. */
function attachmentsOf(em: EntityManager, userId: string) {
  return em.createQueryBuilder(Attachment, 'a').innerJoin(Message, 'm', 'm.id = a.message_id').innerJoin(Session, 's', 's.id = m.session_id').where('s.user_id = :uid', { uid: userId });
}

type RawSpan = { n: string | number; first: string | Date | null; last: string | Date | null };

const EMPTY: Span = { count: 0, first: null, last: null };

function span(raw: RawSpan | undefined): Span {
  return { count: Number(raw?.n ?? 0), first: raw?.first ? new Date(parseDbDate(raw.first)) : null, last: raw?.last ? new Date(parseDbDate(raw.last)) : null };
}
