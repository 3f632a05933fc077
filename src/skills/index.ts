import type { SkillDefinition } from '../database/stores/skill.store';
import { digest } from './digest';
import { echo } from './echo';
import { remind } from './remind';
import { DEFAULT_SKILL_TIMEOUT_MS, SKILL_PERMISSIONS, type Skill, type SkillPermission } from './types';

export * from './types';

/** The skills Chronicle ships: one file each in src/skills/. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const BUILTIN_SKILLS: Skill<any>[] = [echo, digest, remind];

/** Who a skill runs for, for the permission check. */
export interface SkillInvoker {
  isAdmin: boolean;
}

/** The skills this process can run (built-ins plus any given at start), by name. */
export class SkillRegistry {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly byName = new Map<string, Skill<any>>();

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(skills: Skill<any>[]) {
    for (const s of skills) {
      if (!/^[a-z][a-z0-9_-]{0,63}$/.test(s.name)) throw new Error(`skill name "${s.name}" must be lowercase letters, digits, - or _ (at most 64)`);
      if (this.byName.has(s.name)) throw new Error(`two skills are named "${s.name}"`);
      const bad = s.permissions.filter((p) => !(SKILL_PERMISSIONS as readonly string[]).includes(p));
      if (bad.length) throw new Error(`skill ${s.name} declares unknown permission(s) ${bad.join(', ')}; known: ${SKILL_PERMISSIONS.join(', ')}`);
      this.byName.set(s.name, s);
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  get(name: string): Skill<any> | undefined {
    return this.byName.get(name);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  list(): Skill<any>[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  names(): string[] {
    return this.list().map((s) => s.name);
  }

  /** Why the invoker may not run the skill, or null when it may. */
  refusal(skill: Skill<unknown>, who: SkillInvoker): string | null {
    if (skill.permissions.includes('admin') && !who.isAdmin) return `the \`${skill.name}\` skill is for server admins (Manage Server) only`;
    return null;
  }

  has(skill: Skill<unknown>, permission: SkillPermission): boolean {
    return skill.permissions.includes(permission);
  }

  timeoutOf(skill: Skill<unknown>): number {
    return skill.timeoutMs ?? DEFAULT_SKILL_TIMEOUT_MS;
  }

  /** Rows for `skills` (db.skills.syncSkills). */
  definitions(): SkillDefinition[] {
    return this.list().map((s) => ({
      name: s.name,
      version: s.version,
      location: s.location ?? `src/skills/${s.name}.ts`,
      permissions: [...s.permissions],
      metadata: { description: s.description, ...(s.usage ? { usage: s.usage } : {}), timeoutMs: this.timeoutOf(s) },
    }));
  }
}
