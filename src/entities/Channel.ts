import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bool, int, snowflake, text, timestamp, varchar } from '../database/column-types';

/**
 * A Discord channel or thread the bot has seen (GUILD_CREATE, CHANNEL_*, THREAD_*): its name,
 * Discord channel type (0 text, 5 announcement, 11/12 threads, 15 forum…), parent (a thread's
 * channel, or a channel's category), topic and whether a thread is archived. A deleted channel
 * keeps its row with `deleted_at` set. Not personal data: no person's content or id is kept here.
 */
@Entity({ name: 'channels' })
@Index('uq_channels_discord_channel', ['discordChannelId'], { unique: true })
@Index('idx_channels_parent', ['parentId'])
export class Channel {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column(snowflake({ name: 'discord_channel_id' }))
  discordChannelId!: string;

  @Column(snowflake({ name: 'guild_id', nullable: true }))
  guildId!: string | null;

  @Column(varchar(100, { nullable: true }))
  name!: string | null;

  /** Discord's channel type (an integer; see discord-api-types' ChannelType). */
  @Column(int())
  type!: number;

  /** The Discord id of a thread's channel, or of a channel's category. */
  @Column(snowflake({ name: 'parent_id', nullable: true }))
  parentId!: string | null;

  @Column(text({ nullable: true }))
  topic!: string | null;

  @Column(bool({ default: false }))
  archived!: boolean;

  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;

  @Column(timestamp({ name: 'updated_at' }))
  updatedAt!: Date;

  @Column(timestamp({ name: 'deleted_at', nullable: true }))
  deletedAt!: Date | null;
}

/** Discord channel types that are threads (announcement, public, private). */
export const THREAD_TYPES: ReadonlySet<number> = new Set([10, 11, 12]);
