import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { timestamp, varchar } from '../database/column-types';

/** `users.channel` of every Discord user. */
export const DISCORD_CHANNEL = 'discord';

/** Someone on a chat channel: for Discord, channel `discord` and their snowflake. */
export interface Person {
  channel: string;
  channelUserId: string;
}

/** A person (or bot) on one chat channel: `discord`, `telegram`, `web`… */
@Entity({ name: 'users' })
@Index('uq_users_channel_user', ['channel', 'channelUserId'], { unique: true })
export class User {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column(varchar(32))
  channel!: string;

  /** The id on that channel: for Discord, the user's snowflake. */
  @Column(varchar(64, { name: 'channel_user_id' }))
  channelUserId!: string;

  /** Personal fields: kept current from Discord, erased with the row by `/mydata forget`. */
  @Column(varchar(100, { nullable: true }))
  username!: string | null;

  @Column(varchar(100, { name: 'display_name', nullable: true }))
  displayName!: string | null;

  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;

  @Column(timestamp({ name: 'updated_at' }))
  updatedAt!: Date;
}
