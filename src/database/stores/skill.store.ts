import { randomUUID } from 'node:crypto';
import { Not, In, IsNull } from 'typeorm';
import { Skill } from '../../entities/Skill';
import type { StoreContext } from '../database';
import { NotFoundError } from '../errors';

export interface SkillDefinition {
  name: string;
  version: string;
  location: string;
  permissions: string[];
  metadata?: Skill['metadata'];
}

/** `skills`: what the bot ships, synced at start; removed ones are marked, not deleted. */
export class SkillStore {
  constructor(private readonly ctx: StoreContext) {}

  private get repo() {
    return this.ctx.manager.getRepository(Skill);
  }

  async createSkill(def: SkillDefinition): Promise<Skill> {
    const now = new Date();
    const row = this.repo.create({ id: randomUUID(), ...def, metadata: def.metadata ?? {}, createdAt: now, updatedAt: now, removedAt: null });
    await this.ctx.write('insert skills', (em) => em.insert(Skill, row));
    return row;
  }

  async getSkill(name: string): Promise<Skill | null> {
    return this.repo.findOneBy({ name });
  }

  async listSkills(opts: { includeRemoved?: boolean } = {}): Promise<Skill[]> {
    return this.repo.find({ where: opts.includeRemoved ? {} : { removedAt: IsNull() }, order: { name: 'ASC' } });
  }

  async updateSkill(name: string, fields: Partial<SkillDefinition>): Promise<Skill> {
    return this.ctx.write('update skills', async (em) => {
      const row = await em.findOneBy(Skill, { name });
      if (!row) throw new NotFoundError('skill', name);
      Object.assign(row, fields, { updatedAt: new Date() });
      await em.save(Skill, row);
      return row;
    });
  }

  async deleteSkill(name: string): Promise<void> {
    await this.ctx.write('delete skills', async (em) => {
      const res = await em.delete(Skill, { name });
      if (!res.affected) throw new NotFoundError('skill', name);
    });
  }

  /**
   * Makes the table match the shipped skills in one transaction: new ones inserted, changed ones
   * updated (and un-removed), ones no longer shipped marked `removed_at`.
   */
  async syncSkills(defs: SkillDefinition[]): Promise<{ added: string[]; updated: string[]; removed: string[] }> {
    return this.ctx.write('sync skills', async (em) => {
      const now = new Date();
      const existing = new Map((await em.find(Skill)).map((s) => [s.name, s]));
      const added: string[] = [];
      const updated: string[] = [];
      for (const def of defs) {
        const cur = existing.get(def.name);
        const metadata = def.metadata ?? {};
        if (!cur) {
          await em.insert(Skill, { id: randomUUID(), ...def, metadata, createdAt: now, updatedAt: now, removedAt: null });
          added.push(def.name);
        } else if (cur.version !== def.version || cur.location !== def.location || JSON.stringify(cur.permissions) !== JSON.stringify(def.permissions) || JSON.stringify(cur.metadata) !== JSON.stringify(metadata) || cur.removedAt) {
          await em.update(Skill, { id: cur.id }, { version: def.version, location: def.location, permissions: def.permissions, metadata, updatedAt: now, removedAt: null });
          updated.push(def.name);
        }
      }
      const names = defs.map((d) => d.name);
      const gone = await em.find(Skill, { where: { name: names.length ? Not(In(names)) : Not(IsNull()), removedAt: IsNull() } });
      for (const s of gone) await em.update(Skill, { id: s.id }, { removedAt: now, updatedAt: now });
      return { added, updated, removed: gone.map((s) => s.name) };
    });
  }
}
