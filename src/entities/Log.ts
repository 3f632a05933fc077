/* eslint-disable @typescript-eslint/no-explicit-any -- JSON columns hold any JSON value */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { json, text, timestamp, varchar } from '../database/column-types';

export const LOG_ROW_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogRowLevel = (typeof LOG_ROW_LEVELS)[number];

/** Log lines at LOG_DB_LEVEL and above, for `/logs` and post-mortems. */
@Entity({ name: 'logs' })
@Index('idx_logs_created', ['createdAt'])
@Index('idx_logs_level_created', ['level', 'createdAt'])
export class Log {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** Checked in code against LOG_ROW_LEVELS. */
  @Column(varchar(8))
  level!: string;

  @Column(varchar(64))
  source!: string;

  @Column(text())
  message!: string;

  @Column(json({ nullable: true }))
  metadata!: Record<string, any> | null;

  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;
}
