import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bool, snowflake, text, timestamp, varchar } from '../database/column-types';

/** A cron schedule that runs a skill and posts its output to a channel. */
@Entity({ name: 'schedules' })
@Index('idx_schedules_due', ['enabled', 'nextRunAt'])
export class Schedule {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column(varchar(64))
  skill!: string;

  @Column(varchar(120, { name: 'cron_expression' }))
  cronExpression!: string;

  @Column(text({ default: '' }))
  input!: string;

  @Column(bool({ default: true }))
  enabled!: boolean;

  /** Where the output goes. */
  @Column(snowflake({ name: 'channel_id' }))
  channelId!: string;

  @Column(snowflake({ name: 'guild_id', nullable: true }))
  guildId!: string | null;

  /** IANA time zone the cron expression is read in. */
  @Column(varchar(64, { default: 'UTC' }))
  timezone!: string;

  @Column(snowflake({ name: 'created_by', nullable: true }))
  createdBy!: string | null;

  @Column(timestamp({ name: 'last_run_at', nullable: true }))
  lastRunAt!: Date | null;

  @Column(timestamp({ name: 'next_run_at', nullable: true }))
  nextRunAt!: Date | null;

  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;

  @Column(timestamp({ name: 'updated_at' }))
  updatedAt!: Date;
}
