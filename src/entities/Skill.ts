/* eslint-disable @typescript-eslint/no-explicit-any -- JSON columns hold any JSON value */
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { json, text, timestamp, varchar } from '../database/column-types';

/** A skill the bot ships, synced at start. `removed_at` marks one that is no longer shipped. */
@Entity({ name: 'skills' })
export class Skill {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column(varchar(64, { unique: true }))
  name!: string;

  @Column(varchar(32))
  version!: string;

  /** Where the code lives, e.g. `src/skills/digest.ts`. */
  @Column(text())
  location!: string;

  @Column(json())
  permissions!: string[];

  @Column(json())
  metadata!: Record<string, any>;

  @Column(timestamp({ name: 'created_at' }))
  createdAt!: Date;

  @Column(timestamp({ name: 'updated_at' }))
  updatedAt!: Date;

  @Column(timestamp({ name: 'removed_at', nullable: true }))
  removedAt!: Date | null;
}
