import { SlashCommandBuilder } from 'discord.js';
import type { SlashCommand } from './types';

/** /ping — gateway latency and database round-trip. */
export const ping: SlashCommand = {
  data: new SlashCommandBuilder().setName('ping').setDescription('Gateway latency and database round-trip'),
  async execute(ctx) {
    const gateway = ctx.gateway.ping();
    const dbMs = await ctx.db.ping();
    const gw = gateway >= 0 ? `${Math.round(gateway)} ms` : 'not measured yet (no heartbeat acknowledged)';
    await ctx.reply({ content: `Pong! Gateway: ${gw} · Database (${ctx.db.driver}): ${dbMs.toFixed(1)} ms`, ephemeral: true });
  },
};
