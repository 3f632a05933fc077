import { PermissionFlagsBits } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandBodies } from '../../src/commands/registry';

describe('the command registry', () => {
  it('has one entry per name and every body is a chat-input command', () => {
    const names = commandBodies().map((b) => b.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['ping', 'status', 'session', 'history', 'stats', 'mydata', 'privacy']));
  });

  it('admin and owner commands carry default_member_permissions (Manage Server); the others none', () => {
    for (const c of COMMANDS) {
      const body = c.data.toJSON();
      const restricted = c.access === 'admin' || c.access === 'owner';
      expect([c.data.name, body.default_member_permissions ?? null]).toEqual([c.data.name, restricted ? String(PermissionFlagsBits.ManageGuild) : null]);
    }
  });
});
