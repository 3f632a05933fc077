import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { snowflake, timestamp, uuid } from '../database/column-types';
import { User } from './User';

/**
 * A user's conversation in one channel. Open while `ended_at` is null and its last message
 * (`updated_at`) is younger than SESSION_IDLE_MINUTES.
 */
@Entity({ name: 'sessions' })
@Index('idx_sessions_user_channel_open', ['userId', 'channelId', 'endedAt'])
@Index('idx_sessions_channel', ['channelId', 'updatedAt'])
export class Session {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column(uuid({ name: 'user_id' }))
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column(snowflake({ name: 'channel_id' }))
  channelId!: string;

  @Column(snowflake({ name: 'guild_id', nullable: true }))
  guildId!: string | null;

  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;

  /** Time of the session's last message: what the idle timeout is measured from. */
  @Column(timestamp({ name: 'updated_at' }))
  updatedAt!: Date;

  @Column(timestamp({ name: 'ended_at', nullable: true }))
  endedAt!: Date | null;
}
