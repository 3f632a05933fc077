import type { MessageMetadata } from '../../entities/Message';

/**
 * A recorded message as one line of text for a reply: its own text, and what it carries that a
 * person would read (a forward's snapshot, a poll's question, stickers). Nothing for none.
 */
export function messageText(m: { content: string; metadata: MessageMetadata | null }): string {
  const parts = m.content ? [m.content] : [];
  const meta = m.metadata;
  if (meta?.forward) parts.push(`↪ forwarded: ${meta.forward.content || '(no text)'}`);
  if (meta?.poll) parts.push(`📊 poll: ${meta.poll.question || '(no text)'}${meta.poll.results?.finalized ? ' (ended)' : ''}`);
  for (const s of meta?.stickers ?? []) parts.push(`[sticker: ${typeof s === 'string' ? s : s.name}]`);
  return parts.join(' ');
}
