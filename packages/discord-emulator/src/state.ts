/** In-memory world: users, guilds, channels, members, messages, commands, attachments. */
import { compareSnowflakes, discordTimestamp, snowflake } from './snowflake';
import { ChannelType, DEFAULT_MEMBER_PERMISSIONS, Perm, makeRole, channelPermissions, makeTextChannel, makeUser, memberPayload, memberPermissions } from './payloads';
import type { Cdn } from './cdn';
import type { EmuWebhook } from './rest/webhooks';
import type { EmuAttachment, EmuChannel, EmuGuild, EmuMember, EmuMessage, EmuUser, StoredAttachment } from './types';

export interface ChannelStore {
  /** Messages ordered by id (ascending). */
  list: EmuMessage[];
  byId: Map<string, EmuMessage>;
}

export class State {
  readonly users = new Map<string, EmuUser>();
  readonly guilds = new Map<string, EmuGuild>();
  readonly channels = new Map<string, EmuChannel>();
  readonly messages = new Map<string, ChannelStore>();
  /** Ephemeral interaction messages: visible only to the interaction user, never in channel history. */
  readonly ephemeral = new Map<string, EmuMessage>();
  readonly attachmentData = new Map<string, StoredAttachment>();
  readonly globalCommands: Record<string, unknown>[] = [];
  readonly guildCommands = new Map<string, Record<string, unknown>[]>();
  readonly dmChannelByUser = new Map<string, string>();
  /** Channel webhooks by id (rest/webhooks.ts). */
  readonly webhooks = new Map<string, EmuWebhook>();

  constructor(
    readonly botUser: EmuUser,
    readonly applicationId: string,
    readonly botPermissions: bigint,
  ) {
    this.users.set(botUser.id, botUser);
  }

  createUser(o: { username: string; globalName?: string | null; id?: string; bot?: boolean }): EmuUser {
    const u = makeUser({ id: o.id ?? snowflake(), username: o.username, globalName: o.globalName, bot: o.bot });
    this.users.set(u.id, u);
    return u;
  }

  createGuild(o: { name: string; id?: string; ownerId?: string }): EmuGuild {
    const id = o.id ?? snowflake();
    let ownerId = o.ownerId;
    if (!ownerId) ownerId = this.createUser({ username: `${o.name.toLowerCase().replace(/[^a-z0-9]/g, '') || 'guild'}_owner` }).id;
    const g: EmuGuild = {
      id,
      name: o.name,
      owner_id: ownerId,
      // @everyone carries no permissions here: every member's permissions come from its own role, so tests get exactly what they ask for.
      roles: [makeRole({ id, name: '@everyone', permissions: 0n, position: 0 })],
      channelIds: [],
      members: new Map(),
      preferred_locale: 'en-US',
      created: Date.now(),
    };
    this.guilds.set(id, g);
    const botRole = makeRole({ id: snowflake(), name: this.botUser.username, permissions: this.botPermissions, position: 1, botId: this.botUser.id });
    g.roles.push(botRole);
    g.members.set(this.botUser.id, { userId: this.botUser.id, nick: null, roles: [botRole.id], joined_at: discordTimestamp() });
    if (this.users.has(ownerId)) this.addMember(id, ownerId, { admin: true });
    return g;
  }

  guild(id: string): EmuGuild {
    const g = this.guilds.get(id);
    if (!g) throw new Error(`emulator: unknown guild ${id}`);
    return g;
  }

  channel(id: string): EmuChannel {
    const c = this.channels.get(id);
    if (!c) throw new Error(`emulator: unknown channel ${id}`);
    return c;
  }

  user(id: string): EmuUser {
    const u = this.users.get(id);
    if (!u) throw new Error(`emulator: unknown user ${id}`);
    return u;
  }

  createChannel(o: { guildId: string; name: string; id?: string; type?: 'text' | 'voice' | 'thread' | 'forum'; parentId?: string; ownerId?: string; permissionOverwrites?: OverwriteInput[] }): EmuChannel {
    const g = this.guild(o.guildId);
    const type = o.type === 'voice' ? ChannelType.GUILD_VOICE : o.type === 'thread' ? ChannelType.PUBLIC_THREAD : o.type === 'forum' ? ChannelType.GUILD_FORUM : ChannelType.GUILD_TEXT;
    let parentId = o.parentId ?? null;
    if (type === ChannelType.PUBLIC_THREAD && !parentId) {
      parentId = g.channelIds.map((c) => this.channels.get(c)).find((c) => c?.type === ChannelType.GUILD_TEXT)?.id ?? null;
    }
    const c = makeTextChannel({ id: o.id ?? snowflake(), guildId: g.id, name: o.name, type, position: g.channelIds.length, parentId });
    if (type === ChannelType.PUBLIC_THREAD) {
      c.owner_id = o.ownerId ?? this.botUser.id;
      // A forum post carries the forum's tags it was given (none here).
      if (parentId && this.channels.get(parentId)?.type === ChannelType.GUILD_FORUM) c.applied_tags = [];
    }
    if (o.permissionOverwrites?.length && c.permission_overwrites) c.permission_overwrites = o.permissionOverwrites.map(overwritePayload);
    this.channels.set(c.id, c);
    g.channelIds.push(c.id);
    this.messages.set(c.id, { list: [], byId: new Map() });
    return c;
  }

  /** Removes a channel (and, like Discord, the threads under it) from its guild; returns what was removed, the channel first. */
  removeChannel(id: string): EmuChannel[] {
    const c = this.channel(id);
    const gone = [c, ...[...this.channels.values()].filter((t) => t.parent_id === id && t.type === ChannelType.PUBLIC_THREAD)];
    for (const x of gone) {
      this.channels.delete(x.id);
      this.messages.delete(x.id);
      if (x.guild_id) {
        const g = this.guild(x.guild_id);
        g.channelIds = g.channelIds.filter((cid) => cid !== x.id);
      }
    }
    return gone;
  }

  createDmChannel(userId: string): EmuChannel {
    const existing = this.dmChannelByUser.get(userId);
    if (existing) return this.channel(existing);
    const user = this.user(userId);
    const c: EmuChannel = { id: snowflake(), type: ChannelType.DM, name: null, last_message_id: null, recipients: [user], flags: 0 };
    this.channels.set(c.id, c);
    this.messages.set(c.id, { list: [], byId: new Map() });
    this.dmChannelByUser.set(userId, c.id);
    return c;
  }

  /** Adds a member and returns it; the member gets a role carrying its permissions. */
  addMember(guildId: string, userId: string, o: { nick?: string; permissions?: bigint; admin?: boolean } = {}): EmuMember {
    const g = this.guild(guildId);
    this.user(userId);
    const perms = o.admin ? Perm.ADMINISTRATOR | Perm.MANAGE_GUILD : (o.permissions ?? DEFAULT_MEMBER_PERMISSIONS);
    let role = g.roles.find((r) => !r.managed && r.id !== g.id && r.permissions === perms.toString());
    if (!role) {
      const name = o.admin ? 'Admin' : perms === DEFAULT_MEMBER_PERMISSIONS ? 'Member' : `Role ${g.roles.length}`;
      role = makeRole({ id: snowflake(), name, permissions: perms, position: g.roles.length });
      g.roles.push(role);
    }
    const m: EmuMember = { userId, nick: o.nick ?? null, roles: [role.id], joined_at: discordTimestamp() };
    g.members.set(userId, m);
    return m;
  }

  memberPermissions(guildId: string, userId: string): bigint {
    const g = this.guild(guildId);
    const m = g.members.get(userId);
    return m ? memberPermissions(g, m) : 0n;
  }

  /** A member's permissions in a channel (its overwrites applied; a thread's are its parent's). */
  channelPermissions(guildId: string, userId: string, channelId: string): bigint {
    const g = this.guild(guildId);
    const m = g.members.get(userId);
    if (!m) return 0n;
    let c = this.channels.get(channelId);
    if (c && c.type === ChannelType.PUBLIC_THREAD && c.parent_id) c = this.channels.get(c.parent_id);
    return channelPermissions(g, m, c);
  }

  /** The member object; `withPermissions`: its permissions (in `channelId` when given, as interactions carry them). */
  fullMember(guildId: string, userId: string, withPermissions = false, channelId?: string): Record<string, unknown> | null {
    const g = this.guilds.get(guildId);
    const m = g?.members.get(userId);
    if (!g || !m) return null;
    const p = memberPayload(m, this.users.get(userId));
    if (withPermissions) p.permissions = (channelId ? this.channelPermissions(guildId, userId, channelId) : memberPermissions(g, m)).toString();
    return p;
  }

  store(channelId: string): ChannelStore {
    let s = this.messages.get(channelId);
    if (!s) {
      s = { list: [], byId: new Map() };
      this.messages.set(channelId, s);
    }
    return s;
  }

  /** Inserts a message keeping id order (messages are almost always appended). */
  insertMessage(m: EmuMessage): void {
    const s = this.store(m.channel_id);
    const list = s.list;
    if (list.length === 0 || compareSnowflakes(list[list.length - 1].id, m.id) < 0) list.push(m);
    else {
      let i = list.length - 1;
      while (i >= 0 && compareSnowflakes(list[i].id, m.id) > 0) i--;
      list.splice(i + 1, 0, m);
    }
    s.byId.set(m.id, m);
    const c = this.channels.get(m.channel_id);
    if (c && (!c.last_message_id || compareSnowflakes(c.last_message_id, m.id) < 0)) c.last_message_id = m.id;
  }

  findMessage(channelId: string, id: string): EmuMessage | undefined {
    return this.messages.get(channelId)?.byId.get(id) ?? this.ephemeral.get(id);
  }

  removeMessage(channelId: string, id: string): boolean {
    const s = this.messages.get(channelId);
    if (!s?.byId.has(id)) return this.ephemeral.delete(id);
    s.byId.delete(id);
    const i = s.list.findIndex((m) => m.id === id);
    if (i >= 0) s.list.splice(i, 1);
    return true;
  }

  /** Builds a message object. `mentions` are resolved from <@id> in content. */
  buildMessage(o: {
    id?: string;
    channelId: string;
    author: EmuUser;
    content: string;
    type?: number;
    timestamp?: Date;
    attachments?: EmuAttachment[];
    embeds?: object[];
    components?: object[];
    flags?: number;
    replyTo?: string;
    nonce?: string | number;
    tts?: boolean;
  }): EmuMessage {
    const ts = o.timestamp ?? new Date();
    const id = o.id ?? snowflake(ts);
    const content = o.content;
    const mentions: object[] = [];
    const seen = new Set<string>();
    for (const match of content.matchAll(/<@!?(\d{1,20})>/g)) {
      const u = this.users.get(match[1]);
      if (u && !seen.has(u.id)) {
        seen.add(u.id);
        mentions.push(u);
      }
    }
    const channel = this.channels.get(o.channelId);
    const mentionRoles: string[] = [];
    if (channel?.guild_id) {
      const g = this.guilds.get(channel.guild_id);
      for (const match of content.matchAll(/<@&(\d{1,20})>/g)) if (g?.roles.some((r) => r.id === match[1])) mentionRoles.push(match[1]);
    }
    const m: EmuMessage = {
      type: o.type ?? 0,
      content,
      mentions,
      mention_roles: mentionRoles,
      attachments: o.attachments ?? [],
      embeds: o.embeds ?? [],
      timestamp: discordTimestamp(ts),
      edited_timestamp: null,
      flags: o.flags ?? 0,
      components: o.components ?? [],
      id,
      channel_id: o.channelId,
      author: o.author,
      pinned: false,
      mention_everyone: /@everyone|@here/.test(content),
      tts: o.tts ?? false,
    };
    if (o.nonce !== undefined) m.nonce = o.nonce;
    if (o.replyTo) {
      const ref = this.findMessage(o.channelId, o.replyTo);
      m.message_reference = { type: 0, channel_id: o.channelId, message_id: o.replyTo, ...(channel?.guild_id ? { guild_id: channel.guild_id } : {}) };
      m.referenced_message = ref ?? null;
      if (m.type === 0) m.type = 19;
    }
    return m;
  }

  /** The MESSAGE_CREATE/UPDATE dispatch form of a message: adds guild_id, member, channel_type and members of mentions. */
  dispatchForm(m: EmuMessage): EmuMessage {
    const channel = this.channels.get(m.channel_id);
    const d: EmuMessage = { ...m, channel_type: channel?.type ?? 0 };
    if (channel?.guild_id) {
      d.guild_id = channel.guild_id;
      const g = this.guilds.get(channel.guild_id);
      const member = g?.members.get(m.author.id);
      if (member && !m.webhook_id) d.member = memberPayload(member, undefined, false);
      else if (member && m.webhook_id && m.interaction_metadata) d.member = memberPayload(member, undefined, false);
      if (m.mentions.length && g) {
        d.mentions = m.mentions.map((u) => {
          const mm = g.members.get((u as EmuUser).id);
          return mm ? { ...u, member: memberPayload(mm, undefined, false) } : u;
        });
      }
    }
    return d;
  }

  storeAttachment(a: StoredAttachment): void {
    this.attachmentData.set(a.attachmentId, a);
  }
}

export function attachmentObject(
  baseUrl: string,
  channelId: string,
  o: { id?: string; filename: string; size: number; contentType?: string; url?: string; description?: string; ephemeral?: boolean; width?: number; height?: number },
  cdn?: Cdn,
): EmuAttachment {
  const id = o.id ?? snowflake();
  // Discord's links: cdn.discordapp.com for `url`, media.discordapp.net for `proxy_url`, both signed.
  const path = `/attachments/${channelId}/${id}/${encodeURIComponent(o.filename)}`;
  const query = cdn ? cdn.sign(path) : '';
  const url = o.url ?? `${baseUrl}${path}${query}`;
  const a: EmuAttachment = { id, filename: o.filename, size: o.size, url, proxy_url: o.url ?? (cdn ? `${baseUrl}/media${path}${query}` : url) };
  if (o.contentType) a.content_type = o.contentType;
  if (o.description) a.description = o.description;
  if (o.width !== undefined && o.height !== undefined) {
    a.width = o.width;
    a.height = o.height;
  } else if (o.contentType?.startsWith('image/')) {
    a.width = null;
    a.height = null;
  }
  if (o.ephemeral) a.ephemeral = true;
  return a;
}

/** A channel permission overwrite as tests give it: a role (the guild id for @everyone) or a member, and bits allowed and denied. */
export interface OverwriteInput {
  id: string;
  type: 'role' | 'member';
  allow?: bigint;
  deny?: bigint;
}

/** Discord's overwrite object (ChannelPermissionOverwriteResponse): type 0 role, 1 member; bitfields as strings. */
export function overwritePayload(o: OverwriteInput): { id: string; type: 0 | 1; allow: string; deny: string } {
  return { id: o.id, type: o.type === 'role' ? 0 : 1, allow: (o.allow ?? 0n).toString(), deny: (o.deny ?? 0n).toString() };
}
