import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Database } from '../src/database/database';
import { renderMarkup } from '../src/sandbox/markup';

const ROOT = path.resolve(__dirname, '..');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** `npm run sandbox -- …` with lines typed on stdin; the sandbox stops at the end of input. */
function sandbox(dataDir: string, lines: string[], args: string[] = ['--no-scene']): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, LOG_LEVEL: 'error' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // Typed once the bot is ready, a line at a time.
    const ready = setInterval(() => {
      if (!stdout.includes('Type help')) return;
      clearInterval(ready);
      child.stdin.end(lines.map((l) => `${l}\n`).join(''));
    }, 50);
  });
}

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'chronicle-sandbox-'));
  dirs.push(d);
  return d;
}

describe('the sandbox terminal', () => {
  it('renders Discord markup: timestamps, mentions, channels, command mentions, emoji', () => {
    const now = new Date('2026-12-03T12:00:00Z');
    const s = (d: string) => Math.floor(new Date(d).getTime() / 1000);
    const names = { user: (id: string) => ({ '111111111111111111': 'ada' })[id], channel: (id: string) => ({ '222222222222222222': 'general' })[id] };
    expect(renderMarkup(`<t:${s('2026-12-03T11:59:50Z')}:R>`, names, now)).toBe('a few seconds ago');
    expect(renderMarkup(`started <t:${s('2026-12-03T11:57:00Z')}:R>, ends <t:${s('2026-12-03T14:00:00Z')}:R>, <t:${s('2026-11-30T12:00:00Z')}:R>`, names, now)).toBe('started 3 minutes ago, ends in 2 hours, 3 days ago');
    expect(renderMarkup('<@111111111111111111> and <@!111111111111111111> in <#222222222222222222>; <@333333333333333333> in <#444444444444444444>', names, now)).toBe('@ada and @ada in #general; @unknown-user in #unknown-channel');
    expect(renderMarkup('try </history:123456789012345678> <:party:123456789012345678> <a:wave:123456789012345678>', names, now)).toBe('try /history :party: :wave:');
    expect(renderMarkup(`<t:${s('2026-12-03T11:57:00Z')}:D>`, names, now)).toMatch(/^\d{1,2} December 2026$/);
    expect(renderMarkup('no markup, <not this>', names, now)).toBe('no markup, <not this>');
  });

  it('--once with --web is refused with one line saying why (the page would close with the scene), before anything starts', async () => {
    const dir = tempDir();
    const r = await sandbox(dir, [], ['--once', '--web']);
    expect(r.code).toBe(78);
    expect(r.stderr.trim()).toBe('sandbox: --once and --web do not go together (--once exits after the scene, taking the page with it): use --web alone and stop it with Ctrl-C');
    expect(existsSync(path.join(dir, 'chronicle.sqlite'))).toBe(false);
  });

  it('typed lines: help, no such person, replies printed once with markup rendered, files saved, click 1; ends with the input', async () => {
    const dir = tempDir();
    const r = await sandbox(dir, ['help', 'zed: hi', 'zed /ping', 'ada /session info', 'ada: hello there', 'ada /history limit:5', '/stats scope:server days:1', 'bob: hi, I am bob', 'bob /mydata forget', 'click 1', 'ada /nosuch']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^What you can type/m);
    expect(out.match(/no such person: zed \(people: ada, bob, carol\)/g)).toHaveLength(2);
    expect(out).toMatch(/no such command: \/nosuch/);
    // Before ada wrote, the reply to her is not recorded, and the sandbox says so.
    expect(out).toMatch(/You have no open session in this channel.*\nnot recorded +assistant #general +\(the reply above\): a reply to someone with no record +\[message \d+\]/);
    // The /history reply: its markup rendered, printed once, its row referring to it.
    expect(out).toMatch(/Your last 1 message in this session \(started a few seconds ago\):\n {16}\d\d:\d\d hello there/);
    expect(out).not.toMatch(/<t:\d+/);
    expect(out.match(/Your last 1 message in this session/g)).toHaveLength(1);
    expect(out.match(/^recorded +assistant #general +\(the reply above\) +\[message \d+\]$/gm)!.length).toBeGreaterThanOrEqual(2);
    // The chart: saved where the line says, a real PNG.
    const saved = /stats\.png \(\d+ bytes\) saved to (\S+)\]/.exec(out);
    expect(saved).not.toBeNull();
    const file = path.resolve(ROOT, saved![1]);
    expect(file.startsWith(path.join(dir, 'files'))).toBe(true);
    expect(readFileSync(file).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // The erasure's confirmation button, clicked by number.
    expect(out).toMatch(/buttons: \[1\] [^\n]+ {2}\[2\] /);
    expect(out).toMatch(/bob +clicks "/);
    const check = await Database.open({ driver: 'sqlite', path: path.join(dir, 'chronicle.sqlite') });
    try {
      const users = await check.users.countUsers();
      expect(await check.messages.countMessages()).toBeGreaterThan(0);
      // ada, and the bot; bob erased himself.
      expect(users).toBe(2);
    } finally {
      await check.close();
    }
  }, 90_000);

  it('a fresh database each run; --keep keeps it', async () => {
    const dir = tempDir();
    const count = async () => {
      const db = await Database.open({ driver: 'sqlite', path: path.join(dir, 'chronicle.sqlite') });
      try {
        return await db.messages.countMessages();
      } finally {
        await db.close();
      }
    };
    expect((await sandbox(dir, ['ada: first run'])).code).toBe(0);
    expect(await count()).toBe(1);
    const second = await sandbox(dir, ['ada: second run']);
    expect(second.stdout).toMatch(/fresh for this run; --keep keeps it between runs/);
    expect(await count()).toBe(1);
    const kept = await sandbox(dir, ['ada: third run'], ['--no-scene', '--keep']);
    expect(kept.stdout).toMatch(/kept from earlier runs/);
    expect(await count()).toBe(2);
    expect(existsSync(path.join(dir, 'chronicle.sqlite'))).toBe(true);
  }, 90_000);
});
