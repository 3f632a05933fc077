/**
 * PostgreSQL `text` refuses U+0000. Content containing NUL is stored escaped — `\` → `\\`,
 * NUL → `\0` — with `content_escaped = true`; everything else is stored verbatim (and searchable).
 * Applied on both drivers so rows mean the same everywhere.
 */
export function encodeContent(content: string): { content: string; escaped: boolean } {
  if (!content.includes('\u0000')) return { content, escaped: false };
  return { content: content.replace(/\\/g, '\\\\').replaceAll('\u0000', '\\0'), escaped: true };
}

export function decodeContent(content: string, escaped: boolean): string {
  if (!escaped) return content;
  return content.replace(/\\(\\|0)/g, (_m, c: string) => (c === '0' ? '\u0000' : '\\'));
}
