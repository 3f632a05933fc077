import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { snowflake, text, timestamp, uuid, varchar } from '../database/column-types';
import { Session } from './Session';
import { Schedule } from './Schedule';

export const TASK_STATUSES = ['pending', 'in_progress', 'completed', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** One run of a skill: on demand (`/run`), from a schedule, or deferred (`remind`, via run_at). */
@Entity({ name: 'tasks' })
@Index('idx_tasks_status', ['status', 'runAt'])
@Index('idx_tasks_session_created', ['sessionId', 'createdAt'])
export class Task {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** The session of the user who asked; null for runs no person asked for (schedules). */
  @Column(uuid({ name: 'session_id', nullable: true }))
  sessionId!: string | null;

  @ManyToOne(() => Session, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'session_id' })
  session?: Session | null;

  @Column(uuid({ name: 'schedule_id', nullable: true }))
  scheduleId!: string | null;

  @ManyToOne(() => Schedule, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'schedule_id' })
  schedule?: Schedule | null;

  @Column(varchar(64))
  skill!: string;

  @Column(text())
  input!: string;

  @Column(text({ nullable: true }))
  output!: string | null;

  /** Checked in code against TASK_STATUSES. */
  @Column(varchar(16, { default: 'pending' }))
  status!: string;

  @Column(text({ nullable: true }))
  error!: string | null;

  /** Where the output goes when no interaction is waiting for it (schedules, reminders). */
  @Column(snowflake({ name: 'channel_id', nullable: true }))
  channelId!: string | null;

  /** A pending task is not started before this time (reminders survive restarts this way). */
  @Column(timestamp({ name: 'run_at', nullable: true }))
  runAt!: Date | null;

  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;

  @Column(timestamp({ name: 'updated_at' }))
  updatedAt!: Date;
}
