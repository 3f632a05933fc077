import { Attachment, type AttachmentState } from '../../entities/Attachment';
import type { StoreContext } from '../database';
import { dateValue, parseDbDate } from '../sql-values';

/** A stored file as the attachment store's size accounting sees it: its hash, bytes and first storing. */
export interface StoredFile {
  sha256: string;
  storedPath: string;
  size: number;
  storedAt: Date;
}

/**
 * `attachments` after they are recorded (rows are written by the recording store, with their
 * message): what the download queue reads and writes — the downloads due, each attempt's
 * outcome, and which stored files are still used (the store is content-addressed: one file can
 * serve several rows). No filesystem here: that is the download queue's.
 */
export class AttachmentStore {
  constructor(private readonly ctx: StoreContext) {}

  private get repo() {
    return this.ctx.manager.getRepository(Attachment);
  }

  /** Pending downloads whose backoff is over, oldest first, except `busy` (being downloaded). */
  async due(limit: number, busy: string[], now = new Date()): Promise<Attachment[]> {
    const q = this.repo
      .createQueryBuilder('a')
      .where('a.state = :state', { state: 'pending' satisfies AttachmentState })
      .andWhere('(a.next_attempt_at IS NULL OR a.next_attempt_at <= :now)', { now: dateValue(this.ctx.driver, now) })
      .orderBy('a.created_at', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .take(limit);
    if (busy.length) q.andWhere('a.id NOT IN (:...busy)', { busy });
    return q.getMany();
  }

  /** When the next pending download that is waiting out its backoff is due (null: none). */
  async nextDue(): Promise<Date | null> {
    const r = await this.repo.createQueryBuilder('a').select('MIN(a.next_attempt_at)', 'at').where('a.state = :state', { state: 'pending' }).getRawOne<{ at: string | Date | null }>();
    return r?.at ? new Date(parseDbDate(r.at)) : null;
  }

  /** The file is stored: false when the row is gone meanwhile (its person erased) or no longer pending. */
  async markStored(id: string, sha256: string, storedPath: string, at = new Date()): Promise<boolean> {
    const res = await this.ctx.write('attachment stored', (em) =>
      em
        .createQueryBuilder()
        .update(Attachment)
        .set({ state: 'stored', sha256, storedPath, error: null, nextAttemptAt: null, storedAt: at, updatedAt: at, attempts: () => 'attempts + 1' })
        .where('id = :id AND state = :state', { id, state: 'pending' })
        .execute(),
    );
    return (res.affected ?? 0) > 0;
  }

  /** An attempt that did not store the file: `pending` again after `retryAt`, or given up (`failed`, `too_large`). */
  async markAttempt(id: string, state: Extract<AttachmentState, 'pending' | 'failed' | 'too_large'>, error: string, retryAt: Date | null = null): Promise<void> {
    const now = new Date();
    await this.ctx.write('attachment attempt', (em) =>
      em
        .createQueryBuilder()
        .update(Attachment)
        .set({ state, error: error.slice(0, 1000), nextAttemptAt: retryAt, updatedAt: now, attempts: () => 'attempts + 1' })
        .where('id = :id AND state = :pending', { id, pending: 'pending' })
        .execute(),
    );
  }

  /** At start: what failed before is tried again (attempts from zero; the last error stays until then). */
  async retryFailed(): Promise<number> {
    const res = await this.ctx.write('retry attachments', (em) =>
      em
        .createQueryBuilder()
        .update(Attachment)
        .set({ state: 'pending', attempts: 0, nextAttemptAt: null, updatedAt: new Date() })
        .where('state IN (:...states)', { states: ['failed', 'pending'] })
        .execute(),
    );
    return res.affected ?? 0;
  }

  /** Whether any attachment has the file with this hash in the store. */
  async isStored(sha256: string): Promise<boolean> {
    return (await this.repo.createQueryBuilder('a').where('a.sha256 = :sha256 AND a.state = :state', { sha256, state: 'stored' }).getCount()) > 0;
  }

  /** Bytes in the store: each file once. */
  async storedBytes(): Promise<number> {
    const r = await this.ctx.manager
      .createQueryBuilder()
      .select('COALESCE(SUM(f.size), 0)', 'n')
      .from((q) => q.select('a.sha256', 'sha256').addSelect('MAX(a.size)', 'size').from(Attachment, 'a').where('a.state = :state', { state: 'stored' }).groupBy('a.sha256'), 'f')
      .getRawOne<{ n: string | number }>();
    return Number(r?.n ?? 0);
  }

  /** The stored files first stored longest ago (the first to go beyond ATTACHMENT_STORE_MAX_GB). */
  async oldestFiles(limit: number): Promise<StoredFile[]> {
    const rows = await this.repo
      .createQueryBuilder('a')
      .select('a.sha256', 'sha256')
      .addSelect('MAX(a.stored_path)', 'path')
      .addSelect('MAX(a.size)', 'size')
      .addSelect('MIN(a.stored_at)', 'at')
      .where('a.state = :state', { state: 'stored' })
      .groupBy('a.sha256')
      .orderBy('MIN(a.stored_at)', 'ASC')
      .limit(limit)
      .getRawMany<{ sha256: string; path: string; size: string | number; at: string | Date }>();
    return rows.map((r) => ({ sha256: r.sha256, storedPath: r.path, size: Number(r.size), storedAt: new Date(parseDbDate(r.at)) }));
  }

  /** The file is deleted to make room: every row using it says so. Returns how many rows. */
  async markEvicted(sha256: string, reason: string): Promise<number> {
    const now = new Date();
    const res = await this.ctx.write('evict attachment', (em) =>
      em.createQueryBuilder().update(Attachment).set({ state: 'evicted', storedPath: null, error: reason, updatedAt: now }).where('sha256 = :sha256 AND state = :state', { sha256, state: 'stored' }).execute(),
    );
    return res.affected ?? 0;
  }

  /** The attachments of a message, by its Discord id, in Discord's order of ids. */
  listForMessage(discordMessageId: string): Promise<Attachment[]> {
    return this.repo.find({ where: { discordMessageId }, order: { discordAttachmentId: 'ASC' } });
  }
}
