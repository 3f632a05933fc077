import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { int, timestamp, varchar } from '../database/column-types';

/**
 * One day's message purge (retention): claimed by inserting the row, so however many processes
 * run, one purges each day; it keeps what was deleted, for `/retention show`.
 */
@Entity({ name: 'purge_runs' })
@Index('uq_purge_runs_day', ['day'], { unique: true })
export class PurgeRun {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** The UTC day it ran for, YYYY-MM-DD. */
  @Column(varchar(10))
  day!: string;

  @Column(timestamp({ name: 'started_at' }))
  startedAt!: Date;

  /** Null while it runs (or when the process running it died: another may take it over after a while). */
  @Column(timestamp({ name: 'finished_at', nullable: true }))
  finishedAt!: Date | null;

  @Column(int({ default: 0 }))
  messages!: number;

  @Column(int({ default: 0 }))
  revisions!: number;

  @Column(int({ default: 0 }))
  reactions!: number;

  @Column(int({ default: 0 }))
  attachments!: number;
}
