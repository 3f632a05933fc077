import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TranscriptMessage } from '../../src/database/stores/transcript.store';
import { DRIVERS } from '../helpers/databases';
import { checkDiscordAfterEach, startHarness, type Harness } from '../helpers/harness';
import { ROOT, runNode } from '../helpers/process';
import { ATTRIBUTE_INJECTION, SCRIPT_INJECTION, transcriptScene, type TranscriptScene } from '../helpers/transcript-scene';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it). Without it the browser test is skipped, except in CI. */
const CHROMIUM = '/usr/bin/chromium';
const noBrowser = !existsSync(CHROMIUM) && !process.env.CI;
/** The browser's getComputedStyle (the project's typecheck has no DOM library). */
type Css = { getComputedStyle(e: unknown): { backgroundColor: string } };
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'export');

describe.each(DRIVERS)('npm run export on $driver', ({ driver, skip }) => {
  let h: Harness;
  let s: TranscriptScene;
  let dir: string;
  let expected: TranscriptMessage[];
  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'export-cli');
    s = await transcriptScene(h);
    dir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-export-cli-'));
    expected = [];
    for await (const page of h.bot.db.transcripts.pages(s.channel)) expected.push(...page);
  }, 60_000);
  afterAll(async () => {
    await h?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  checkDiscordAfterEach(() => (skip ? undefined : h));

  const cli = async (args: string[]) => {
    const r = runNode(['--import', 'tsx', 'scripts/export.ts', ...args], { DATABASE_URL: h.scratch.url, ATTACHMENT_DIR: h.bot.attachments.files.dir });
    const code = await r.exited;
    return { code, stdout: r.stdout, stderr: r.stderr };
  };

  it.skipIf(skip)('writes the JSON transcript, equal to the stored rows, with progress and a summary on stderr', async () => {
    const out = path.join(dir, 'channel.json');
    const r = await cli(['--channel', s.channel, '--format', 'json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/export: \[#+\] 100% 9\/9 messages/);
    expect(r.stderr).toMatch(new RegExp(`export: ${expected.length} messages of channel ${s.channel} → ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(\\d+ bytes, \\d+ ms, peak RSS \\d+ MiB\\)`));
    expect(JSON.parse(readFileSync(out, 'utf8')).messages).toEqual(JSON.parse(JSON.stringify(expected)));
    // Never over an existing file.
    const again = await cli(['--channel', s.channel, '--format', 'json', '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
  });

  it.skipIf(skip)('--after/--before and --include-deleted; bad arguments exit 2 with the usage', async () => {
    const out = path.join(dir, 'range.txt');
    const r = await cli(['--channel', s.channel, '--format', 'txt', '--out', out, '--after', expected[1].createdAt.toISOString(), '--before', expected[3].createdAt.toISOString()]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      readFileSync(out, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('[')),
    ).toHaveLength(2);
    const all = path.join(dir, 'all.csv');
    expect((await cli(['--channel', s.channel, '--format', 'csv', '--out', all, '--include-deleted'])).code).toBe(0);
    expect(readFileSync(all, 'utf8')).toContain('this one is deleted');
    for (const bad of [[], ['--channel', 'general'], ['--channel', s.channel, '--format', 'pdf'], ['--channel', s.channel, '--after', 'soon'], ['--nope']]) {
      const b = await cli(bad);
      expect(b.code, bad.join(' ')).toBe(2);
      expect(b.stderr).toContain('usage: npm run export -- --channel ID');
    }
  });

  it.skipIf(skip || noBrowser)(
    'the HTML transcript renders in Chromium like a channel, the injections inert, times in the reader’s zone',
    async () => {
      const site = path.join(dir, 'site');
      mkdirSync(site, { recursive: true });
      const out = path.join(site, 'transcript.html');
      const r = await cli(['--channel', s.channel, '--out', out, '--attachments-url', 'attachments/']);
      expect(r.code, r.stderr).toBe(0);
      // A copy of the stored file beside the page, where --attachments-url points.
      const [file] = await h.bot.db.attachments.listForMessage(s.ids.file);
      mkdirSync(path.join(site, 'attachments', path.dirname(file.storedPath!)), { recursive: true });
      copyFileSync(path.join(h.bot.attachments.files.dir, file.storedPath!), path.join(site, 'attachments', file.storedPath!));
      const profile = mkdtempSync(path.join(os.tmpdir(), 'chronicle-chromium-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        viewport: { width: 1100, height: 1400 },
        timezoneId: 'Asia/Tokyo',
        locale: 'en-GB',
      });
      try {
        const page = await context.newPage();
        const dialogs: string[] = [];
        const errors: string[] = [];
        page.on('dialog', (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        await page.goto(`file://${out}`);
        await page.waitForFunction("document.documentElement.dataset.localTimes === 'done'");
        expect(await page.locator('article.msg').count()).toBe(expected.length);
        const hello = page.locator(`article[data-message-id="${s.ids.hello}"]`);
        expect(await hello.locator('.name').first().textContent()).toBe('Ada Lovelace');
        expect(await hello.locator('.content a').getAttribute('href')).toBe('https://example.com');
        expect((await hello.locator('.reaction').allTextContents()).sort()).toEqual(['👍2', '🎉1'].sort());
        const avatar = await hello.locator('.avatar').evaluate((e) => (globalThis as unknown as Css).getComputedStyle(e).backgroundColor);
        expect(avatar).toMatch(/^rgb\(/);
        const bobAvatar = await page.locator(`article[data-message-id="${s.ids.edited}"] .avatar`).evaluate((e) => (globalThis as unknown as Css).getComputedStyle(e).backgroundColor);
        expect(bobAvatar).not.toBe(avatar);
        // The injection message shows its text, and made no element or script.
        const inj = page.locator(`article[data-message-id="${s.ids.injection}"] .content`);
        expect(await inj.textContent()).toBe(`${SCRIPT_INJECTION} and ${ATTRIBUTE_INJECTION} <img src=x onerror=alert(1)>`);
        expect(await inj.locator('*').count()).toBe(0);
        expect(await page.locator('script').count()).toBe(1);
        expect(await page.locator('[onerror]').count()).toBe(0);
        expect(await page.locator('.embed .title').textContent()).toBe(`Embed ${SCRIPT_INJECTION}`);
        // Edits with their history, the reply, the thread link, the archived image.
        const edited = page.locator(`article[data-message-id="${s.ids.edited}"]`);
        await edited.locator('summary').click();
        expect(await edited.locator('.edited li').allTextContents()).toEqual([expect.stringContaining('first draft'), expect.stringContaining('second draft')]);
        expect(await page.locator(`article[data-message-id="${s.ids.reply}"] .reply`).textContent()).toContain('@Bobby final text, edited twice');
        expect(await page.locator(`article[data-message-id="${s.ids.starter}"] a.thread`).getAttribute('href')).toBe(`https://discord.com/channels/${h.guildId}/${s.thread}`);
        const img = page.locator(`article[data-message-id="${s.ids.file}"] .attachment img`);
        await expect.poll(() => img.evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth), { timeout: 10_000 }).toBe(1);
        // Local time: the ISO attribute rendered in the reader's zone (Tokyo, UTC+9), UTC kept in the title.
        const time = hello.locator('time').first();
        const iso = (await time.getAttribute('datetime'))!;
        const shown = (await time.textContent())!;
        expect(shown).toBe(new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Tokyo' }));
        expect(await time.getAttribute('title')).toMatch(/ UTC$/);
        expect(dialogs).toEqual([]);
        expect(errors).toEqual([]);
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, driver === 'sqlite' ? 'transcript.png' : `transcript-${driver}.png`), fullPage: true });
        writeFileSync(path.join(ARTIFACTS, `transcript-${driver}.html`), readFileSync(out));
      } finally {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
