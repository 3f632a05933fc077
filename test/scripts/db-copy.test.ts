import { describe, expect, it } from 'vitest';
import { copyOrder, tableChecksum } from '../../src/database/copy';
import { Database } from '../../src/database/database';
import { DRIVERS, scratchDatabase } from '../helpers/databases';
import { presencesFromNow, startHarness, startWorld, until } from '../helpers/harness';
import { runNode } from '../helpers/process';

const PASSWORD = 'copy-s3cret-pw';
const pgSkip = DRIVERS.find((d) => d.driver === 'postgres')!.skip;

/** The URL with a password in it (trust authentication ignores it): it must never be printed. */
function withPassword(url: string): string {
  const u = new URL(url);
  u.password = PASSWORD;
  return u.toString();
}

const copy = (from: string, to: string, ...extra: string[]) => runNode(['--import', 'tsx', 'scripts/db-copy.ts', '--from', from, '--to', to, ...extra], {});

describe('npm run db:copy from SQLite to PostgreSQL', () => {
  it.skipIf(pgSkip)(
    'copies every table, resumes after a kill, verifies counts and checksums, and the bot carries on on the target',
    async () => {
      const world = await startWorld();
      const source = await startHarness('sqlite', 'copy_src', { world });
      const target = await scratchDatabase('postgres', 'copy_dst');
      let onTarget: Awaited<ReturnType<typeof startHarness>> | null = null;
      try {
        // What a bot leaves behind: people, sessions, messages (one with a NUL, one edited, one
        // deleted), the bot's replies, a presence row, a task and its skill rows.
        const ids = Array.from({ length: 600 }, (_, i) => world.emu.sendMessage({ channelId: i % 3 ? world.general : world.random, authorId: i % 2 ? world.ada : world.bob, content: i === 7 ? 'nul \u0000 inside' : `message ${i} 👋` }).id);
        world.emu.editMessage(world.general, ids[1], 'edited text');
        world.emu.deleteMessage(world.general, ids[2]);
        const status = await source.bot.db.botStatus.createBotStatus({ activity: 'copied over', activityType: 'watching', isActive: true });
        await world.emu.runCommand('run', { skill: 'echo', input: 'hi' }, { userId: world.ada, channelId: world.general });
        await until(
          () => source.bot.db.messages.countMessages(),
          (n) => n >= 601,
          20_000,
          'messages recorded',
        );
        const before = await source.bot.db.sessions.findOpenSession({ userId: (await source.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: world.ada }))!.id, channelId: world.general, idleMs: 3_600_000 });
        expect(before).not.toBeNull();
        await source.bot.stop();

        // Interrupted: killed once the messages table is under way.
        const to = withPassword(target.url);
        const first = copy(source.scratch.url, to, '--batch', '20');
        await until(
          () => first.stderr,
          (s) => /messages .*\] [1-9]/.test(s),
          60_000,
          'the copy of messages under way',
        );
        first.child.kill('SIGKILL');
        await first.exited;

        const second = copy(source.scratch.url, to, '--batch', '20');
        expect(await second.exited, second.stderr).toBe(0);
        expect(second.stderr).toMatch(/already there/);
        expect(second.stdout).toMatch(/rows in \d+ tables copied and verified/);
        expect(second.stdout).not.toMatch(/DIFF/);
        expect(second.stdout + second.stderr + first.stdout + first.stderr).not.toContain(PASSWORD);

        // Checked here too, independently of the script's own report.
        const a = await Database.open(source.scratch.config);
        const b = await Database.open(target.config);
        try {
          const metas = copyOrder(b.dataSource.entityMetadatas);
          expect(metas.map((m) => m.tableName)).toEqual(expect.arrayContaining(['users', 'sessions', 'messages', 'bot_status', 'tasks', 'skills', 'logs']));
          expect(metas.findIndex((m) => m.tableName === 'users')).toBeLessThan(metas.findIndex((m) => m.tableName === 'sessions'));
          expect(metas.findIndex((m) => m.tableName === 'sessions')).toBeLessThan(metas.findIndex((m) => m.tableName === 'messages'));
          for (const meta of metas) {
            const [x, y] = [await tableChecksum(a, meta), await tableChecksum(b, meta)];
            expect(y, meta.tableName).toEqual(x);
          }
          expect((await b.messages.getByDiscordId(ids[7]))?.content).toBe('nul \u0000 inside');
          expect((await b.messages.getByDiscordId(ids[1]))?.content).toBe('edited text');
          expect((await b.messages.getByDiscordId(ids[2]))?.deletedAt).toBeInstanceOf(Date);
        } finally {
          await a.close();
          await b.close();
        }

        // A rerun of a finished copy writes nothing and verifies again.
        const third = copy(source.scratch.url, to);
        expect(await third.exited, third.stderr).toBe(0);
        expect(third.stdout).toMatch(/copied and verified/);

        // The bot on the target carries on: the same presence, the same open session.
        const seen = presencesFromNow(world.emu);
        onTarget = await startHarness('postgres', 'copy_dst', { world, scratch: target });
        await seen.wait((p) => p.activities[0]?.name === status.activity, 10_000);
        const next = world.emu.sendMessage({ channelId: world.general, authorId: world.ada, content: 'after the move' }).id;
        const row = await until(
          () => onTarget!.bot.db.messages.getByDiscordId(next),
          (m) => m !== null,
          10_000,
          'the first message on the target',
        );
        expect(row!.sessionId).toBe(before!.id);
      } finally {
        await onTarget?.bot.stop().catch(() => undefined);
        await source.dispose();
        await target.dispose();
      }
    },
    180_000,
  );

  it.skipIf(pgSkip)(
    'refuses a target that holds other data, and says how to call it',
    async () => {
      const source = await scratchDatabase('sqlite', 'copy_refuse_src');
      const target = await scratchDatabase('postgres', 'copy_refuse_dst');
      try {
        for (const s of [source, target]) {
          const db = await Database.open(s.config);
          await db.migrate();
          await db.botStatus.createBotStatus({ activity: `only in ${s.config.driver}` });
          await db.close();
        }
        const r = copy(source.url, withPassword(target.url));
        expect(await r.exited).toBe(78);
        expect(r.stderr).toMatch(/already holds other data \(table bot_status: 1 row\(s\)/);
        expect(r.stderr).not.toContain(PASSWORD);

        const same = copy(source.url, source.url);
        expect(await same.exited).toBe(78);
        expect(same.stderr).toMatch(/same database/);

        const usage = copy(source.url, '');
        expect(await usage.exited).toBe(2);
        expect(usage.stderr).toMatch(/--to needs a value[\s\S]*usage: npm run db:copy/);
      } finally {
        await source.dispose();
        await target.dispose();
      }
    },
    60_000,
  );
});
