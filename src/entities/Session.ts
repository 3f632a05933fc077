import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { snowflake, timestamp, uuid } from '../database/column-types';
import { User } from './User';

/**
 * How far `sessions.updated_at` may lag a session's last message. The recorder rewrites a busy
 * session's row about once a minute instead of for every batch of messages; where the exact time
 * matters (is the session still open?) it is the newest of the session's messages' `created_at`.
 */
export const SESSION_TOUCH_MS = 60_000;

/**
 * A user's conversation in one channel. Open while `ended_at` is null and its last message is
 * younger than SESSION_IDLE_MINUTES. `updated_at` is that last message's time, to within
 * SESSION_TOUCH_MS (see above).
 */
@Entity({ name: 'sessions' })
@Index('idx_sessions_user_channel_open', ['userId', 'channelId', 'endedAt'])
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

  /** Time of the session's last message (to within SESSION_TOUCH_MS): what the idle timeout is measured from. */
  @Column(timestamp({ name: 'updated_at' }))
  updatedAt!: Date;

  @Column(timestamp({ name: 'ended_at', nullable: true }))
  endedAt!: Date | null;
}
