/** Builders of Discord objects (documented field names only). */
import type { EmuChannel, EmuGuild, EmuMember, EmuRole, EmuUser } from './types';

export const Perm = {
  CREATE_INSTANT_INVITE: 1n << 0n,
  KICK_MEMBERS: 1n << 1n,
  BAN_MEMBERS: 1n << 2n,
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  MANAGE_GUILD: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  USE_EXTERNAL_EMOJIS: 1n << 18n,
  USE_APPLICATION_COMMANDS: 1n << 31n,
  CREATE_PUBLIC_THREADS: 1n << 35n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
} as const;
/** Every permission bit Discord currently defines (bits 0..53), what ADMINISTRATOR resolves to. */
export const ALL_PERMISSIONS = (1n << 54n) - 1n;
export const DEFAULT_MEMBER_PERMISSIONS = Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.READ_MESSAGE_HISTORY;
export const DEFAULT_BOT_PERMISSIONS =
  Perm.VIEW_CHANNEL |
  Perm.SEND_MESSAGES |
  Perm.SEND_MESSAGES_IN_THREADS |
  Perm.EMBED_LINKS |
  Perm.ATTACH_FILES |
  Perm.READ_MESSAGE_HISTORY |
  Perm.ADD_REACTIONS |
  Perm.USE_EXTERNAL_EMOJIS |
  Perm.MANAGE_MESSAGES |
  Perm.USE_APPLICATION_COMMANDS;

export const Intents = {
  GUILDS: 1 << 0,
  GUILD_MEMBERS: 1 << 1,
  GUILD_PRESENCES: 1 << 8,
  GUILD_MESSAGES: 1 << 9,
  GUILD_MESSAGE_REACTIONS: 1 << 10,
  DIRECT_MESSAGES: 1 << 12,
  DIRECT_MESSAGE_REACTIONS: 1 << 13,
  MESSAGE_CONTENT: 1 << 15,
  GUILD_MESSAGE_POLLS: 1 << 24,
  DIRECT_MESSAGE_POLLS: 1 << 25,
} as const;
export const PRIVILEGED_INTENTS = Intents.GUILD_MEMBERS | Intents.GUILD_PRESENCES | Intents.MESSAGE_CONTENT;
/** Bits 0..25 are the intents Discord defines today (some unused); anything above is close 4013. */
export const ALL_INTENTS = (1 << 26) - 1;

export const ChannelType = { GUILD_TEXT: 0, DM: 1, GUILD_VOICE: 2, GUILD_CATEGORY: 4, PUBLIC_THREAD: 11, GUILD_FORUM: 15 } as const;

export function makeUser(o: { id: string; username: string; globalName?: string | null; bot?: boolean }): EmuUser {
  const u: EmuUser = {
    id: o.id,
    username: o.username,
    discriminator: o.bot ? '0000' : '0',
    global_name: o.globalName === undefined ? (o.bot ? null : o.username) : o.globalName,
    avatar: null,
    public_flags: 0,
    flags: 0,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
  };
  if (o.bot) u.bot = true;
  return u;
}

export function makeRole(o: { id: string; name: string; permissions: bigint; position: number; botId?: string }): EmuRole {
  const r: EmuRole = {
    id: o.id,
    name: o.name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position: o.position,
    permissions: o.permissions.toString(),
    managed: Boolean(o.botId),
    mentionable: false,
    flags: 0,
  };
  if (o.botId) r.tags = { bot_id: o.botId };
  return r;
}

/** Total permissions of a member at guild level (see channelPermissions for a channel's overwrites). */
export function memberPermissions(guild: EmuGuild, member: EmuMember): bigint {
  if (guild.owner_id === member.userId) return ALL_PERMISSIONS;
  let p = 0n;
  for (const role of guild.roles) {
    if (role.id === guild.id || member.roles.includes(role.id)) p |= BigInt(role.permissions);
  }
  return p & Perm.ADMINISTRATOR ? ALL_PERMISSIONS : p;
}

/**
 * A member's permissions in a channel, as Discord computes them: the guild-level ones, then the
 * channel's overwrites — @everyone's, then the member's roles' together, then the member's own
 * (deny, then allow). Administrators and the owner have everything; a thread follows its parent
 * (pass the parent).
 */
export function channelPermissions(guild: EmuGuild, member: EmuMember, channel: EmuChannel | undefined): bigint {
  let p = memberPermissions(guild, member);
  if (p === ALL_PERMISSIONS || !channel?.permission_overwrites?.length) return p;
  const ows = channel.permission_overwrites as { id: string; type: number; allow: string; deny: string }[];
  const apply = (allow: bigint, deny: bigint) => (p = (p & ~deny) | allow);
  const everyone = ows.find((o) => o.type === 0 && o.id === guild.id);
  if (everyone) apply(BigInt(everyone.allow), BigInt(everyone.deny));
  let allow = 0n;
  let deny = 0n;
  for (const o of ows) {
    if (o.type === 0 && o.id !== guild.id && member.roles.includes(o.id)) {
      allow |= BigInt(o.allow);
      deny |= BigInt(o.deny);
    }
  }
  apply(allow, deny);
  const own = ows.find((o) => o.type === 1 && o.id === member.userId);
  if (own) apply(BigInt(own.allow), BigInt(own.deny));
  return p;
}

/** Guild member object; `withUser` false gives the partial member attached to MESSAGE_CREATE. */
export function memberPayload(member: EmuMember, user: EmuUser | undefined, withUser = true): Record<string, unknown> {
  const m: Record<string, unknown> = {
    avatar: null,
    banner: null,
    communication_disabled_until: null,
    deaf: false,
    flags: 0,
    joined_at: member.joined_at,
    mute: false,
    nick: member.nick,
    pending: false,
    premium_since: null,
    roles: member.roles,
    avatar_decoration_data: null,
    collectibles: null,
  };
  if (withUser && user) m.user = user;
  return m;
}

export function guildBase(g: EmuGuild, systemChannelId: string | null): Record<string, unknown> {
  return {
    id: g.id,
    name: g.name,
    icon: null,
    description: null,
    home_header: null,
    splash: null,
    discovery_splash: null,
    features: [],
    banner: null,
    owner_id: g.owner_id,
    application_id: null,
    region: 'deprecated',
    afk_channel_id: null,
    afk_timeout: 300,
    system_channel_id: systemChannelId,
    system_channel_flags: 0,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: 0,
    roles: g.roles,
    default_message_notifications: 0,
    mfa_level: 0,
    explicit_content_filter: 0,
    max_presences: null,
    max_members: 25000000,
    max_stage_video_channel_users: 50,
    max_video_channel_users: 25,
    vanity_url_code: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: g.preferred_locale,
    rules_channel_id: null,
    safety_alerts_channel_id: null,
    public_updates_channel_id: null,
    hub_type: null,
    premium_progress_bar_enabled: false,
    latest_onboarding_question_id: null,
    nsfw: false,
    nsfw_level: 0,
    emojis: [],
    stickers: [],
    incidents_data: null,
    inventory_settings: null,
    embed_enabled: false,
    embed_channel_id: null,
  };
}

export function channelPayload(c: EmuChannel): Record<string, unknown> {
  return { ...c };
}

export function makeTextChannel(o: { id: string; guildId: string; name: string; type: number; position: number; parentId?: string | null }): EmuChannel {
  const c: EmuChannel = {
    id: o.id,
    type: o.type,
    guild_id: o.guildId,
    name: o.name,
    parent_id: o.parentId ?? null,
    position: o.position,
    permission_overwrites: [],
    flags: 0,
    last_message_id: null,
  };
  if (o.type === ChannelType.GUILD_TEXT) {
    Object.assign(c, { topic: null, nsfw: false, rate_limit_per_user: 0, last_pin_timestamp: null });
  } else if (o.type === ChannelType.GUILD_FORUM) {
    // Discord v10's forum channel: no messages of its own, posts are threads (last_message_id: the newest post).
    Object.assign(c, { topic: null, nsfw: false, rate_limit_per_user: 0, available_tags: [], default_reaction_emoji: null, default_thread_rate_limit_per_user: 0, default_sort_order: null, default_forum_layout: 0 });
  } else if (o.type === ChannelType.GUILD_VOICE) {
    Object.assign(c, { bitrate: 64000, user_limit: 0, rtc_region: null, nsfw: false, rate_limit_per_user: 0 });
  } else if (o.type === ChannelType.PUBLIC_THREAD) {
    Object.assign(c, {
      owner_id: undefined,
      rate_limit_per_user: 0,
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false, create_timestamp: new Date().toISOString() },
    });
    delete c.position;
    delete c.permission_overwrites;
  }
  return c;
}
