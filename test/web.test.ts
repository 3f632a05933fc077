import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { DRIVERS, scratchDatabase } from './helpers/databases';
import { until } from './helpers/harness';
import { ROOT } from './helpers/process';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it). Without it the test is skipped, except in CI. */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'web');
const noBrowser = !existsSync(CHROMIUM) && !process.env.CI;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Sandbox {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  url: string;
  exited: Promise<number>;
}

/** `npm run sandbox -- --web --no-scene`, kept running (stdin open) until the test ends its input. */
async function sandbox(env: Record<string, string>): Promise<Sandbox> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox.ts', '--web', '--no-scene'], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'error', ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  const line = await until(
    () => out + (child.exitCode !== null ? `[exited ${child.exitCode}] ${err}` : ''),
    (s) => s.includes('Type help') || s.includes('[exited'),
    60_000,
    'the sandbox ready',
  );
  const url = /^web +(http:\/\/127\.0\.0\.1:\d+\/)/m.exec(line)?.[1];
  if (!url) throw new Error(`no web view line in the sandbox's output:\n${line}\n${err}`);
  return { child, stdout: () => out, url, exited };
}

/** Headless Debian chromium with a fresh profile, no network of its own beyond 127.0.0.1. */
async function browser(): Promise<{ context: BrowserContext; dispose: () => Promise<void> }> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'chronicle-chromium-'));
  dirs.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1600, height: 900 },
  });
  return { context, dispose: () => context.close() };
}

/** Waits (up to 10 s, for a loaded machine) until what `fn` reads passes the matcher. */
const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 10_000 });
const message = (page: Page, text: string) => page.locator('#messages .message', { hasText: text });

/** Types a slash command's name and Enter: its options form opens (or it runs when it has none). */
async function slash(page: Page, name: string): Promise<void> {
  await page.fill('#composer', `/${name}`);
  await page.locator(`#suggestions [data-command="${name}"]`).waitFor();
  await page.press('#composer', 'Enter');
}

describe.skipIf(noBrowser)('the local Discord in a browser (npm run sandbox -- --web)', () => {
  describe.each(DRIVERS)('on $driver', ({ driver, skip }) => {
    it.skipIf(skip)(
      'a message as ada, /ping and /status set as the admin, a button, edits and deletes, a new person and channel; the presence follows a bot_status edit from the panel',
      async () => {
        mkdirSync(ARTIFACTS, { recursive: true });
        const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${driver}-${name}.png`) });
        const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-web-'));
        dirs.push(dataDir);
        const db = driver === 'postgres' ? await scratchDatabase(driver, 'web') : null;
        const sb = await sandbox({ DATA_DIR: dataDir, ...(db ? { DATABASE_URL: db.url, MIGRATIONS: 'auto' } : {}) });
        const { context, dispose } = await browser();
        const offsite: string[] = [];
        try {
          const page = await context.newPage();
          // Everything the page loads comes from the view itself.
          page.on('request', (r) => {
            if (!r.url().startsWith(sb.url)) offsite.push(r.url());
          });
          const errors: string[] = [];
          page.on('pageerror', (e) => errors.push(e.message));
          await page.goto(sb.url);
          await page.locator('body[data-ready]').waitFor();
          await poll(() => page.locator('#channels .channel').allTextContents()).toEqual(['#general', '#random']);
          await poll(() => page.locator('#person option').allTextContents()).toEqual(['ada', 'bob', 'carol']);

          // ada writes; the message shows, and its row, session and user appear in the panel.
          await page.selectOption('#person', { label: 'ada' });
          await page.fill('#composer', 'hello from the browser');
          await page.press('#composer', 'Enter');
          await message(page, 'hello from the browser').waitFor();
          await page.locator('[data-table="messages"] td', { hasText: 'hello from the browser' }).waitFor();
          await page.locator('[data-table="users"] td', { hasText: 'ada' }).first().waitFor();
          await poll(() => page.locator('[data-table="sessions"] tbody tr').count()).toBe(1);

          // Her own message: edited, then another deleted.
          const hello = message(page, 'hello from the browser');
          await hello.hover();
          await hello.locator('button.edit').click();
          await page.fill('.edit-input', 'hello from the browser, edited');
          await page.press('.edit-input', 'Enter');
          await message(page, 'hello from the browser, edited').locator('.edited').waitFor();
          // The panel keeps what the edit replaced.
          await page.locator('[data-table="message_revisions"] td', { hasText: /^hello from the browser$/ }).waitFor();
          await page.locator('[data-table="messages"] td', { hasText: 'hello from the browser, edited' }).waitFor();
          // Reactions: bob adds 👍, carol clicks the chip (2), bob takes his back (1); the panel follows.
          const edited = message(page, 'hello from the browser, edited');
          const chip = edited.locator('.reactions .reaction[data-emoji="👍"]');
          await page.selectOption('#person', { label: 'bob' });
          await edited.hover();
          await edited.locator('button.react').click();
          await poll(() => chip.textContent()).toBe('👍 1');
          await page.selectOption('#person', { label: 'carol' });
          await chip.click();
          await poll(() => chip.textContent()).toBe('👍 2');
          await poll(() => page.locator('[data-table="reactions"] tbody tr').count()).toBe(2);
          await page.selectOption('#person', { label: 'bob' });
          await chip.click();
          await poll(() => chip.textContent()).toBe('👍 1');
          await poll(() => page.locator('[data-table="reactions"] tbody tr').count()).toBe(1);
          await page.selectOption('#person', { label: 'ada' });
          await page.fill('#composer', 'a typo to delete');
          await page.press('#composer', 'Enter');
          const typo = message(page, 'a typo to delete');
          await typo.waitFor();
          await typo.hover();
          await typo.locator('button.delete').click();
          await typo.waitFor({ state: 'detached' });

          // /ping as carol (the admin): an ephemeral reply, marked as only hers.
          await page.selectOption('#person', { label: 'carol' });
          await slash(page, 'ping');
          const pong = message(page, 'Pong!');
          await pong.waitFor();
          expect(await pong.locator('.only-you').textContent()).toContain('Only you can see this');
          expect(await pong.locator('.context').textContent()).toBe('Carol (admin) used /ping');
          // Only carol sees it.
          await page.selectOption('#person', { label: 'bob' });
          await pong.waitFor({ state: 'detached' });
          await page.selectOption('#person', { label: 'carol' });
          await pong.waitFor();

          // /status set as carol: the options from the registered command, the presence follows.
          await slash(page, 'status');
          await page.selectOption('#command-form .subcommand', 'set');
          await page.fill('#command-form [data-option="activity"]', 'the browser');
          await page.selectOption('#command-form [data-option="type"]', 'watching');
          await page.selectOption('#command-form [data-option="status"]', 'dnd');
          await page.click('#command-form .run');
          await poll(() => page.locator('#members .presence .activity').textContent()).toBe('Watching the browser');
          expect(await page.locator('#members .presence').getAttribute('data-status')).toBe('dnd');
          // Autocomplete from the bot: /status activate offers the rows' ids.
          await slash(page, 'status');
          await page.selectOption('#command-form .subcommand', 'activate');
          await page.fill('#command-form [data-option="id"]', 'sand');
          await page.locator('#choices-id option[value="sandbox"]').waitFor({ state: 'attached' });
          await page.click('#command-form .cancel');

          // /stats: the chart shown as an image.
          await slash(page, 'stats');
          await page.click('#command-form .run');
          const chart = page.locator('#messages .attachment img[alt="stats.png"]');
          await chart.waitFor();
          await poll(() => chart.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(100);
          await shot(page, 'commands');

          // A button: ada's /mydata forget offers Forget / Cancel; Cancel updates the reply.
          await page.selectOption('#person', { label: 'ada' });
          await slash(page, 'mydata');
          await page.selectOption('#command-form .subcommand', 'forget');
          await page.click('#command-form .run');
          const cancel = page.locator('#messages .message.ephemeral button', { hasText: 'Cancel' });
          await cancel.waitFor();
          await shot(page, 'buttons');
          await cancel.click();
          await message(page, 'Cancelled: nothing was erased.').waitFor();

          // A bot_status edit from the panel (a direct database write): the presence follows.
          const row = page.locator('[data-table="bot_status"] tr[data-key="sandbox"]');
          await row.locator('select[name="is_active"]').selectOption('true');
          await row.locator('select[name="status"]').selectOption('idle');
          await row.locator('select[name="activity_type"]').selectOption('playing');
          await row.locator('input[name="activity"]').fill('from the panel');
          await row.locator('button.save').click();
          await poll(() => page.locator('#members .presence .activity').textContent()).toBe('Playing from the panel');
          expect(await page.locator('#members .presence').getAttribute('data-status')).toBe('idle');
          await poll(() => row.locator('select[name="status"]').inputValue()).toBe('idle');
          // A row the bot could not apply is refused with the reason, and nothing is written.
          await row.locator('select[name="activity_type"]').selectOption('streaming');
          await row.locator('button.save').click();
          await poll(() => page.locator('#error').textContent()).toMatch(/bot_status sandbox not written: streaming needs url/);
          expect(await page.locator('#members .presence .activity').textContent()).toBe('Playing from the panel');

          // A new person and a new channel; dora writes there.
          await page.fill('.add-person input[name="username"]', 'dora');
          await page.click('.add-person button');
          await poll(() => page.locator('#person option:checked').textContent()).toBe('dora');
          await page.fill('.add-channel input[name="name"]', 'ideas');
          await page.click('.add-channel button');
          await poll(() => page.locator('#channels .channel.active').textContent()).toBe('#ideas');
          await page.fill('#composer', 'first idea');
          await page.press('#composer', 'Enter');
          await message(page, 'first idea').waitFor();
          // A thread of #ideas, listed under it.
          await page.fill('.add-channel input[name="name"]', 'details');
          await page.selectOption('.add-channel select[name="type"]', 'thread');
          await page.click('.add-channel button');
          await poll(() => page.locator('#channels .channel').allTextContents()).toEqual(['#general', '#random', '#ideas', '↳details']);
          await poll(() => page.locator('#channels .channel.thread.active').textContent()).toBe('↳details');
          await page.click('#channels .channel[data-channel="ideas"]');
          await page.locator('[data-table="users"] td', { hasText: 'dora' }).first().waitFor();
          await shot(page, 'panel');

          expect(errors).toEqual([]);
          expect(offsite).toEqual([]);
        } finally {
          await dispose();
          sb.child.stdin.end();
          const code = await sb.exited;
          await db?.dispose();
          expect(code, sb.stdout()).toBe(0);
        }
      },
      120_000,
    );
  });
});
