import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeDatabase, formatShardIds, loadConfig, planShards } from '../src/config';

const cwd = '/srv/chronicle';

describe('config', () => {
  it('defaults to the SQLite file data/chronicle.sqlite', () => {
    const c = loadConfig({}, cwd);
    expect(c.database).toEqual({ driver: 'sqlite', path: path.join(cwd, 'data', 'chronicle.sqlite') });
    expect(c).toMatchObject({ logLevel: 'info', logDbLevel: 'warn', migrations: 'auto', sessionIdleMinutes: 30, recordContent: true, logRetentionDays: 30 });
  });

  it('picks the driver from DATABASE_URL or DB_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:tmp/x.sqlite' }, cwd).database).toEqual({ driver: 'sqlite', path: path.join(cwd, 'tmp/x.sqlite') });
    expect(loadConfig({ DB_URL: '/var/lib/bot.db' }, cwd).database).toEqual({ driver: 'sqlite', path: '/var/lib/bot.db' });
    const pg = loadConfig({ DATABASE_URL: 'postgres://bot:s3cret@db:5432/chronicle' }, cwd);
    expect(pg.database).toEqual({ driver: 'postgres', url: 'postgres://bot:s3cret@db:5432/chronicle' });
    expect(pg.migrations).toBe('check');
    expect(describeDatabase(pg.database)).toBe('postgres://bot:***@db:5432/chronicle');
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/x', MIGRATIONS: 'auto' }, cwd).migrations).toBe('auto');
  });

  it('reports every problem on its own line, naming the variable and the fix, without echoing secrets', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig({ DATABASE_URL: 'mysql://root:hunter2@x/db', LOG_LEVEL: 'loud', SESSION_IDLE_MINUTES: '-5', RECORD_CHANNELS: '123,abc', MIGRATIONS: 'sometimes', DISCORD_TOKEN: 'tok' }, cwd);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toHaveLength(5);
    expect(err!.message).toMatch(/DATABASE_URL is neither a postgres:\/\/ URL nor a SQLite file/);
    expect(err!.message).toMatch(/LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent \(got "loud"\)/);
    expect(err!.message).toMatch(/SESSION_IDLE_MINUTES must be a number from 0.01/);
    expect(err!.message).toMatch(/RECORD_CHANNELS must be a comma-separated list of Discord ids.*not ids: 123, abc/);
    expect(err!.message).toMatch(/MIGRATIONS must be auto/);
    expect(err!.message).not.toMatch(/hunter2/);
  });

  it('shows what was set in every problem ("got …"), passwords masked', () => {
    const bad: Record<string, string> = {
      DATABASE_URL: 'mysql://root:hunter2@x/db',
      LOG_LEVEL: 'loud',
      LOG_DB_LEVEL: 'chatty',
      LOG_RETENTION_DAYS: 'forever',
      LOG_FORMAT: 'yaml',
      DISCORD_API_URL: 'discord.com/api',
      DISCORD_APPLICATION_ID: 'my-app',
      DISCORD_GUILD_ID: '12',
      BOT_OWNER_IDS: 'me',
      MIGRATIONS: 'sometimes',
      COMMANDS_AUTO_DEPLOY: 'always',
      SESSION_IDLE_MINUTES: '-5',
      RECORD_CHANNELS: 'abc',
      IGNORE_CHANNELS: 'def',
      RECORD_CONTENT: 'maybe',
      PRESENCE_REFRESH_MINUTES: '0',
      MEMBERS_INTENT: 'sure',
      SQLITE_POLL_MS: '1',
      RECORDER_BATCH_SIZE: 'lots',
      RECORDER_FLUSH_MS: '-1',
      RECORDER_MAX_QUEUE: '5',
      RECORDER_MAX_QUEUE_MB: '0',
      BACKFILL_MAX_MESSAGES: 'all',
      RECONCILE_MESSAGES: 'some',
      DATA_DIR: '   ',
    };
    let err: ConfigError | undefined;
    try {
      loadConfig(bad, cwd);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    for (const [name, value] of Object.entries(bad)) {
      const line = err!.problems.find((p) => p.startsWith(`${name} `));
      expect(line, name).toBeDefined();
      expect(line, name).toContain(`(got "${name === 'DATABASE_URL' ? 'mysql://root:***@x/db' : value}`);
    }
    expect(err!.message).not.toMatch(/hunter2/);
  });

  it('COMMANDS_AUTO_DEPLOY=guild needs a guild', () => {
    expect(() => loadConfig({ COMMANDS_AUTO_DEPLOY: 'guild' }, cwd)).toThrow(/COMMANDS_AUTO_DEPLOY=guild needs DISCORD_GUILD_ID/);
    expect(loadConfig({ COMMANDS_AUTO_DEPLOY: 'GUILD', DISCORD_GUILD_ID: '123456789012345678' }, cwd).commandsAutoDeploy).toBe('guild');
    expect(loadConfig({}, cwd).commandsAutoDeploy).toBe('off');
  });

  it('parses lists, booleans and the Discord settings', () => {
    const c = loadConfig({ RECORD_CHANNELS: '123456789012345678, 223456789012345678', RECORD_CONTENT: 'false', DISCORD_API_URL: 'http://127.0.0.1:9/api/', BOT_OWNER_IDS: '323456789012345678', SESSION_IDLE_MINUTES: '0.5' }, cwd);
    expect(c.recordChannels).toEqual(['123456789012345678', '223456789012345678']);
    expect(c.recordContent).toBe(false);
    expect(c.discord.apiUrl).toBe('http://127.0.0.1:9/api');
    expect(c.ownerIds).toEqual(['323456789012345678']);
    expect(c.sessionIdleMinutes).toBe(0.5);
    expect(c.membersIntent).toBe(false);
    expect(loadConfig({ MEMBERS_INTENT: 'on' }, cwd).membersIntent).toBe(true);
    expect(c.recorder.maxQueueBytes).toBe(64 * 1024 * 1024);
    expect(loadConfig({ RECORDER_MAX_QUEUE_MB: '16' }, cwd).recorder.maxQueueBytes).toBe(16 * 1024 * 1024);
  });

  it('SHUTDOWN_TIMEOUT_MS: 8000 by default (below the 10 s Docker gives a stop); a bad value names the variable, the range and what it got', () => {
    expect(loadConfig({}, cwd).shutdownTimeoutMs).toBe(8000);
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '3000' }, cwd).shutdownTimeoutMs).toBe(3000);
    for (const bad of ['8s', '500', '1.5e6']) {
      expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: bad }, cwd)).toThrow(new RegExp(`SHUTDOWN_TIMEOUT_MS must be a whole number from 1000 to 600000 \\(milliseconds .*\\) \\(got "${bad}"\\)`));
    }
  });

  it('RECONCILE_MESSAGES: 300 by default, 0 turns it off; a bad value names the variable, the range and what it got', () => {
    expect(loadConfig({}, cwd).reconcileMessages).toBe(300);
    expect(loadConfig({ RECONCILE_MESSAGES: '0' }, cwd).reconcileMessages).toBe(0);
    expect(loadConfig({ RECONCILE_MESSAGES: '2500' }, cwd).reconcileMessages).toBe(2500);
    for (const bad of ['-1', '1.5', 'all', '10001']) {
      expect(() => loadConfig({ RECONCILE_MESSAGES: bad }, cwd)).toThrow(new RegExp(`RECONCILE_MESSAGES must be a whole number from 0 to 10000 \\(recent messages .*\\) \\(got "${bad}"\\)`));
    }
  });

  it('JOURNAL: on by default, synced every 50 ms; off turns it off; a bad value names the variable and what it got', () => {
    expect(loadConfig({}, cwd).journal).toEqual({ on: true, syncMs: 50 });
    expect(loadConfig({ JOURNAL: 'OFF', JOURNAL_SYNC_MS: '10' }, cwd).journal).toEqual({ on: false, syncMs: 10 });
    expect(() => loadConfig({ JOURNAL: 'maybe' }, cwd)).toThrow(/JOURNAL must be on \(.*\) or off \(.*\) \(got "maybe"\)/);
    for (const bad of ['50ms', '0', '20000']) {
      expect(() => loadConfig({ JOURNAL_SYNC_MS: bad }, cwd)).toThrow(new RegExp(`JOURNAL_SYNC_MS must be a whole number from 1 to 10000 \\(milliseconds .*\\) \\(got "${bad}"\\)`));
    }
  });

  it('ATTACHMENTS: files by default, 25 MiB a file, 10 GiB in all, under DATA_DIR/attachments; bad values name the variable and what they got', () => {
    expect(loadConfig({ DATA_DIR: '/srv/chronicle' }, cwd).attachments).toEqual({ mode: 'files', maxBytes: 25 * 1024 ** 2, storeMaxBytes: 10 * 1024 ** 3, dir: path.resolve('/srv/chronicle/attachments') });
    expect(loadConfig({ ATTACHMENTS: 'Metadata', ATTACHMENT_MAX_MB: '0.5', ATTACHMENT_STORE_MAX_GB: '2', ATTACHMENT_DIR: '/mnt/files' }, cwd).attachments).toEqual({
      mode: 'metadata',
      maxBytes: 512 * 1024,
      storeMaxBytes: 2 * 1024 ** 3,
      dir: path.resolve('/mnt/files'),
    });
    expect(loadConfig({ ATTACHMENTS: 'off' }, cwd).attachments.mode).toBe('off');
    expect(() => loadConfig({ ATTACHMENTS: 'all' }, cwd)).toThrow(/ATTACHMENTS must be files \(.*\), metadata \(.*\) or off \(.*\) \(got "all"\)/);
    for (const bad of ['0', '-1', '25MB']) expect(() => loadConfig({ ATTACHMENT_MAX_MB: bad }, cwd)).toThrow(new RegExp(`ATTACHMENT_MAX_MB must be a number from .* \\(MiB per file; .*\\) \\(got "${bad}"\\)`));
    expect(() => loadConfig({ ATTACHMENT_STORE_MAX_GB: 'lots' }, cwd)).toThrow(/ATTACHMENT_STORE_MAX_GB must be a number from .* \(got "lots"\)/);
    expect(() => loadConfig({ ATTACHMENT_DIR: ' ' }, cwd)).toThrow(/ATTACHMENT_DIR must be a directory path/);
  });

  it('shards: SHARD_COUNT auto by default, every shard in one process; SHARD_IDS takes ids and ranges', () => {
    expect(loadConfig({}, cwd).shards).toEqual({ count: 'auto', ids: null, perProcess: null });
    const pg = { DATABASE_URL: 'postgres://db/x' };
    expect(loadConfig({ ...pg, SHARD_COUNT: '8', SHARD_IDS: '4-5, 7,6', SHARDS_PER_PROCESS: '2' }, cwd).shards).toEqual({ count: 8, ids: [4, 5, 6, 7], perProcess: 2 });
    expect(loadConfig({ ...pg, SHARD_COUNT: 'AUTO', SHARD_IDS: '0,2' }, cwd).shards).toEqual({ count: 'auto', ids: [0, 2], perProcess: null });
    expect(formatShardIds([0, 1, 2, 3, 5, 7, 8])).toBe('0-3,5,7-8');
  });

  it('shards: bad syntax, an empty range and an id beyond SHARD_COUNT are refused with one line naming the variable and the fix', () => {
    const one = (env: Record<string, string>) => {
      try {
        loadConfig({ DATABASE_URL: 'postgres://db/x', ...env }, cwd);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as ConfigError).problems).toHaveLength(1);
        return (e as ConfigError).problems[0];
      }
      throw new Error(`accepted ${JSON.stringify(env)}`);
    };
    for (const bad of ['0', '-2', 'two', '1.5', '70000']) expect(one({ SHARD_COUNT: bad })).toMatch(new RegExp(`^SHARD_COUNT must be auto \\(.*\\) or a whole number from 1 to 65536 \\(got "${bad.replace('.', '\\.')}"\\)$`));
    expect(one({ SHARD_IDS: '0-3,x' })).toBe('SHARD_IDS must be shard ids and ranges, e.g. 0-3 or 0,2 (unset: every shard); "x" is neither a shard id nor a range (got "0-3,x")');
    expect(one({ SHARD_IDS: '0,,1' })).toMatch(/^SHARD_IDS must be .*; has an empty item \(got "0,,1"\)$/);
    expect(one({ SHARD_IDS: '3-1' })).toMatch(/^SHARD_IDS must be .*; the range "3-1" is empty \(write the lower id first, e.g. 1-3\) \(got "3-1"\)$/);
    expect(one({ SHARDS_PER_PROCESS: '0' })).toMatch(/^SHARDS_PER_PROCESS must be a whole number from 1 to 65536 \(shards in each process .*\) \(got "0"\)$/);
    expect(one({ SHARD_COUNT: '4', SHARD_IDS: '2-5' })).toBe('SHARD_IDS names shard(s) 4, 5 but SHARD_COUNT=4, so ids run from 0 to 3: fix SHARD_IDS or set SHARD_COUNT to the total number of shards across all processes');
    // With auto the count is Discord's: checked at start.
    expect(() => planShards({ count: 'auto', ids: [0, 3], perProcess: null }, 2, { driver: 'postgres', url: 'postgres://db/x' })).toThrow(/^SHARD_IDS names shard\(s\) 3 but Discord recommends 2 \(SHARD_COUNT=auto\)/);
    expect(planShards({ count: 'auto', ids: null, perProcess: null }, 3, { driver: 'postgres', url: 'postgres://db/x' })).toEqual({ count: 3, ids: [0, 1, 2] });
  });

  it('shards on SQLite: one process only; SHARD_IDS short of all shards or SHARDS_PER_PROCESS splitting them point to PostgreSQL and db:copy', () => {
    expect(loadConfig({ SHARD_COUNT: '4' }, cwd).shards.count).toBe(4);
    expect(loadConfig({ SHARD_COUNT: '4', SHARDS_PER_PROCESS: '4' }, cwd).shards.perProcess).toBe(4);
    expect(() => loadConfig({ SHARD_COUNT: '4', SHARD_IDS: '0-1' }, cwd)).toThrow(
      /^Invalid configuration:\n {2}- SHARD_IDS=0-1 runs 2 of 4 shards, so the others run in another process; SQLite serves one process only: move to PostgreSQL \(npm run db:copy -- --from sqlite:PATH --to postgres:\/\/…, then DATABASE_URL=postgres:\/\/…\) or run every shard in this one process$/,
    );
    expect(() => loadConfig({ SHARD_COUNT: '4', SHARDS_PER_PROCESS: '2' }, cwd)).toThrow(/SHARDS_PER_PROCESS=2 splits 4 shards over 2 processes; SQLite serves one process only: move to PostgreSQL \(npm run db:copy/);
    expect(() => planShards({ count: 'auto', ids: null, perProcess: 1 }, 2, { driver: 'sqlite', path: '/x.sqlite' })).toThrow(/SHARDS_PER_PROCESS=1 splits 2 shards/);
  });
});
