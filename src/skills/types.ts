import type { ActivityStore } from '../database/stores/activity.store';
import type { Logger } from '../logger';

/**
 * What a skill may ask for. Declared by the skill, enforced by the task runner:
 * - `admin`: only runs for server admins (Manage Server / Administrator / BOT_OWNER_IDS) — and
 *   for schedules, which only admins create;
 * - `read_messages`: gets read-only queries over the recorded messages (`ctx.stores.activity`);
 * - `post_messages`: may post in the channel now (`ctx.post`) or later (`ctx.later`).
 */
export const SKILL_PERMISSIONS = ['admin', 'read_messages', 'post_messages'] as const;
export type SkillPermission = (typeof SKILL_PERMISSIONS)[number];

/** A bad skill input: the user is told which rule it broke (a `/run` reply names the `input` option). */
export class SkillInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SkillInputError';
  }
}

/** A skill used something it did not declare, or was run by someone its permissions exclude. */
export class SkillPermissionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SkillPermissionError';
  }
}

/** The stores a skill may use: read-only, no SQL in skills. Each is there only with its permission. */
export interface SkillStores {
  /** Aggregations over recorded messages (needs `read_messages`). */
  readonly activity: ActivityStore;
}

export interface SkillContext {
  /** The `tasks` row this run is. */
  readonly taskId: string;
  /** `run`: asked for now (`/run`, a schedule); `later`: the follow-up a run asked for with `later()`. */
  readonly phase: 'run' | 'later';
  readonly channelId: string | null;
  readonly guildId: string | null;
  /** The Discord user it runs for; null for scheduled runs. */
  readonly user: { id: string } | null;
  /** Whether it runs with admin rights (an admin asked, or a schedule — only admins make those). */
  readonly isAdmin: boolean;
  /** IANA zone for presenting times: the schedule's, else UTC. */
  readonly timezone: string;
  readonly now: Date;
  readonly stores: SkillStores;
  readonly logger: Logger;
  /** Aborted when the run passes its timeout or the bot stops: stop work and return. */
  readonly signal: AbortSignal;
  /** Posts in the channel now (needs `post_messages`). */
  post(content: string): Promise<void>;
  /**
   * Deferred work (needs `post_messages`): stores a pending task of this skill that runs at `runAt`
   * with phase `later` (the skill's `runLater`), whose output is posted in the channel. It is a
   * `tasks` row with `run_at`, so it survives restarts.
   */
  later(runAt: Date, input: string): Promise<{ taskId: string; runAt: Date }>;
}

/** A skill: one file in src/skills/, listed in src/skills/index.ts. */
export interface Skill<I = unknown> {
  name: string;
  /** Bumped when behaviour changes; synced into `skills.version`. */
  version: string;
  description: string;
  /** Shown in `/run` help and stored in `skills.metadata`. */
  usage?: string;
  permissions: readonly SkillPermission[];
  /** Where the code lives (`skills.location`); defaults to `src/skills/<name>.ts`. */
  location?: string;
  /** Longest run before the task fails with a timeout; default 60 s. */
  timeoutMs?: number;
  /** Raw text → typed input; throws SkillInputError with the rule broken. */
  parse(raw: string, ctx: { now: Date; timezone: string }): I;
  run(input: I, ctx: SkillContext): Promise<string>;
  /** The follow-up of a `later()` call: gets the input given to `later`, returns what is posted. */
  runLater?(input: string, ctx: SkillContext): Promise<string>;
}

/** Keeps the input type of a skill definition while letting registries hold `Skill<any>`. */
export function defineSkill<I>(skill: Skill<I>): Skill<I> {
  return skill;
}

export const DEFAULT_SKILL_TIMEOUT_MS = 60_000;
