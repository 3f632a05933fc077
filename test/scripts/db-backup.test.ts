import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database';
import { createTempDatabase } from '../../src/database/postgres-admin';
import { DRIVERS } from '../helpers/databases';
import { startHarness, until } from '../helpers/harness';
import { runNode } from '../helpers/process';

const PASSWORD = 'backup-s3cret-pw';

/** The URL with a password in it (trust authentication ignores it): it must never be printed. */
function withPassword(url: string): string {
  const u = new URL(url);
  u.password = PASSWORD;
  return u.toString();
}

describe.each(DRIVERS)('npm run db:backup while the bot records ($driver)', ({ driver, skip }) => {
  it.skipIf(skip)(
    'makes a consistent copy that restores with every row committed before it started',
    async () => {
      const h = await startHarness(driver, 'backup');
      const dir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-backup-'));
      const out = path.join(dir, driver === 'sqlite' ? 'copy.sqlite' : 'copy.dump');
      let restored: { url: string; drop(): Promise<void> } | null = null;
      let sending: NodeJS.Timeout | undefined;
      try {
        const before = Array.from({ length: 200 }, (_, i) => h.emu.sendMessage({ channelId: h.general, authorId: i % 2 ? h.ada : h.bob, content: `before the backup ${i}` }).id);
        await until(
          () => h.bot.db.messages.countMessages(),
          (n) => n === 200,
          20_000,
          'messages recorded',
        );
        // The bot keeps recording while the backup runs.
        let sent = 0;
        sending = setInterval(() => {
          for (let i = 0; i < 20; i++) h.emu.sendMessage({ channelId: h.random, authorId: h.ada, content: `during the backup ${sent++}` });
        }, 20);
        const url = driver === 'postgres' ? withPassword(h.scratch.url) : h.scratch.url;
        const r = runNode(['--import', 'tsx', 'scripts/db-backup.ts', '--out', out], { DATABASE_URL: url });
        const code = await r.exited;
        clearInterval(sending);
        expect(code, r.stderr).toBe(0);
        expect(r.stdout).toContain(`→ ${out} (`);
        expect(r.stdout + r.stderr).not.toContain(PASSWORD);
        expect(sent).toBeGreaterThan(0);

        let copy: Database;
        if (driver === 'sqlite') {
          copy = await Database.open({ driver: 'sqlite', path: out });
        } else {
          const db = await createTempDatabase('chronicle_restore');
          restored = { url: db.url, drop: db.drop };
          execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', db.url, out]);
          copy = await Database.open({ driver: 'postgres', url: db.url });
        }
        try {
          expect(await copy.pendingMigrations()).toEqual([]);
          const n = await copy.messages.countMessages();
          expect(n).toBeGreaterThanOrEqual(200);
          expect(n).toBeLessThanOrEqual(await h.bot.db.messages.countMessages());
          for (const [i, id] of before.entries()) expect(await copy.messages.getByDiscordId(id), `message ${i}`).toMatchObject({ content: `before the backup ${i}` });
        } finally {
          await copy.close();
        }
      } finally {
        clearInterval(sending);
        await restored?.drop();
        rmSync(dir, { recursive: true, force: true });
        await h.dispose();
      }
    },
    90_000,
  );

  it.skipIf(skip)('refuses to overwrite a file, and says how to call it on a bad argument', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-backup-'));
    try {
      const bad = runNode(['--import', 'tsx', 'scripts/db-backup.ts', '--to', 'x'], { DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}` });
      expect(await bad.exited).toBe(2);
      expect(bad.stderr.trim()).toBe('db:backup: unknown argument --to; usage: npm run db:backup [-- --out FILE]');
      const existing = path.join(dir, 'exists.dump');
      execFileSync('touch', [existing]);
      const r = runNode(['--import', 'tsx', 'scripts/db-backup.ts', '--out', existing], { DATABASE_URL: driver === 'sqlite' ? `sqlite:${path.join(dir, 'db.sqlite')}` : `postgres://root:${PASSWORD}@127.0.0.1:5432/test` });
      expect(await r.exited).toBe(1);
      expect(r.stderr.trim()).toBe(`db:backup: ${existing} already exists; choose another --out FILE (a backup never overwrites one)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
