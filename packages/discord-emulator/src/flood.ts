/**
 * Flood mode: MESSAGE_CREATE frames built from pre-serialised per-(channel, author) templates and written
 * as fast as the socket accepts them, pausing on back-pressure so memory stays bounded.
 * Flood messages advance the session's sequence but are NOT kept (no channel history, no replay log).
 */
import { WebSocket } from 'ws';
import { memberPayload } from './payloads';
import type { Session } from './gateway';
import type { State } from './state';

export interface FloodOptions {
  count: number;
  channelIds: string[];
  userIds: string[];
  contentLength?: (() => number) | number;
  startId?: bigint;
  /** Paced mode: messages per second (each frame is sent when its time comes); unset = as fast as the socket takes them. */
  rate?: number;
}

export interface FloodResult {
  sent: number;
  ms: number;
  firstId: string;
  lastId: string;
}

const HIGH_WATER = 4 * 1024 * 1024;
const BATCH = 1024;
const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua ';

export async function flood(state: State, session: Session, o: FloodOptions): Promise<FloodResult> {
  const ws = session.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) throw new Error('emulator: flood needs a connected bot session');
  if (!o.channelIds.length || !o.userIds.length) throw new Error('emulator: flood needs channelIds and userIds');
  const started = performance.now();
  // Templates: everything but id / content / timestamp / seq, serialised once.
  const tails: string[][] = o.channelIds.map((cid) => {
    const c = state.channel(cid);
    return o.userIds.map((uid) => {
      const author = state.user(uid);
      const member = c.guild_id ? state.guild(c.guild_id).members.get(uid) : undefined;
      const rest: Record<string, unknown> = {
        type: 0,
        tts: false,
        pinned: false,
        mentions: [],
        mention_roles: [],
        mention_everyone: false,
        attachments: [],
        embeds: [],
        components: [],
        flags: 0,
        edited_timestamp: null,
        channel_id: cid,
        channel_type: c.type,
        author,
      };
      if (c.guild_id) rest.guild_id = c.guild_id;
      if (member) rest.member = memberPayload(member, undefined, false);
      return `,${JSON.stringify(rest).slice(1)}`;
    });
  });
  const contents = new Map<number, string>();
  const contentOf = (len: number): string => {
    let s = contents.get(len);
    if (s === undefined) {
      s = WORDS.repeat(Math.ceil(len / WORDS.length) + 1).slice(0, len);
      contents.set(len, s);
    }
    return s;
  };
  const fixedLen = typeof o.contentLength === 'number' ? o.contentLength : o.contentLength ? null : 32;
  let id = o.startId ?? (BigInt(Date.now()) - 1420070400000n) << 22n;
  const firstId = id.toString();
  let lastId = firstId;
  let lastMs = 0;
  let ts = '';
  const nc = o.channelIds.length;
  const nu = o.userIds.length;
  let sent = 0;
  const rate = o.rate && o.rate > 0 ? o.rate : 0;
  const paceStart = performance.now();
  while (sent < o.count) {
    let end = Math.min(o.count, sent + BATCH);
    if (rate) {
      // Paced: send what is due by now, then sleep ~1 ms (a timer, not a busy loop: the bot shares the CPU).
      const due = Math.floor(((performance.now() - paceStart) * rate) / 1000) + 1;
      if (due <= sent) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      end = Math.min(end, due);
    }
    for (; sent < end; sent++) {
      const now = Date.now();
      if (now !== lastMs) {
        lastMs = now;
        ts = new Date(now).toISOString().replace('Z', '000+00:00');
      }
      const content = contentOf(fixedLen ?? (o.contentLength as () => number)());
      lastId = id.toString();
      id++;
      const s = ++session.seq;
      ws.send(`{"t":"MESSAGE_CREATE","s":${s},"op":0,"d":{"id":"${lastId}","content":"${content}","timestamp":"${ts}"${tails[sent % nc][Math.floor(sent / nc) % nu]}}`);
    }
    session.floodSeq = session.seq;
    if (ws.readyState !== WebSocket.OPEN) break;
    if (ws.bufferedAmount > HIGH_WATER) {
      // Wait until the kernel has taken what is queued (the callback of an empty-ish write fires after earlier writes).
      await new Promise<void>((resolve) => ws.ping(undefined, undefined, () => resolve()));
      while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount > HIGH_WATER / 4) await new Promise((r) => setImmediate(r));
    }
  }
  return { sent, ms: performance.now() - started, firstId, lastId };
}
