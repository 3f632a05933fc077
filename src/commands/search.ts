import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  ChannelType,
  escapeMarkdown,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Guild,
  type GuildMember,
} from 'discord.js';
import type { SearchCursor, SearchHit, SearchPage, SearchScope } from '../database/stores/search.store';
import { MAX_QUERY_LENGTH, parseQuery, QueryError, type SearchQuery } from '../search/query';
import { when } from './lib/format';
import { CommandInputError, type ButtonContext, type CommandContext, type ReplyOptions, type SlashCommand } from './types';

const PAGE = 10;
/** A result's text and author name in the reply (ten lines must fit an embed's 4096 characters). */
const SNIPPET_MAX = 110;
const NAME_MAX = 40;
const DESCRIPTION_MAX = 4096;
const NEED = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ReadMessageHistory;
const HEADER = /^🔎 `([^`]*)`/;
/** Announcement and public threads: readable with their channel. */
const PUBLIC_THREADS: ReadonlySet<number> = new Set([ChannelType.AnnouncementThread, ChannelType.PublicThread]);

/**
 * /search — full-text search over what was recorded in this server, privately: newest first, ten
 * at a time with Prev/Next buttons, each result a jump link, its author, when, and the text with
 * the matched words in bold. Only channels the person can view and read the history of now
 * (Discord's roles and the channel's permission overwrites, from the gateway's guild data) are
 * searched, admins included; never DMs, never deleted messages. The query language is in
 * src/search/query.ts; a bad query gets an ephemeral reply saying what is wrong.
 *
 * The buttons carry the page's position (`search:o|n:start:time:messageId`: older than the last
 * result shown, or newer than the first; `start` numbers the results); the query itself is read
 * back from the reply's first line, so paging works after a restart too.
 */
export const search: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('search')
    .setDescription('Search the recorded messages of channels you can read (only you see the reply)')
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) => o.setName('query').setDescription('Words, "phrases", -excluded, from:@name in:#channel has:link after:/during:YYYY-MM-DD is:edited').setRequired(true).setMaxLength(MAX_QUERY_LENGTH)),
  readsRecorded: { ephemeral: true },
  async execute(ctx) {
    const text = ctx.interaction.options.getString('query', true);
    const run = await prepare(ctx, text);
    await ctx.defer(true);
    const page = await ctx.db.search.search({ query: run.query, scope: run.scope, inChannelIds: run.inChannelIds, limit: PAGE });
    await ctx.reply(render(text, page, 0, page.more));
  },
  async button(ctx: ButtonContext) {
    const [dir, startText, at, id] = ctx.args;
    const text = HEADER.exec(ctx.interaction.message.content)?.[1];
    const start = Number(startText);
    const cursor: SearchCursor = { createdAt: new Date(parseInt(at ?? '', 36)), discordMessageId: id ?? '' };
    if ((dir !== 'o' && dir !== 'n') || text === undefined || !Number.isInteger(start) || start < 0 || !/^\d{15,20}$/.test(cursor.discordMessageId) || Number.isNaN(cursor.createdAt.getTime()))
      throw new CommandInputError('button', 'is not one this bot made; run `/search` again');
    const run = await prepare(ctx, text);
    const page = await ctx.db.search.search({ query: run.query, scope: run.scope, inChannelIds: run.inChannelIds, limit: PAGE, ...(dir === 'o' ? { before: cursor } : { after: cursor }) });
    // Back (newer): there are older results (the page it came from); none newer means this is the first page.
    if (dir === 'n') return ctx.update(render(text, page, page.more ? Math.max(start - page.hits.length, PAGE) : 0, true));
    // Next: `start` is the number of the page's first result (the Next button counts what was shown).
    await ctx.update(render(text, page, start, page.more));
  },
};

interface Prepared {
  query: SearchQuery;
  scope: SearchScope;
  inChannelIds?: string[];
}

/** Parses the query and works out where this person may look; a CommandInputError says what is wrong. */
async function prepare(ctx: CommandContext | ButtonContext, text: string): Promise<Prepared> {
  const i: ChatInputCommandInteraction | ButtonInteraction = ctx.interaction;
  let query: SearchQuery;
  try {
    query = parseQuery(text);
  } catch (e) {
    if (e instanceof QueryError) throw new CommandInputError('query', e.message);
    throw e;
  }
  if (!i.inCachedGuild()) throw new CommandInputError('query', 'search works in a server, where the bot can see your roles');
  const guild = i.guild;
  const member = i.member;
  const scope = readableScope(guild, member);
  let inChannelIds: string[] | undefined;
  if (query.in.length) {
    const readable = new Set(scope.channelIds);
    const parents = new Set(scope.threadParentIds);
    inChannelIds = [];
    for (const ref of query.in) {
      const ch = 'id' in ref ? guild.channels.cache.get(ref.id) : guild.channels.cache.find((c) => c.name.toLowerCase() === ref.name.toLowerCase() && readable.has(c.id));
      if (ch && readable.has(ch.id)) {
        inChannelIds.push(ch.id);
        continue;
      }
      // A public thread Discord no longer sends (archived before this start): recorded in `channels`.
      const row = 'id' in ref && !ch ? await ctx.db.channels.get(ref.id) : null;
      if (row && row.guildId === guild.id && PUBLIC_THREADS.has(row.type) && row.parentId && parents.has(row.parentId) && !row.deletedAt) {
        inChannelIds.push(row.discordChannelId);
        continue;
      }
      throw new CommandInputError('query', `\`in:${'id' in ref ? `<#${ref.id}>` : ref.name}\`: there is no channel by that name here that you can read`);
    }
  }
  return { query, scope, inChannelIds };
}

/**
 * The channels and threads of the guild this member can view and read the history of, computed by
 * discord.js from the guild's roles and each channel's permission overwrites (a thread follows its
 * parent). A private thread counts only with Manage Threads (membership is not known here); the
 * public threads of a readable channel that are not cached (archived ones) are found by the store.
 */
function readableScope(guild: Guild, member: GuildMember): SearchScope {
  const channelIds: string[] = [];
  const threadParentIds: string[] = [];
  for (const ch of guild.channels.cache.values()) {
    if (ch.type === ChannelType.GuildCategory) continue;
    const perms = ch.permissionsFor(member);
    if (!perms || !perms.has(NEED)) continue;
    if (ch.type === ChannelType.PrivateThread && !perms.has(PermissionFlagsBits.ManageThreads)) continue;
    channelIds.push(ch.id);
    if (!ch.isThread()) threadParentIds.push(ch.id);
  }
  return { guildId: guild.id, channelIds, threadParentIds };
}

function render(text: string, page: SearchPage, start: number, more: boolean): ReplyOptions {
  const head = `🔎 \`${text.replace(/`/g, "'").replace(/\s+/g, ' ')}\``;
  if (!page.hits.length) return { content: `${head}\nNo messages found in the channels you can read.`, embeds: [], components: [], ephemeral: true, allowedMentions: { parse: [] } };
  // The results in an embed's description (4096 characters; a message's 2000 would not hold ten).
  // Lines of heavily escaped text could still overflow it: the last ones then wait for Next.
  const shown = page.hits.map(line);
  while (shown.length > 1 && shown.join('\n').length > DESCRIPTION_MAX) {
    shown.pop();
    more = true;
  }
  const hits = page.hits.slice(0, shown.length);
  const content = `${head} · results ${start + 1}–${start + hits.length}, newest first`;
  const embeds = [{ description: shown.join('\n') }];
  const first = hits[0];
  const last = hits[hits.length - 1];
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(`search:n:${start}:${cursorOf(first)}`)
      .setLabel('Prev')
      .setStyle(ButtonStyle.Secondary)
      .setDisabled(start === 0),
    new ButtonBuilder()
      .setCustomId(`search:o:${start + hits.length}:${cursorOf(last)}`)
      .setLabel('Next')
      .setStyle(ButtonStyle.Secondary)
      .setDisabled(!more),
  );
  return { content, embeds, components: [row], ephemeral: true, allowedMentions: { parse: [] } };
}

function cursorOf(h: SearchHit): string {
  return `${h.createdAt.getTime().toString(36)}:${h.discordMessageId}`;
}

/** `[jump](link) **Author** <t:…:R> <#channel>: text with **matches** *(edited)*` */
function line(h: SearchHit): string {
  const link = `https://discord.com/channels/${h.guildId}/${h.channelId}/${h.discordMessageId}`;
  const name = h.authorName ?? h.authorDiscordId;
  const who = escapeMarkdown(name.length > NAME_MAX ? `${name.slice(0, NAME_MAX - 1)}…` : name);
  return `[jump](<${link}>) **${who}** ${when(h.createdAt, 'R')} <#${h.channelId}>: ${snippet(h)}${h.edited ? ' *(edited)*' : ''}`;
}

/** The snippet on one line, cut to SNIPPET_MAX characters, markdown escaped, matches in bold. */
function snippet(h: SearchHit): string {
  let room = SNIPPET_MAX;
  let out = '';
  for (const part of h.snippet) {
    if (room <= 0) break;
    let t = part.text.replace(/\s+/g, ' ');
    if (t.length > room) t = `${t.slice(0, room - 1)}…`;
    room -= t.length;
    const safe = escapeMarkdown(t);
    out += part.match && t.trim() ? `**${safe}**` : safe;
  }
  return out.trim() || '*(no text)*';
}
