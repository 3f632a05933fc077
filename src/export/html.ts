import { createHash } from 'node:crypto';
import Handlebars from 'handlebars';
import type { TranscriptAuthor, TranscriptMessage } from '../database/stores/transcript.store';
import { authorName, discordLink, type PartInfo, type TranscriptFormat, type TranscriptInfo } from './transcript';
import { utc } from './txt';

/**
 * HTML: one self-contained page per part that looks like a Discord channel. Rendered with
 * Handlebars templates from plain view objects: every value from the database goes through
 * `{{…}}`, which escapes `& < > " ' \` =`, in double-quoted attributes or text, never `{{{…}}}`;
 * links are only ever http(s), file or relative (see safeHref). The page's one script (local
 * times) and style are constants of the template source (never data); the script is allowed by its hash in a Content-Security-Policy that allows no other script, so
 * even markup that slipped through could not run.
 */

/** Turns the `<time datetime>` elements into the reader's local time. */
const SCRIPT = `for (const t of document.querySelectorAll('time[datetime]')) {
  const d = new Date(t.getAttribute('datetime'));
  if (isNaN(d.getTime())) continue;
  t.title = t.textContent;
  t.textContent = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
document.documentElement.dataset.localTimes = 'done';`;

const CSP = `default-src 'none'; style-src 'unsafe-inline'; img-src * data: file:; script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'; base-uri 'none'; form-action 'none'`;

const STYLE = `
:root { color-scheme: dark; }
body { margin: 0; background: #313338; color: #dbdee1; font: 16px/1.375 "gg sans", "Noto Sans", "Helvetica Neue", Helvetica, Arial, sans-serif; }
a { color: #00a8fc; text-decoration: none; } a:hover { text-decoration: underline; }
.top { position: sticky; top: 0; z-index: 1; background: #313338; border-bottom: 1px solid #1f2023; padding: 10px 16px; box-shadow: 0 1px 0 rgba(4,4,5,.2); }
.top h1 { margin: 0; font-size: 16px; color: #f2f3f5; } .top h1 .hash { color: #80848e; margin-right: 4px; }
.top .topic, .top .meta { color: #b5bac1; font-size: 13px; margin-top: 2px; white-space: pre-wrap; }
.threads { margin: 12px 16px; padding: 8px 12px; background: #2b2d31; border-radius: 8px; font-size: 14px; }
.threads ul { margin: 4px 0 0; padding-left: 20px; }
main { padding: 8px 0 24px; }
.msg { position: relative; display: grid; grid-template-columns: 56px 1fr; padding: 2px 16px 2px 16px; margin-top: 14px; }
.msg:hover { background: #2e3035; }
.msg .reply { grid-column: 2; font-size: 14px; color: #b5bac1; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.msg .reply .name { font-weight: 500; }
.avatar { grid-column: 1; width: 40px; height: 40px; border-radius: 50%; display: flex; align-items: center; justify-content: center; color: #fff; font-weight: 600; font-size: 18px; margin-top: 2px; }
.body { grid-column: 2; min-width: 0; }
.name { font-weight: 500; color: #f2f3f5; }
.tag { background: #5865f2; color: #fff; font-size: 10px; font-weight: 600; border-radius: 3px; padding: 1px 4px; vertical-align: 2px; }
.time { color: #949ba4; font-size: 12px; margin-left: 6px; }
.content { white-space: pre-wrap; overflow-wrap: anywhere; }
.mention { background: rgba(88,101,242,.3); color: #c9cdfb; border-radius: 3px; padding: 0 2px; }
.edited summary { display: inline; color: #949ba4; font-size: 11px; cursor: pointer; list-style: none; }
.edited ol { margin: 4px 0; padding: 6px 12px 6px 28px; background: #2b2d31; border-radius: 6px; font-size: 14px; color: #b5bac1; }
.edited li { white-space: pre-wrap; }
.deleted .content { color: #f23f42; text-decoration: line-through; }
.deleted-tag { color: #f23f42; font-size: 12px; margin-left: 6px; }
.attachment { margin-top: 6px; display: block; max-width: 520px; background: #2b2d31; border: 1px solid #1e1f22; border-radius: 8px; padding: 10px; }
.attachment img { display: block; max-width: 100%; max-height: 300px; border-radius: 4px; margin-bottom: 6px; }
.attachment .state { color: #949ba4; font-size: 12px; }
.embed { margin-top: 6px; max-width: 520px; background: #2b2d31; border-left: 4px solid #1e1f22; border-radius: 4px; padding: 8px 12px; }
.embed .title { font-weight: 600; }
.reactions { margin-top: 4px; display: flex; flex-wrap: wrap; gap: 4px; }
.reaction { background: #2b2d31; border: 1px solid #3f4147; border-radius: 8px; padding: 1px 8px; font-size: 14px; }
.reaction b { color: #b5bac1; margin-left: 4px; font-weight: 500; }
.thread { margin-top: 6px; display: inline-block; background: #2b2d31; border-radius: 8px; padding: 6px 10px; font-size: 14px; }
.sticker { color: #949ba4; font-size: 14px; }
footer { color: #949ba4; font-size: 12px; padding: 0 16px 24px; }
`;

const HEADER = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="generator" content="Chronicle">
<title>#{{channelName}}{{#if partLabel}} ({{partLabel}}){{/if}} · transcript</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top">
<h1><span class="hash">#</span>{{channelName}}</h1>
{{#if topic}}<div class="topic">{{topic}}</div>{{/if}}
<div class="meta">Transcript exported by Chronicle <time datetime="{{exportedIso}}">{{exportedUtc}}</time>{{#if range}} · messages {{range}}{{/if}}{{#if partLabel}} · {{partLabel}}{{/if}} · <a href="{{channelHref}}">open in Discord</a></div>
</header>
{{#if threads.length}}<nav class="threads">Threads of this channel:<ul>{{#each threads}}<li><a href="{{href}}">{{name}}</a> · {{count}}</li>{{/each}}</ul></nav>{{/if}}
<main>
`;

const MESSAGE = `<article class="msg{{#if deleted}} deleted{{/if}}" id="{{anchor}}" data-message-id="{{discordId}}">
{{#if reply}}<div class="reply">↱ {{#if reply.href}}<a href="{{reply.href}}">{{/if}}<span class="name" style="color: {{reply.color}}">@{{reply.name}}</span> {{reply.excerpt}}{{#if reply.href}}</a>{{/if}}</div>{{/if}}
<div class="avatar" style="background: {{color}}" aria-hidden="true">{{initial}}</div>
<div class="body">
<div><span class="name" style="color: {{color}}" title="{{who}}">{{name}}</span>{{#if bot}} <span class="tag">BOT</span>{{/if}}<a class="time" href="{{jump}}"><time datetime="{{createdIso}}">{{createdUtc}}</time></a>{{#if deleted}}<span class="deleted-tag">deleted <time datetime="{{deletedIso}}">{{deletedUtc}}</time></span>{{/if}}</div>
<div class="content">{{#each segments}}{{#if url}}<a href="{{url}}" rel="noopener noreferrer nofollow">{{text}}</a>{{else if mention}}<span class="mention">{{text}}</span>{{else}}{{text}}{{/if}}{{/each}}{{#if edited}} <details class="edited"><summary>(edited <time datetime="{{editedIso}}">{{editedUtc}}</time>)</summary><ol>{{#each revisions}}<li><time datetime="{{replacedIso}}">{{replacedUtc}}</time>: {{content}}</li>{{/each}}</ol></details>{{/if}}</div>
{{#each attachments}}<div class="attachment">{{#if image}}<a href="{{href}}"><img src="{{href}}" alt="{{filename}}" loading="lazy"></a>{{/if}}{{#if href}}<a href="{{href}}">📎 {{filename}}</a>{{else}}📎 {{filename}}{{/if}} <span class="state">{{size}} · {{state}}</span></div>{{/each}}
{{#each embeds}}<div class="embed">{{#if href}}<a class="title" href="{{href}}" rel="noopener noreferrer nofollow">{{title}}</a>{{else}}<span class="title">{{title}}</span>{{/if}}</div>{{/each}}
{{#each stickers}}<div class="sticker">[sticker: {{this}}]</div>{{/each}}
{{#if reactions.length}}<div class="reactions">{{#each reactions}}<span class="reaction" title="{{users}}">{{label}}<b>{{count}}</b></span>{{/each}}</div>{{/if}}
{{#if thread}}<a class="thread" href="{{thread.href}}">🧵 {{thread.name}} · {{thread.count}}</a>{{/if}}
</div>
</article>
`;

const FOOTER = `</main>
<footer>{{count}}{{#if partLabel}} in {{partLabel}}{{/if}}. Times are shown in your time zone (hover for UTC).</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;

const compile = (src: string) => Handlebars.compile(src, { strict: false, knownHelpersOnly: true, knownHelpers: { if: true, each: true } });
const header = compile(HEADER);
const message = compile(MESSAGE);
const footer = compile(FOOTER);

/** A name's colour, from the user id (the same person, the same colour in every transcript). */
export function colourOf(userId: string | null): string {
  if (!userId || !/^\d+$/.test(userId)) return 'hsl(235, 86%, 65%)';
  // Hashed: ids made close together (snowflakes are time-based) still get far-apart hues.
  const hue = createHash('sha1').update(userId).digest().readUInt16BE(0) % 360;
  return `hsl(${hue}, 55%, 60%)`;
}

/** A link a page may carry: http(s), file or relative; anything else (javascript:, data:…) is dropped. */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  if (/^(https?|file):/i.test(url)) return url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || /^\s|\p{Cc}/u.test(url) || url.startsWith('//')) return null;
  return url;
}

type Segment = { text: string; url?: string; mention?: boolean };

const TOKENS = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'])|<@!?(\d{15,20})>|<#(\d{15,20})>|<@&(\d{15,20})>|<a?:(\w{1,64}):\d{15,20}>/g;

/** Text in segments: plain text, links (http and https only) and mentions, each escaped by the template. */
export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKENS)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    if (m[1]) out.push({ text: m[1], url: m[1] });
    else if (m[2]) out.push({ text: `@${m[2]}`, mention: true });
    else if (m[3]) out.push({ text: `#${m[3]}`, mention: true });
    else if (m[4]) out.push({ text: `@&${m[4]}`, mention: true });
    else out.push({ text: `:${m[5]}:` });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function initialOf(name: string): string {
  return [...name.trim()][0]?.toUpperCase() ?? '?';
}

function who(a: TranscriptAuthor | null): string {
  if (!a) return 'unknown';
  return [a.username, a.discordUserId].filter(Boolean).join(' · ');
}

function partLabel(part: PartInfo): string | null {
  return part.number > 1 ? `part ${part.number}` : null;
}

function rangeText(info: TranscriptInfo): string | null {
  if (!info.after && !info.before) return null;
  return [info.after ? `from ${utc(info.after)}` : null, info.before ? `before ${utc(info.before)}` : null].filter(Boolean).join(' ');
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

export const htmlFormat: TranscriptFormat = {
  name: 'html',
  extension: 'html',
  contentType: 'text/html; charset=utf-8',
  header(info, part) {
    const c = info.channel;
    return header({
      channelName: c.name ?? c.discordChannelId,
      topic: c.topic,
      exportedIso: info.exportedAt.toISOString(),
      exportedUtc: utc(info.exportedAt),
      range: rangeText(info),
      partLabel: partLabel(part),
      channelHref: discordLink(c.guildId, c.discordChannelId),
      threads: info.threads.map((t) => ({ name: t.name ?? t.discordChannelId, href: discordLink(c.guildId, t.discordChannelId), count: plural(t.messageCount, 'message') })),
    });
  },
  message(m: TranscriptMessage, info) {
    const name = authorName(m.author);
    const guild = m.guildId ?? info.channel.guildId;
    return message({
      anchor: `m-${m.discordMessageId ?? m.id}`,
      discordId: m.discordMessageId ?? '',
      deleted: !!m.deletedAt,
      deletedIso: m.deletedAt?.toISOString(),
      deletedUtc: m.deletedAt ? utc(m.deletedAt) : '',
      color: colourOf(m.author?.discordUserId ?? null),
      initial: initialOf(name),
      name,
      who: who(m.author),
      bot: !!m.author?.bot,
      jump: discordLink(guild, m.channelId, m.discordMessageId),
      createdIso: m.createdAt.toISOString(),
      createdUtc: utc(m.createdAt),
      reply: m.replyTo
        ? { href: `#m-${m.replyTo.discordMessageId}`, name: authorName(m.replyTo.author), color: colourOf(m.replyTo.author?.discordUserId ?? null), excerpt: m.replyTo.content.replace(/\s+/g, ' ').slice(0, 120) }
        : m.replyToId
          ? { href: null, name: 'a message that is not recorded', color: colourOf(null), excerpt: '' }
          : null,
      segments: segments(m.content),
      edited: !!m.editedAt,
      editedIso: m.editedAt?.toISOString(),
      editedUtc: m.editedAt ? utc(m.editedAt) : '',
      revisions: m.revisions.map((r) => ({ replacedIso: r.replacedAt.toISOString(), replacedUtc: `until ${utc(r.replacedAt)}`, content: r.content })),
      attachments: m.attachments.map((a) => {
        const href = safeHref(info.attachmentHref(a));
        return { href, image: !!href && !!a.contentType?.startsWith('image/'), filename: a.filename, size: bytes(a.size), state: a.state === 'stored' ? 'archived' : `not archived (${a.state})` };
      }),
      embeds: (m.metadata?.embeds ?? []).map((e) => ({ title: e.title || e.url || e.type || 'embed', href: safeHref(e.url && /^https?:/i.test(e.url) ? e.url : null) })),
      stickers: m.metadata?.stickers ?? [],
      reactions: m.reactions.map((r) => ({ label: r.emojiId ? `:${r.emojiName ?? 'emoji'}:` : r.emoji, count: r.count, users: `${r.users.length === 1 ? '1 person' : `${r.users.length} people`}: ${r.users.join(', ')}` })),
      thread: m.thread ? { href: discordLink(guild, m.thread.discordChannelId), name: m.thread.name ?? m.thread.discordChannelId, count: plural(m.thread.messageCount, 'message') } : null,
    });
  },
  footer(_info, part) {
    return footer({ count: plural(part.messages, 'message'), partLabel: partLabel(part) });
  },
};
