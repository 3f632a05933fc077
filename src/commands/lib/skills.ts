import type { AutocompleteContext } from '../types';
import { oneLine } from './format';

/** Choices for a skill-name option: the synced `skills` rows this process can run, matching what was typed. */
export async function skillChoices(ctx: AutocompleteContext, typed: string): Promise<{ name: string; value: string }[]> {
  const q = typed.trim().toLowerCase();
  const rows = await ctx.db.skills.listSkills();
  return rows
    .filter((r) => ctx.skills.get(r.name))
    .filter((r) => ctx.isAdmin || !r.permissions.includes('admin'))
    .filter((r) => !q || r.name.includes(q))
    .slice(0, 25)
    .map((r) => ({ name: oneLine(`${r.name} — ${String(r.metadata?.description ?? '')}`, 100), value: r.name }));
}
