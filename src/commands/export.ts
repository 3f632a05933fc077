import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ChannelType, GuildMember, MessageFlags, PermissionFlagsBits, PermissionsBitField, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { exportChannel, parseWhen } from '../export/export-channel';
import { partFileName, TRANSCRIPT_FORMATS, type TranscriptFormatName } from '../export/transcript';
import { plural } from './lib/format';
import { choiceOption } from './lib/options';
import { CommandInputError, type CommandContext, type SlashCommand } from './types';

/** Used when the interaction does not say (Discord's default upload limit). */
const DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;
/** The reply is edited with the progress at most this often (Discord rate-limits edits). */
const PROGRESS_EVERY_MS = 2000;

const EXPORTABLE = [ChannelType.GuildText, ChannelType.GuildAnnouncement, ChannelType.GuildVoice, ChannelType.GuildStageVoice, ChannelType.PublicThread, ChannelType.PrivateThread, ChannelType.AnnouncementThread] as const;

/**
 * /export channel: [format:] [after:] [before:] — a channel's recorded transcript as a file, for
 * people who can read the channel's history in Discord (View Channel and Read Message History
 * there, from discord.js's permissionsFor: roles and the channel's overwrites) and admins. The
 * reply is private; it shows the progress while the file is written, then carries the file, in
 * numbered parts (one per message) when it is over the upload limit.
 */
export const exportCommand: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('export')
    .setDescription("A channel's recorded transcript as a file (HTML, JSON, TXT or CSV)")
    .addChannelOption((o) =>
      o
        .setName('channel')
        .setDescription('The channel or thread')
        .setRequired(true)
        .addChannelTypes(...EXPORTABLE),
    )
    .addStringOption((o) =>
      o
        .setName('format')
        .setDescription('File format (default html)')
        .addChoices(...TRANSCRIPT_FORMATS.map((f) => ({ name: f, value: f }))),
    )
    .addStringOption((o) => o.setName('after').setDescription('Messages sent from this date/time on (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)').setMaxLength(40))
    .addStringOption((o) => o.setName('before').setDescription('Messages sent before this date/time (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)').setMaxLength(40)),
  readsRecorded: { ephemeral: true, maxWaitMs: 5000 },
  botPermissions: [PermissionFlagsBits.AttachFiles],
  async execute(ctx) {
    const i = ctx.interaction;
    const channel = i.options.getChannel('channel', true);
    const format = choiceOption<TranscriptFormatName>(i, 'format', TRANSCRIPT_FORMATS, 'html');
    const after = dateOption(i, 'after');
    const before = dateOption(i, 'before');
    if (after && before && after >= before) throw new CommandInputError('before', 'must be later than `after`');
    if (!ctx.isAdmin && !canReadHistory(i, channel.id)) return refuse(ctx, channel.id);
    await ctx.defer(true);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chronicle-export-'));
    try {
      let lastEdit = Date.now();
      /** The progress edit in flight: the file's reply waits for it, so a late one cannot replace the file. */
      let shown: Promise<unknown> = Promise.resolve();
      const base = `transcript-${channel.id}`;
      const res = await exportChannel(
        ctx.db,
        {
          channelId: channel.id,
          format,
          after,
          before,
          maxBytes: i.attachmentSizeLimit || DEFAULT_UPLOAD_LIMIT,
          attachmentHref: (a) => (a.storedPath ? `attachments/${a.storedPath}` : null),
          onProgress: (n, total) => {
            if (Date.now() - lastEdit < PROGRESS_EVERY_MS) return;
            lastEdit = Date.now();
            shown = shown.then(() =>
              i.editReply({ content: `Exporting <#${channel.id}>… ${n} of ${total} messages written.`, allowedMentions: { parse: [] } }).catch((e: Error) => ctx.logger.warn({ err: e.message }, 'could not show the export progress')),
            );
          },
        },
        (n) => path.join(dir, `part-${n}`),
      );
      await shown;
      if (!res.messages) {
        await ctx.reply({ content: `Nothing recorded in <#${channel.id}>${after || before ? ' in that time range' : ''}.`, ephemeral: true, allowedMentions: { parse: [] } });
        return;
      }
      const n = res.parts.length;
      const ext = format;
      const what = `Transcript of <#${channel.id}>: ${plural(res.messages, 'message')}${n > 1 ? `, in ${n} parts (over Discord's upload limit)` : ''}, ${format.toUpperCase()}.`;
      for (const [k, p] of res.parts.entries()) {
        const name = partFileName(base, ext, k + 1, n);
        await ctx.reply({ content: k === 0 ? what : `Part ${k + 1} of ${n}.`, files: [{ attachment: p.path, name }], ephemeral: true, allowedMentions: { parse: [] } });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

function dateOption(i: ChatInputCommandInteraction, name: string): Date | null {
  const raw = i.options.getString(name);
  if (raw === null) return null;
  const d = parseWhen(raw);
  if (!d) throw new CommandInputError(name, 'must be a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM, UTC unless a zone is given)');
  return d;
}

const NEEDED = new PermissionsBitField([PermissionFlagsBits.ViewChannel, PermissionFlagsBits.ReadMessageHistory]);

/**
 * Whether the member can read the channel's history in Discord: discord.js's permissionsFor on the
 * cached channel (roles and overwrites); else the permissions Discord resolved for the option's
 * channel in the interaction (they include the overwrites too); outside a server, never.
 */
function canReadHistory(i: ChatInputCommandInteraction, channelId: string): boolean {
  if (!i.inGuild()) return false;
  const cached = i.guild?.channels.cache.get(channelId);
  if (cached && i.member instanceof GuildMember) return cached.permissionsFor(i.member).has(NEEDED);
  const resolved = i.options.resolved?.channels?.get(channelId) as { permissions?: Readonly<PermissionsBitField> | string } | undefined;
  if (resolved?.permissions) return new PermissionsBitField(typeof resolved.permissions === 'string' ? BigInt(resolved.permissions) : resolved.permissions.bitfield).has(NEEDED);
  return false;
}

/** A refusal: one `warn` row in `logs`, a private reply that is not recorded (as the router does for admin commands). */
async function refuse(ctx: CommandContext, channelId: string): Promise<void> {
  const i = ctx.interaction;
  await ctx.db.logs
    .createLog({
      level: 'warn',
      source: 'commands',
      message: `refused /export of channel ${channelId} for user ${i.user.id}: no Read Message History there`,
      metadata: { userId: i.user.id, guildId: i.guildId, channelId, command: '/export' },
    })
    .catch((e: Error) => ctx.logger.error({ err: e.message }, 'could not write the refusal to the logs table'));
  const content = `Sorry, you can export only channels whose history you can read (Read Message History in <#${channelId}>).`;
  if (i.deferred || i.replied) await i.editReply({ content, allowedMentions: { parse: [] } });
  else await i.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}
