/** World mutations that Discord announces over the gateway (messages, channels, members). */
import type { Gateway, Session } from './gateway';
import { Intents, memberPayload } from './payloads';
import type { State } from './state';
import type { EmuChannel, EmuMessage, WorldEvent } from './types';

export const MessageFlags = {
  SUPPRESS_EMBEDS: 1 << 2,
  EPHEMERAL: 1 << 6,
  LOADING: 1 << 7,
  SUPPRESS_NOTIFICATIONS: 1 << 12,
  IS_COMPONENTS_V2: 1 << 15,
} as const;

export class Actions {
  constructor(
    private readonly state: State,
    private readonly gateway: Gateway,
    private readonly emit: (e: WorldEvent) => void = () => {},
  ) {}

  private messageIntent(channelId: string): number {
    return this.state.channels.get(channelId)?.guild_id ? Intents.GUILD_MESSAGES : Intents.DIRECT_MESSAGES;
  }

  /** Without MESSAGE_CONTENT, Discord blanks content/embeds/attachments/components except in DMs, the bot's own messages and mentions of the bot. */
  private contentFilter = (session: Session, d: EmuMessage): EmuMessage => {
    if (session.has(Intents.MESSAGE_CONTENT) || !d.guild_id) return d;
    const bot = this.state.botUser.id;
    if (d.author.id === bot || d.mentions.some((u) => (u as { id: string }).id === bot)) return d;
    const { poll: _poll, ...rest } = d;
    const out: EmuMessage = { ...rest, content: '', embeds: [], attachments: [], components: [] };
    // A forward's snapshot is content too.
    if (Array.isArray(d.message_snapshots)) out.message_snapshots = (d.message_snapshots as { message: object }[]).map((s) => ({ message: { ...s.message, content: '', embeds: [], attachments: [], components: [] } }));
    return out;
  };

  /** Stores a message and dispatches MESSAGE_CREATE (ephemeral messages are stored aside and not dispatched, as on Discord). */
  postMessage(m: EmuMessage): EmuMessage {
    if (m.flags & MessageFlags.EPHEMERAL) {
      this.state.ephemeral.set(m.id, m);
      this.emit({ type: 'message_create', message: m });
      return m;
    }
    this.state.insertMessage(m);
    const d = this.state.dispatchForm(m);
    this.emit({ type: 'message_create', message: d });
    this.gateway.dispatch('MESSAGE_CREATE', d, { need: this.messageIntent(m.channel_id), transform: this.contentFilter });
    return d;
  }

  /** Dispatches MESSAGE_UPDATE with the full message. */
  messageUpdated(m: EmuMessage): EmuMessage {
    const d = this.state.dispatchForm(m);
    this.emit({ type: 'message_update', message: d });
    if (m.flags & MessageFlags.EPHEMERAL) return d;
    this.gateway.dispatch('MESSAGE_UPDATE', d, { need: this.messageIntent(m.channel_id), transform: this.contentFilter });
    return d;
  }

  deleteMessage(channelId: string, id: string): boolean {
    const m = this.state.findMessage(channelId, id);
    if (!m) return false;
    const ephemeral = Boolean(m.flags & MessageFlags.EPHEMERAL);
    this.state.removeMessage(channelId, id);
    this.emit({ type: 'message_delete', channelId, ids: [id] });
    if (ephemeral) return true;
    const guildId = this.state.channels.get(channelId)?.guild_id;
    this.gateway.dispatch('MESSAGE_DELETE', { id, channel_id: channelId, ...(guildId ? { guild_id: guildId } : {}) }, { need: this.messageIntent(channelId) });
    return true;
  }

  bulkDelete(channelId: string, ids: string[]): void {
    for (const id of ids) this.state.removeMessage(channelId, id);
    this.emit({ type: 'message_delete', channelId, ids });
    const guildId = this.state.channels.get(channelId)?.guild_id;
    this.gateway.dispatch('MESSAGE_DELETE_BULK', { ids, channel_id: channelId, ...(guildId ? { guild_id: guildId } : {}) }, { need: Intents.GUILD_MESSAGES });
  }

  channelCreated(c: EmuChannel): void {
    this.emit({ type: 'channel_create', channel: c });
    if (c.type === 11) this.gateway.dispatch('THREAD_CREATE', { ...c, newly_created: true }, { need: Intents.GUILDS });
    else this.gateway.dispatch('CHANNEL_CREATE', c, { need: Intents.GUILDS });
  }

  channelUpdated(c: EmuChannel): void {
    this.emit({ type: 'channel_update', channel: c });
    this.gateway.dispatch(c.type === 11 ? 'THREAD_UPDATE' : 'CHANNEL_UPDATE', c, { need: Intents.GUILDS });
  }

  /** CHANNEL_DELETE with the full channel; THREAD_DELETE with id, guild_id, parent_id and type only (as Discord sends them). */
  channelDeleted(c: EmuChannel): void {
    this.emit({ type: 'channel_delete', channel: c });
    if (c.type === 11) this.gateway.dispatch('THREAD_DELETE', { id: c.id, guild_id: c.guild_id, parent_id: c.parent_id, type: c.type }, { need: Intents.GUILDS });
    else this.gateway.dispatch('CHANNEL_DELETE', c, { need: Intents.GUILDS });
  }

  memberAdded(guildId: string, userId: string): void {
    const m = this.state.guild(guildId).members.get(userId);
    if (!m) return;
    this.emit({ type: 'member_add', guildId, userId });
    this.gateway.dispatch('GUILD_MEMBER_ADD', { ...memberPayload(m, this.state.users.get(userId)), guild_id: guildId }, { need: Intents.GUILD_MEMBERS });
  }
}
