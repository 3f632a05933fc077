import { newChannel, newMember, unique, until, type Harness } from './harness';

/** Markup meant to run if a renderer pasted message content into HTML unescaped. */
export const SCRIPT_INJECTION = '<script>alert(1)</script>';
export const ATTRIBUTE_INJECTION = '"onerror=alert(1) x="';

export interface TranscriptScene {
  channel: string;
  ada: string;
  bob: string;
  /** Discord ids of the channel's messages in the order sent (the deleted one included). */
  ids: { hello: string; edited: string; reply: string; injection: string; file: string; embed: string; deleted: string; starter: string; sameTime: string[] };
  thread: string;
  fileBytes: Buffer;
}

/** A whole 1×1 PNG (a browser decodes it; the emulator reads its size from IHDR). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/**
 * A channel with one of everything a transcript shows: two people, an edit (two earlier
 * versions), a reply, reactions (two emoji, two people), an attachment whose file is stored, an
 * embed, a deleted message, a thread started from a message, two messages sent in the same
 * millisecond, injection attempts, and an ephemeral command reply (which no transcript shows).
 * Resolves once everything is recorded.
 */
export async function transcriptScene(h: Harness): Promise<TranscriptScene> {
  const ada = newMember(h, 'ada', { globalName: 'Ada Lovelace' });
  const bob = newMember(h, 'bob', { nick: 'Bobby' });
  const channel = newChannel(h, unique('transcript').replace(/\W+/g, '-'));
  const t0 = Date.now() - 60_000;
  let k = 0;
  const send = (authorId: string, content: string, extra: object = {}) => h.emu.sendMessage({ channelId: channel, authorId, content, timestamp: new Date(t0 + 1000 * ++k), ...extra }).id;
  const hello = send(ada, 'hello **world**, see https://example.com');
  const edited = send(bob, 'first draft');
  const reply = send(ada, 'replying to bob', { replyTo: edited });
  const injection = send(bob, `${SCRIPT_INJECTION} and ${ATTRIBUTE_INJECTION} <img src=x onerror=alert(1)>`);
  const file = send(ada, 'a file', { attachments: [{ filename: 'dot "x".png', data: PNG }] });
  const embed = send(bob, 'with an embed', { embeds: [{ title: `Embed ${SCRIPT_INJECTION}`, url: 'https://example.org/page' }] });
  const deleted = send(ada, 'this one is deleted');
  const starter = send(bob, 'thread starter');
  const same = new Date(t0 + 1000 * ++k);
  const sameTime = [h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'same ms one', timestamp: same }).id, h.emu.sendMessage({ channelId: channel, authorId: bob, content: 'same ms two', timestamp: same }).id];
  await until(
    () => h.bot.db.messages.getByDiscordId(sameTime[1]),
    (m) => !!m,
    10_000,
    'the scene recorded',
  );
  h.emu.editMessage(channel, edited, 'second draft');
  await until(
    () => h.bot.db.archive.revisionsByDiscordId(edited),
    (r) => r.length === 1,
    10_000,
    'first edit',
  );
  h.emu.editMessage(channel, edited, 'final text, edited twice');
  h.emu.deleteMessage(channel, deleted);
  h.emu.addReaction({ channelId: channel, messageId: hello, userId: bob, emoji: '👍' });
  h.emu.addReaction({ channelId: channel, messageId: hello, userId: ada, emoji: '👍' });
  h.emu.addReaction({ channelId: channel, messageId: hello, userId: ada, emoji: '🎉' });
  const { thread } = h.emu.createThread({ parentId: channel, name: `Thread ${SCRIPT_INJECTION}`, messageId: starter, ownerId: bob });
  h.emu.sendMessage({ channelId: thread.id, authorId: ada, content: 'in the thread' });
  // An ephemeral reply: recorded in ada's session here, seen by ada alone.
  await h.emu.runCommand('history', {}, { userId: ada, channelId: channel });
  await until(
    async () => ({
      revisions: (await h.bot.db.archive.revisionsByDiscordId(edited)).length,
      deleted: !!(await h.bot.db.messages.getByDiscordId(deleted))?.deletedAt,
      reactions: (await h.bot.db.archive.reactionsByDiscordId(hello)).reduce((n, r) => n + r.count, 0),
      file: (await h.bot.db.attachments.listForMessage(file))[0]?.state,
      thread: (await h.bot.db.transcripts.threads(channel))[0]?.messageCount ?? 0,
    }),
    (s) => s.revisions === 2 && s.deleted && s.reactions === 3 && s.file === 'stored' && s.thread === 1,
    15_000,
    'edits, delete, reactions, file and thread recorded',
  );
  return { channel, ada, bob, ids: { hello, edited, reply, injection, file, embed, deleted, starter, sameTime }, thread: thread.id, fileBytes: PNG };
}
