/** SQLite refuses a shard plan that needs several processes, at start, before any IDENTIFY. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiscordEmulator } from '@chronicle/discord-emulator';
import { scratchDatabase } from '../helpers/databases';
import { runBot } from '../helpers/process';

describe('shards on SQLite', () => {
  it('on SQLite, SHARD_IDS short of the shards Discord recommends is refused at start with one line pointing to PostgreSQL and db:copy (exit 78)', async () => {
    const emu = await DiscordEmulator.start({ shards: 2 });
    const scratch = await scratchDatabase('sqlite', 'launcher');
    try {
      const r = runBot({ DATABASE_URL: scratch.url, DISCORD_TOKEN: emu.token, DISCORD_API_URL: emu.apiUrl, DATA_DIR: path.dirname(scratch.config.driver === 'sqlite' ? scratch.config.path : '.'), SHARD_IDS: '0' });
      expect(await r.exited).toBe(78);
      expect(r.stderr.trim().split('\n')).toEqual([
        'chronicle: SHARD_IDS=0 runs 1 of 2 shards, so the others run in another process; SQLite serves one process only: move to PostgreSQL (npm run db:copy -- --from sqlite:PATH --to postgres://…, then DATABASE_URL=postgres://…) or run every shard in this one process',
      ]);
      expect(emu.identifies()).toEqual([]);
    } finally {
      await emu.stop();
      await scratch.dispose();
    }
  });
});
