import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { int, snowflake, timestamp } from '../database/column-types';

/**
 * A channel's own message retention, set by an admin with `/retention set`: messages there (and in
 * its threads) older than `days` are purged daily; `days` 0 keeps them for ever whatever
 * RETENTION_DAYS says. Channels without a rule follow RETENTION_DAYS (off by default).
 */
@Entity({ name: 'retention_rules' })
@Index('uq_retention_rules_channel', ['channelId'], { unique: true })
export class RetentionRule {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column(snowflake({ name: 'channel_id' }))
  channelId!: string;

  @Column(snowflake({ name: 'guild_id', nullable: true }))
  guildId!: string | null;

  /** Days messages are kept; 0 = for ever. */
  @Column(int())
  days!: number;

  /** The admin who set it (a Discord user id). */
  @Column(snowflake({ name: 'set_by', nullable: true }))
  setBy!: string | null;

  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;

  @Column(timestamp({ name: 'updated_at' }))
  updatedAt!: Date;
}
