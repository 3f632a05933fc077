import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { checkDiscordAfterEach, newChannel, newMember, startHarness, startWorld, until, type Harness } from '../helpers/harness';
import { attachmentsOf } from '../../src/recording/attachments/from-discord';
import type { QueuedEvent } from '../../src/recording/events';
import { Journal } from '../../src/recording/journal';
import { Attachment as AttachmentEntity, type Attachment } from '../../src/entities/Attachment';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A PNG header (the emulator reads the size from IHDR) followed by random bytes: unique per call. */
function png(width: number, height: number, extra = 64): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32BE(0x89504e47, 0);
  head.writeUInt32BE(0x0d0a1a0a, 4);
  head.writeUInt32BE(13, 8);
  head.write('IHDR', 12, 'ascii');
  head.writeUInt32BE(width, 16);
  head.writeUInt32BE(height, 20);
  return Buffer.concat([head, randomBytes(extra)]);
}

describe('attachments as recorded from a Discord message', () => {
  const a = { id: '1300000000000000001', filename: 'a.png', size: 2_000, url: 'https://cdn.discordapp.com/attachments/1/2/a.png?ex=1&is=2&hm=3&', proxy_url: 'https://media.discordapp.net/x', content_type: 'image/png', width: 4, height: 3 };
  it('follows ATTACHMENTS, ATTACHMENT_MAX_MB and RECORD_CONTENT', () => {
    expect(attachmentsOf([a], { mode: 'off', maxBytes: 10_000 }, true)).toBeNull();
    expect(attachmentsOf([a], { mode: 'files', maxBytes: 10_000 }, true)).toEqual([{ id: a.id, filename: 'a.png', contentType: 'image/png', size: 2_000, width: 4, height: 3, url: a.url, proxyUrl: a.proxy_url, state: 'pending' }]);
    expect(attachmentsOf([a], { mode: 'metadata', maxBytes: 10_000 }, true)![0].state).toBe('metadata');
    expect(attachmentsOf([a], { mode: 'files', maxBytes: 10_000 }, false)![0].state).toBe('metadata');
    expect(attachmentsOf([a], { mode: 'files', maxBytes: 1_999 }, true)![0].state).toBe('too_large');
    // A malformed entry is skipped, not fatal.
    expect(attachmentsOf([{ ...a, url: undefined } as never], { mode: 'files', maxBytes: 10_000 }, true)).toBeNull();
  });
});

describe.each(DRIVERS)('attachment files on $driver', ({ driver, skip }) => {
  let h: Harness;
  const MAX_BYTES = 20_000;
  beforeAll(async () => {
    const world = skip ? null! : await startWorld();
    if (!skip)
      h = await startHarness(driver, 'attachments', {
        world,
        env: { BOT_OWNER_IDS: world.admin, ATTACHMENT_MAX_MB: String(MAX_BYTES / 1024 / 1024), BACKFILL_MAX_MESSAGES: '0', RECONCILE_MESSAGES: '0' },
        bot: { attachments: { retryBaseMs: 20, maxAttempts: 3 } },
      });
  });
  afterAll(async () => h?.dispose());
  checkDiscordAfterEach(() => h);

  const dir = () => h.bot.attachments.files.dir;
  const rows = (discordMessageId: string) => h.bot.db.attachments.listForMessage(discordMessageId);
  const settled = (discordMessageId: string, n = 1, what = 'attachments settled') =>
    until(
      () => rows(discordMessageId),
      (r) => r.length === n && r.every((x) => x.state !== 'pending'),
      10_000,
      what,
    );
  const fileOf = (r: Attachment) => path.join(dir(), r.storedPath!);
  const storedFiles = () =>
    readdirSync(dir())
      .filter((d) => d !== 'tmp')
      .flatMap((d) => readdirSync(path.join(dir(), d)));

  it.skipIf(skip)('an attachment sent is on disk with its SHA-256 before its link expires; then the link is dead', async () => {
    const ada = newMember(h, 'ada');
    const channel = newChannel(h, 'files');
    const bytes = png(640, 480);
    const m = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'a picture', attachments: [{ filename: 'cat.png', data: bytes }] });
    expect(m.attachments[0]).toMatchObject({ filename: 'cat.png', size: bytes.length, content_type: 'image/png', width: 640, height: 480 });
    expect(m.attachments[0].url).toMatch(/\?ex=[0-9a-f]+&is=[0-9a-f]+&hm=[0-9a-f]{64}&$/);
    const [row] = await settled(m.id);
    expect(row).toMatchObject({ discordAttachmentId: m.attachments[0].id, filename: 'cat.png', contentType: 'image/png', size: bytes.length, width: 640, height: 480, state: 'stored', sha256: sha(bytes), error: null, attempts: 1 });
    expect(row.storedPath).toBe(`${sha(bytes).slice(0, 2)}/${sha(bytes)}`);
    expect(sha(readFileSync(fileOf(row)))).toBe(sha(bytes));
    expect((await h.bot.db.messages.getByDiscordId(m.id))!.content).toBe('a picture');

    h.emu.expireAttachments([m.attachments[0].id]);
    expect((await fetch(m.attachments[0].url)).status).toBe(404);
    expect(readFileSync(fileOf(row)).equals(bytes)).toBe(true);
    // No log line carries a link (signed) or a filename.
    expect(h.logs.raw.filter((l) => /hm=|[?&]ex=|cat\.png/.test(l))).toEqual([]);
  });

  it.skipIf(skip)('the same bytes in two messages are one file', async () => {
    const ada = newMember(h, 'ada');
    const bob = newMember(h, 'bob');
    const channel = newChannel(h, 'dupes');
    const bytes = randomBytes(3_000);
    const m1 = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'report', attachments: [{ filename: 'report.pdf', data: bytes }] });
    const m2 = h.emu.sendMessage({ channelId: channel, authorId: bob, content: 'same report', attachments: [{ filename: 'copy.pdf', data: bytes }] });
    const [r1] = await settled(m1.id);
    const [r2] = await settled(m2.id);
    expect([r1.state, r2.state]).toEqual(['stored', 'stored']);
    expect(r1.sha256).toBe(sha(bytes));
    expect(r2.sha256).toBe(r1.sha256);
    expect(r2.storedPath).toBe(r1.storedPath);
    expect(storedFiles().filter((f) => f === sha(bytes))).toHaveLength(1);
    expect(readdirSync(path.join(dir(), 'tmp'))).toEqual([]);
  });

  it.skipIf(skip)('a CDN failing for a while: the download is retried with backoff, then stored', async () => {
    const ada = newMember(h, 'ada');
    const channel = newChannel(h, 'flaky');
    const bytes = randomBytes(2_000);
    const before = h.emu.cdnRequests().length;
    h.emu.failAttachmentDownloads(3, 503); // attempt 1: url and proxy_url fail; attempt 2: url fails, proxy_url works
    const m = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'flaky', attachments: [{ filename: 'f.bin', data: bytes }] });
    const [row] = await settled(m.id);
    expect(row).toMatchObject({ state: 'stored', sha256: sha(bytes), attempts: 2, error: null });
    expect(
      h.emu
        .cdnRequests()
        .slice(before)
        .map((r) => r.status),
    ).toEqual([503, 503, 503, 200]);
    expect(h.logs.find(/download of .* failed \(HTTP 503/).some((l) => l.attachmentId === m.attachments[0].id)).toBe(true);
  });

  it.skipIf(skip)('over ATTACHMENT_MAX_MB: recorded without its file, whatever Discord says the size is', async () => {
    const ada = newMember(h, 'ada');
    const channel = newChannel(h, 'big');
    const big = randomBytes(MAX_BYTES + 1);
    const before = h.emu.cdnRequests().length;
    const m1 = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'big', attachments: [{ filename: 'big.bin', data: big }] });
    const [r1] = await settled(m1.id);
    expect(r1).toMatchObject({ state: 'too_large', sha256: null, storedPath: null, size: MAX_BYTES + 1, attempts: 0 });
    // Discord says 100 bytes; the CDN sends more than the limit: the download stops and keeps nothing.
    const m2 = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'liar', attachments: [{ filename: 'small.bin', data: big, size: 100 }] });
    const [r2] = await settled(m2.id);
    expect(r2).toMatchObject({ state: 'too_large', sha256: null, storedPath: null, attempts: 1 });
    expect(r2.error).toMatch(/ATTACHMENT_MAX_MB/);
    expect(h.emu.cdnRequests().slice(before)).toHaveLength(1); // only the one Discord understated
    expect(storedFiles()).not.toContain(sha(big));
    expect(readdirSync(path.join(dir(), 'tmp'))).toEqual([]);
  });

  it.skipIf(skip)('a download that failed stays recorded with its error and is retried at the next start', async () => {
    const ada = newMember(h, 'ada');
    const channel = newChannel(h, 'down');
    const bytes = randomBytes(1_500);
    h.emu.failAttachmentDownloads(1_000, 502);
    const m = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'cdn down', attachments: [{ filename: 'd.bin', data: bytes }] });
    const [failed] = await settled(m.id);
    expect(failed).toMatchObject({ state: 'failed', attempts: 3, sha256: null });
    expect(failed.error).toBe('HTTP 502 from proxy_url');
    h.emu.failAttachmentDownloads(0);
    await h.restart();
    const [row] = await settled(m.id);
    expect(row).toMatchObject({ state: 'stored', sha256: sha(bytes), attempts: 1, error: null });
  });

  it.skipIf(skip)('a link that expired before the download is failed at once (no retries), with the attachment id logged', async () => {
    const ada = newMember(h, 'ada');
    const channel = newChannel(h, 'expired');
    const bytes = randomBytes(1_000);
    // Its link expires before the bot gets to it (the bot was slow, or the message came from history).
    const id = h.emu.newSnowflake();
    h.emu.expireAttachments([id]);
    const m = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'late', attachments: [{ id, filename: 'e.bin', data: bytes }] });
    const [row] = await settled(m.id);
    expect(row).toMatchObject({ state: 'failed', sha256: null, attempts: 1 });
    expect(row.error).toBe('HTTP 404 from proxy_url');
    // Not tried again in this run (a 404 is final until the next start).
    expect(h.emu.cdnRequests().filter((r) => r.path.includes(`/${id}/`))).toHaveLength(2); // url, then proxy_url
    expect(h.logs.find(/could not download/).some((l) => l.attachmentId === m.attachments[0].id && l.messageId === m.id)).toBe(true);
  });

  it.skipIf(skip)('forget erases the attachment rows and the files no other message uses', async () => {
    const ada = newMember(h, 'ada');
    const bob = newMember(h, 'bob');
    const channel = newChannel(h, 'privacy');
    const own = randomBytes(1_200);
    const shared = randomBytes(1_300);
    const m1 = h.emu.sendMessage({
      channelId: channel,
      authorId: ada,
      content: 'mine',
      attachments: [
        { filename: 'own.bin', data: own },
        { filename: 'shared.bin', data: shared },
      ],
    });
    const m2 = h.emu.sendMessage({ channelId: channel, authorId: bob, content: 'also mine', attachments: [{ filename: 'shared.bin', data: shared }] });
    await settled(m1.id, 2);
    await settled(m2.id);

    const show = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: channel, subcommand: 'show' });
    expect(show.content).toContain('• Attachments: 2 (2 with the file kept)');
    const exp = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: channel, subcommand: 'export' });
    const data = JSON.parse(exp.attachments[0].data.toString('utf8'));
    expect(data.attachments.map((x: { filename: string; sha256: string }) => [x.filename, x.sha256]).sort()).toEqual([
      ['own.bin', sha(own)],
      ['shared.bin', sha(shared)],
    ]);
    expect(JSON.stringify(data.attachments)).not.toContain('hm=');

    const offer = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: channel, subcommand: 'forget' });
    const confirm = (offer.components as { components: { custom_id: string }[] }[])[0].components[0].custom_id;
    const done = await h.emu.clickButton({ interaction: offer, customId: confirm, userId: ada, channelId: channel });
    expect(done.content).toMatch(/Deleted .*2 attachments and their files/);
    expect(await rows(m1.id)).toEqual([]);
    expect(existsSync(path.join(dir(), sha(own).slice(0, 2), sha(own)))).toBe(false);
    // Bob's message uses the shared bytes: that file stays, his row too.
    const [bobs] = await rows(m2.id);
    expect(bobs).toMatchObject({ state: 'stored', sha256: sha(shared) });
    expect(existsSync(fileOf(bobs))).toBe(true);

    // Bob erased by a bot owner (/privacy forget): the shared file goes with the last message using it.
    const offerBob = await h.emu.runCommand('privacy', { user_id: bob }, { userId: h.admin, channelId: channel, subcommand: 'forget' });
    const confirmBob = (offerBob.components as { components: { custom_id: string }[] }[])[0].components[0].custom_id;
    const doneBob = await h.emu.clickButton({ interaction: offerBob, customId: confirmBob, userId: h.admin, channelId: channel });
    expect(doneBob.content).toMatch(/Deleted .*1 attachment and their files/);
    expect(await rows(m2.id)).toEqual([]);
    // The erasure's log row names no file (a file's hash identifies its content).
    const [log] = (await h.bot.db.logs.listLogs({ source: 'privacy' })).filter((l) => l.message.startsWith(`user ${bob} `));
    expect(log.metadata).toMatchObject({ attachments: 1 });
    expect(JSON.stringify(log.metadata)).not.toContain(sha(shared));
    expect(storedFiles()).not.toContain(sha(shared));
    expect(storedFiles()).not.toContain(sha(own));
  });

  it.skipIf(skip)('beyond ATTACHMENT_STORE_MAX_GB the files stored longest ago are deleted, and that is logged', async () => {
    const ada = newMember(h, 'ada');
    const channel = newChannel(h, 'quota');
    const used = await h.bot.db.attachments.storedBytes();
    // Room for what is stored now and two more files of 4000 bytes, not three.
    h.env.ATTACHMENT_STORE_MAX_GB = String((used + 9_000) / 1024 ** 3);
    try {
      await h.restart();
      const files = [randomBytes(4_000), randomBytes(4_000), randomBytes(4_000)];
      const ids: string[] = [];
      for (const data of files) {
        const m = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'q', attachments: [{ filename: 'q.bin', data }] });
        await settled(m.id);
        ids.push(m.id);
      }
      // Room is made just after the row that overflowed the store is marked stored.
      await until(
        () => h.bot.db.attachments.storedBytes(),
        (n) => n <= used + 9_000,
        5_000,
        'the store back within its limit',
      );
      expect((await rows(ids[2]))[0].state).toBe('stored');
      // Oldest first: every file deleted was stored before every file kept.
      const all = await h.bot.db.manager.getRepository(AttachmentEntity).find();
      const evicted = all.filter((r) => r.state === 'evicted');
      const kept = all.filter((r) => r.state === 'stored');
      expect(evicted.length).toBeGreaterThan(0);
      const newestEvicted = Math.max(...evicted.map((r) => r.storedAt!.getTime()));
      expect(Math.min(...kept.map((r) => r.storedAt!.getTime()))).toBeGreaterThanOrEqual(newestEvicted);
      // Each file deleted is logged once (the line follows the row's change).
      const want = [...new Set(evicted.map((r) => r.sha256))].sort();
      const logged = await until(
        () => h.logs.find(/deleted the file stored longest ago/).map((l) => String(l.sha256)),
        (l) => l.length >= want.length,
        5_000,
        'the deletions logged',
      );
      expect(logged.sort()).toEqual(want);
      // Logged once deleted: by now no evicted file is on disk.
      for (const r of evicted) {
        expect(r).toMatchObject({ storedPath: null, error: 'deleted to keep the store within ATTACHMENT_STORE_MAX_GB' });
        if (!kept.some((k) => k.sha256 === r.sha256)) expect(storedFiles()).not.toContain(r.sha256);
      }
    } finally {
      delete h.env.ATTACHMENT_STORE_MAX_GB;
      await h.restart();
    }
  });

  it.skipIf(skip)('ATTACHMENTS=metadata records the attachment without downloading it; ATTACHMENTS=off records none', async () => {
    const ada = newMember(h, 'ada');
    const channel = newChannel(h, 'modes');
    try {
      h.env.ATTACHMENTS = 'metadata';
      await h.restart();
      const before = h.emu.cdnRequests().length;
      const m1 = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'described', attachments: [{ filename: 'm.txt', data: 'hello' }] });
      const [r1] = await settled(m1.id);
      expect(r1).toMatchObject({ state: 'metadata', filename: 'm.txt', size: 5, contentType: 'text/plain; charset=utf-8', sha256: null, attempts: 0 });
      h.env.ATTACHMENTS = 'off';
      await h.restart();
      const m2 = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'not described', attachments: [{ filename: 'o.txt', data: 'hello' }] });
      await until(
        () => h.bot.db.messages.getByDiscordId(m2.id),
        (m) => !!m,
        5_000,
        'the message recorded',
      );
      expect(await rows(m2.id)).toEqual([]);
      expect(h.emu.cdnRequests().slice(before)).toEqual([]);
    } finally {
      delete h.env.ATTACHMENTS;
      await h.restart();
    }
  });

  it.skipIf(skip)('an attachment in the journal (a crash before the write) is recorded and fetched at the next start', async () => {
    const ada = newMember(h, 'ada', { globalName: 'Ada' });
    const channel = newChannel(h, 'journal');
    await h.bot.stop();
    // Sent while no bot listens; the journal of a run that died holds what its recorder made of it.
    const bytes = randomBytes(1_100);
    const m = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'in the journal', attachments: [{ filename: 'j.bin', data: bytes }] });
    const a = m.attachments[0];
    const event: QueuedEvent & { seq: number } = {
      kind: 'create',
      discordMessageId: m.id,
      channelId: channel,
      guildId: h.guildId,
      author: { id: ada, username: 'ada', displayName: 'Ada' },
      role: 'user',
      content: 'in the journal',
      createdAt: new Date(m.timestamp as string),
      attachments: [{ id: a.id, filename: a.filename, contentType: a.content_type ?? null, size: a.size, width: null, height: null, url: a.url, proxyUrl: a.proxy_url, state: 'pending' }],
      seq: 1_000_000_000,
    };
    const journal = new Journal({
      dir: path.join(h.env.DATA_DIR, 'recorder-journal'),
      syncMs: 1,
      onError: (e) => {
        throw e;
      },
    });
    journal.append(event);
    await journal.close(false);
    await h.restart();
    const [row] = await settled(m.id);
    expect(row).toMatchObject({ discordAttachmentId: a.id, state: 'stored', sha256: sha(bytes) });
    expect((await h.bot.db.messages.getByDiscordId(m.id))!.content).toBe('in the journal');
  });

  it.skipIf(skip)('an attachment sent while the bot was away is recorded by the backfill and fetched', async () => {
    const ada = newMember(h, 'ada');
    const channel = newChannel(h, 'away');
    const m0 = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'before' });
    await until(
      () => h.bot.db.messages.getByDiscordId(m0.id),
      (x) => !!x,
      5_000,
      'the first message recorded',
    );
    await h.bot.stop();
    const bytes = randomBytes(900);
    const m1 = h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'while away', attachments: [{ filename: 'away.bin', data: bytes }] });
    try {
      h.env.BACKFILL_MAX_MESSAGES = '100';
      await h.restart();
      const [row] = await settled(m1.id);
      expect(row).toMatchObject({ state: 'stored', sha256: sha(bytes), filename: 'away.bin' });
    } finally {
      h.env.BACKFILL_MAX_MESSAGES = '0';
      await h.restart();
    }
  });
});
