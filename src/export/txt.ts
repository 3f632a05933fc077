import type { TranscriptMessage } from '../database/stores/transcript.store';
import { authorName, type TranscriptFormat, type TranscriptInfo } from './transcript';

/** `2026-12-04 21:00:05 UTC`: one zone for every reader of a plain file, sortable. */
export function utc(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function who(m: Pick<TranscriptMessage, 'author'>): string {
  const a = m.author;
  const name = authorName(a);
  return a?.username && a.username !== name ? `${name} (${a.username})` : name;
}

/** Continuation lines are indented, so every message's first line starts with its `[time]`: grep-friendly. */
function indent(text: string, pad = '    '): string {
  return text.replace(/\r?\n/g, `\n${pad}`);
}

/**
 * Plain text, for reading and grep: a header, then per message `[time] name (username): text`,
 * with what hangs off it on indented lines below (reply, earlier versions, attachments, embeds,
 * reactions, thread).
 */
export const txtFormat: TranscriptFormat = {
  name: 'txt',
  extension: 'txt',
  contentType: 'text/plain; charset=utf-8',
  header(info: TranscriptInfo, part) {
    const c = info.channel;
    const lines = [`Transcript of #${c.name ?? c.discordChannelId} (${c.discordChannelId})${c.guildId ? ` in server ${c.guildId}` : ''}`];
    if (c.topic) lines.push(`Topic: ${indent(c.topic)}`);
    if (info.after || info.before) lines.push(`Messages${info.after ? ` from ${utc(info.after)}` : ''}${info.before ? ` before ${utc(info.before)}` : ''}`);
    lines.push(`Exported ${utc(info.exportedAt)} by Chronicle${part.number > 1 ? ` · part ${part.number}` : ''}`);
    for (const t of info.threads) lines.push(`Thread: ${t.name ?? t.discordChannelId} (${t.discordChannelId}, ${t.messageCount} messages)`);
    return `${lines.join('\n')}\n${'='.repeat(72)}\n`;
  },
  message(m) {
    const lines = [];
    if (m.replyTo) lines.push(`    ↱ reply to ${who(m.replyTo)}: ${m.replyTo.content.replace(/\s+/g, ' ').slice(0, 100)}`);
    else if (m.replyToId) lines.push(`    ↱ reply to message ${m.replyToId} (not recorded)`);
    const flags = [m.author?.bot ? 'BOT' : null, m.editedAt ? `edited ${utc(m.editedAt)}` : null, m.deletedAt ? `deleted ${utc(m.deletedAt)}` : null].filter(Boolean);
    lines.push(`[${utc(m.createdAt)}] ${who(m)}${flags.length ? ` [${flags.join(', ')}]` : ''}: ${indent(m.content)}`);
    for (const r of m.revisions) lines.push(`    before ${utc(r.replacedAt)}: ${indent(r.content, '        ')}`);
    for (const a of m.attachments) lines.push(`    attachment: ${a.filename} (${a.size} bytes, ${a.state}${a.storedPath ? `, ${a.storedPath}` : ''})`);
    for (const e of m.metadata?.embeds ?? []) lines.push(`    embed: ${[e.title, e.url].filter(Boolean).join(' — ') || e.type || 'embed'}`);
    for (const s of m.metadata?.stickers ?? []) lines.push(`    sticker: ${s}`);
    if (m.reactions.length) lines.push(`    reactions: ${m.reactions.map((r) => `${r.emojiId ? `:${r.emojiName ?? r.emojiId}:` : r.emoji} ${r.count}`).join(', ')}`);
    if (m.thread) lines.push(`    thread: ${m.thread.name ?? m.thread.discordChannelId} (${m.thread.discordChannelId}, ${m.thread.messageCount} messages)`);
    return `${lines.join('\n')}\n`;
  },
  footer(_info, part) {
    return `${'='.repeat(72)}\n${part.messages} messages\n`;
  },
};
