import path from 'node:path';
import { Events, GatewayCloseCodes, type Client } from 'discord.js';
import type { Config } from '../config';
import { describeDatabase, formatShardIds, planShards, type ShardPlan } from '../config';
import { ChangeFeed } from '../database/change-feed';
import { SQLITE_BUSY_TIMEOUT_MS } from '../database/data-source';
import { ConnectError, Database } from '../database/database';
import { createLogger, type ChronicleLogger, type Logger } from '../logger';
import { createClient } from './client';
import { fetchGatewayInfo, GatewayTokenError, sessionStartsLow, type GatewayInfo } from './gateway-info';
import { IdentifyThrottler } from './identify-throttler';
import { pgBucketLocks } from '../database/identify-lock';
import { CommandRouter } from '../commands/router';
import { COMMANDS } from '../commands/registry';
import { commandDrift, deployCommands } from '../commands/deploy';
import { inviteUrl, neededPermissions, permissionNames } from './invite';
import type { CommandServices } from '../commands/types';
import { startHealth } from './health';
import { PresenceSync } from './presence';
import { appVersion } from '../version';
import { backfill } from '../recording/backfill';
import { reconcile } from '../recording/reconcile';
import { AttachmentDownloader, type DownloaderOptions } from '../recording/attachments/downloader';
import { MessageRetention, type RetentionOptions } from '../recording/retention';
import { Recorder } from '../recording/recorder';
import { Recording } from '../recording/recording';
import { RecordingStore } from '../recording/recording.store';
import { WriteQueue, type WriteQueueOptions } from '../recording/write-queue';
import { startAssistant, type AssistantOptions, type LogRetention, type Scheduler, type TaskRunner } from '../assistant';
import type { SkillRegistry } from '../skills';

/**
 * A start-up failure: printed as one line, no stack trace. `retryable: false` means a start would
 * fail the same way until the operator changes something (main exits 78 then, else 1).
 */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

const FATAL_CLOSE: Record<number, string> = {
  [GatewayCloseCodes.AuthenticationFailed]: "Discord refused the token (gateway close 4004): set DISCORD_TOKEN to the token on your application's Bot page in the developer portal",
  [GatewayCloseCodes.DisallowedIntents]:
    'Discord refused the intents (gateway close 4014): switch on "Message Content Intent" (and "Server Members Intent" when MEMBERS_INTENT is on) under Bot → Privileged Gateway Intents in the developer portal (or verify the bot for it)',
  [GatewayCloseCodes.InvalidIntents]: 'Discord refused the intents (gateway close 4013: invalid intents)',
  [GatewayCloseCodes.ShardingRequired]: 'Discord requires more shards for this bot (gateway close 4011: too many servers per shard): set SHARD_COUNT=auto (the count Discord recommends) or a higher SHARD_COUNT, on every process of the bot',
  [GatewayCloseCodes.InvalidShard]: 'Discord refused the shard (gateway close 4010: invalid shard): SHARD_IDS must be below SHARD_COUNT, and SHARD_COUNT the same on every process of the bot',
  [GatewayCloseCodes.InvalidAPIVersion]: 'Discord refused the API version (gateway close 4012)',
};

export interface BotOptions {
  config: Config;
  /** The process's logger; one is made from config when absent. */
  log?: ChronicleLogger;
  /** Overrides for tests and benchmarks. */
  sessionIdleMs?: number;
  presenceRefreshMs?: number;
  /** How often `{variables}` in the live presence are looked at (default a minute). Discord's limit on updates is never configurable. */
  presenceVariablesMs?: number;
  queue?: Partial<Omit<WriteQueueOptions, 'logger'>>;
  /** Download queue overrides (concurrency, attempts, backoff). */
  attachments?: Partial<DownloaderOptions>;
  /** Tests: retention's batch size, pause and timing. */
  retention?: Partial<Omit<RetentionOptions, 'days' | 'sessionIdleMs'>>;
  readyTimeoutMs?: number;
  /** The longest stop() takes (default SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs?: number;
  /** Called when the gateway closes for good after start (token revoked, intents removed): not retryable. */
  onFatal?: (message: string) => void;
  /** Extra skills (tests) and task runner / scheduler overrides. */
  skills?: AssistantOptions['skills'];
  taskRunner?: AssistantOptions['taskRunner'];
  scheduler?: AssistantOptions['scheduler'];
}

export interface Bot {
  client: Client;
  db: Database;
  log: ChronicleLogger;
  logger: Logger;
  recorder: Recorder;
  queue: WriteQueue;
  store: RecordingStore;
  /** Downloads the files of recorded attachments into the attachment store. */
  attachments: AttachmentDownloader;
  /** The recording pipeline as commands use it. */
  recording: Recording;
  presence: PresenceSync;
  feed: ChangeFeed;
  commands: CommandRouter;
  /** The skills this process runs (synced into `skills` at start). */
  skills: SkillRegistry;
  /** Runs tasks (`/run`, schedules, follow-ups such as reminders). */
  tasks: TaskRunner;
  /** Runs enabled schedules (claimed in the database: once per run across processes). */
  scheduler: Scheduler;
  /** Purges `logs` rows older than LOG_RETENTION_DAYS, at start and daily. */
  logRetention: LogRetention;
  /** Purges messages older than RETENTION_DAYS or their channel's rule, daily (claimed: once across processes). */
  retention: MessageRetention;
  /** The health and metrics listener (METRICS_PORT), or null. */
  health: { url: string } | null;
  /** The shards this process runs, of how many. */
  shards: ShardPlan;
  /** Paces this process's IDENTIFYs (across processes through the database on PostgreSQL). */
  identifyThrottler: IdentifyThrottler;
  /** Stops taking events, writes everything received, closes the gateway and the database. */
  stop(): Promise<void>;
}

/** Opens the database, applies (or checks) migrations, connects to Discord and starts recording. */
export async function startBot(opts: BotOptions): Promise<Bot> {
  const { config } = opts;
  const token = config.discord.token;
  if (!token) throw new StartupError('DISCORD_TOKEN is not set: put the bot token in DISCORD_TOKEN (or .env). To try Chronicle without Discord, run npm run sandbox', false);
  const log = opts.log ?? createLogger({ level: config.logLevel, format: config.logFormat, dbLevel: config.logDbLevel, secrets: [token, passwordOf(config)] });
  const logger = log.logger.child({ source: 'bot' });

  const shutdownTimeoutMs = opts.shutdownTimeoutMs ?? config.shutdownTimeoutMs;
  // A SQLite statement waiting for a lock cannot be cut short (process.exit waits for it too): no
  // wait may outlast the part of a stop left after the queue gives up.
  const sqliteBusyTimeoutMs = Math.min(SQLITE_BUSY_TIMEOUT_MS, shutdownTimeoutMs / 2);
  const db = await Database.open(config.database, { logger: log.logger.child({ source: 'database' }), sqliteBusyTimeoutMs }).catch((e: Error) => {
    throw new StartupError(e.message, e instanceof ConnectError ? e.retryable : true);
  });
  // What has started, undone in reverse if a later step fails.
  const undo: (() => Promise<unknown> | unknown)[] = [() => db.close()];
  try {
    const pending = await db.pendingMigrations();
    if (pending.length) {
      if (config.migrations !== 'auto') {
        throw new StartupError(`the database has ${pending.length} pending migration(s): ${pending.join(', ')}. Run npm run migration:run (deploy step), or set MIGRATIONS=auto to apply them at start`, false);
      }
      await db.migrate();
      logger.info({ migrations: pending }, `applied ${pending.length} migration(s)`);
    }
    log.attachDatabase(db.logs);

    const store = new RecordingStore(db, { idleMs: opts.sessionIdleMs ?? config.sessionIdleMinutes * 60_000 });
    const spillFile = path.join(config.dataDir, 'recorder-spill.jsonl');
    const queue = new WriteQueue(store, {
      maxBatch: config.recorder.batchSize,
      flushMs: config.recorder.flushMs,
      maxQueue: config.recorder.maxQueue,
      maxBytes: config.recorder.maxQueueBytes,
      spillFile,
      journal: { dir: path.join(config.dataDir, 'recorder-journal'), syncMs: config.journal.syncMs, on: config.journal.on },
      ...opts.queue,
      // Like the presence sync and the backfill, the queue and the recorder name their source in
      // each line (a child logger with it would write the key twice).
      logger: log.logger,
    });
    undo.push(() => queue.close());
    // Files are fetched after their message is committed, off the recorder's path.
    const attachments = new AttachmentDownloader(db.attachments, log.logger, { ...config.attachments, ...opts.attachments });
    store.onAttachments = () => attachments.kick();
    store.releaseFiles = (files) => attachments.release(files);
    await attachments.start().catch((e: Error) => {
      throw new StartupError(e.message, false);
    });
    undo.push(() => attachments.stop());
    // The shards: Discord's recommendation (SHARD_COUNT=auto) and the day's session starts come from
    // GET /gateway/bot; the client gets its shards explicitly.
    const gateway = await fetchGatewayInfo(token, config.discord.apiUrl).catch((e: Error) => {
      if (e instanceof GatewayTokenError) throw new StartupError(FATAL_CLOSE[GatewayCloseCodes.AuthenticationFailed], false);
      throw new StartupError(`could not reach Discord (GET /gateway/bot: ${e.message}); check DISCORD_API_URL and the network`, true);
    });
    let shards: ShardPlan;
    try {
      shards = planShards(config.shards, config.shards.count === 'auto' ? gateway.shards : config.shards.count, config.database);
    } catch (e) {
      throw new StartupError((e as Error).message, false);
    }
    logGateway(logger, gateway, shards, config.shards.count === 'auto' && config.shards.ids !== null);
    const identifyThrottler = new IdentifyThrottler({
      maxConcurrency: gateway.sessionStartLimit.maxConcurrency,
      locks: config.database.driver === 'postgres' ? pgBucketLocks(db.dataSource) : null,
      logger: log.logger,
    });
    undo.push(() => identifyThrottler.close());
    const client = createClient({ apiUrl: config.discord.apiUrl, membersIntent: config.membersIntent, shards, buildIdentifyThrottler: () => identifyThrottler });
    undo.push(() => client.destroy());
    const recorder = new Recorder(client, queue, log.logger, config);
    const feed = new ChangeFeed(db, { pollMs: config.sqlitePollMs, logger: log.logger.child({ source: 'change-feed' }) });
    const presence = new PresenceSync(client, db.botStatus, db.presenceValues, feed, log.logger, {
      refreshMs: opts.presenceRefreshMs ?? config.presenceRefreshMinutes * 60_000,
      variablesMs: opts.presenceVariablesMs,
      version: appVersion(),
      startedAt: Date.now(),
    });
    // Up before the gateway: /healthz answers and /readyz says why not while the bot starts.
    const health = await startHealth({ client, db, queue, spillFile, logger: log.logger, presenceUpdates: () => presence.current().updatesSent }, config.metrics);
    if (health) undo.push(() => health.stop());

    // Live events wait while history is read at start: backfill and reconcile go first.
    const readHistory = config.backfillMaxMessages > 0 || config.reconcileMessages > 0;
    if (readHistory) recorder.hold();
    recorder.start();
    undo.push(() => recorder.stop());
    await feed.start();
    undo.push(() => feed.stop());
    // Every shard of the bot may have to wait its bucket's turn (here or in another process).
    await login(client, token, opts.readyTimeoutMs ?? 60_000 + 5_500 * Math.ceil(shards.count / gateway.sessionStartLimit.maxConcurrency));
    const onDisk = queue.takeRecoveredIds();
    if (readHistory) {
      // What was said while the bot was away goes in first, then the edits and deletes made
      // meanwhile; live events held meanwhile follow.
      if (config.backfillMaxMessages > 0) await backfill(client, db.messages, recorder, log.logger, config.backfillMaxMessages, onDisk).catch((e: Error) => logger.warn({ err: e.message }, 'backfill failed; recording live messages only'));
      if (config.reconcileMessages > 0)
        await reconcile(client, db.messages, recorder, log.logger, config.reconcileMessages, onDisk).catch((e: Error) => logger.warn({ err: e.message }, 'reconcile failed; edits and deletes made while the bot was away are not recorded'));
      recorder.release();
    }
    presence.start();
    undo.push(() => presence.stop());
    client.on(Events.ShardDisconnect, (ev) => {
      const why = FATAL_CLOSE[ev.code];
      if (why) {
        logger.fatal({ code: ev.code }, why);
        opts.onFatal?.(why);
      }
    });
    client.on(Events.Error, (e) => logger.error({ err: e.message }, 'discord client error'));

    // Skills, the task runner, the scheduler and log retention.
    const assistant = await startAssistant({ db, client, feed, logger: log.logger, config }, { skills: opts.skills, taskRunner: opts.taskRunner, scheduler: opts.scheduler });
    undo.push(() => assistant.stop());
    const recording = new Recording(queue, recorder, store);
    const retention = new MessageRetention(db.retention, log.logger, { days: config.retentionDays, sessionIdleMs: store.idleMs, ...opts.retention });
    retention.releaseFiles = (files) => attachments.release(files);
    retention.parents = (ids) => db.channels.parentsOf(ids);
    retention.start();
    undo.push(() => retention.stop());
    const services: CommandServices = {
      db,
      config,
      recording,
      gateway: {
        ping: () => client.ws.ping,
        botUserId: () => client.user!.id,
        presence: () => client.user?.presence ?? null,
        livePresence: () => presence.current(),
      },
      skills: assistant.skills,
      tasks: assistant.tasks,
      scheduler: assistant.scheduler,
      retention,
      log,
    };
    const commands = new CommandRouter(client, services, COMMANDS);
    if (health) commands.onOutcome = (label, outcome, ms) => health.metrics.command(label, outcome, ms);
    commands.start();

    let stopping: Promise<void> | null = null;
    const stop = () =>
      (stopping ??= (async () => {
        // SHUTDOWN_TIMEOUT_MS bounds the whole stop: every step gets what is left of it, and no
        // step that waits on the database can hold it up. The queue's close keeps what it could
        // not write in the spill file before it returns, with time reserved for the steps after
        // (on SQLite, for a statement still waiting out its busy timeout).
        const deadline = Date.now() + shutdownTimeoutMs;
        const reserve = config.database.driver === 'sqlite' ? sqliteBusyTimeoutMs : Math.min(1_500, shutdownTimeoutMs / 4);
        const unfinished: string[] = [];
        const step = async (what: string, p: Promise<unknown> | unknown, until = deadline) => {
          if (!(await within(Promise.resolve(p), until - Date.now()))) unfinished.push(what);
        };
        commands.stop();
        recorder.stop();
        await step('presence', presence.stop(), deadline - reserve);
        await step('assistant', assistant.stop(), deadline - reserve);
        await step('retention', retention.stop(), deadline - reserve);
        await step('attachments', attachments.stop(), deadline - reserve);
        await queue.close(deadline - reserve - Date.now());
        await step('gateway', client.destroy());
        await step('identify locks', identifyThrottler.close());
        await step('change feed', feed.stop());
        logger.info({ recorded: queue.stats.written, lost: queue.stats.lost, keptOnDisk: queue.depth, ...(unfinished.length && { unfinished }) }, 'Chronicle stopped');
        await step(
          'log rows',
          log.flush().then(() => log.close()),
        );
        await step('health', health?.stop());
        await step('database', db.close());
      })());
    // Commands are the bot's, not a shard's: compared (and deployed) once, by the process with shard 0.
    if (shards.ids.includes(0)) await checkCommands(config, token, client.application!.id, logger);
    logger.info({ user: client.user?.tag, database: describeDatabase(config.database), guilds: client.guilds.cache.size, shards: formatShardIds(shards.ids), shardCount: shards.count }, 'Chronicle is ready');
    const permissions = neededPermissions(COMMANDS);
    logger.info(
      { invite: inviteUrl(client.application!.id, permissions), permissions: permissionNames(permissions) },
      `invite link (adds the bot with its slash commands and the permissions it uses): ${inviteUrl(client.application!.id, permissions)}`,
    );
    return {
      client,
      db,
      log,
      logger,
      recorder,
      queue,
      store,
      attachments,
      recording,
      presence,
      feed,
      commands,
      skills: assistant.skills,
      tasks: assistant.tasks,
      scheduler: assistant.scheduler,
      logRetention: assistant.logRetention,
      retention,
      health: health && { url: health.url },
      shards,
      identifyThrottler,
      stop,
    };
  } catch (e) {
    for (const step of undo.reverse())
      await Promise.resolve()
        .then(step)
        .catch(() => undefined);
    throw e;
  }
}

/** The start's gateway line: shards and session starts left (a warning when few are). */
function logGateway(logger: Logger, info: GatewayInfo, shards: ShardPlan, autoWithIds: boolean): void {
  const { total, remaining, resetAfter, maxConcurrency } = info.sessionStartLimit;
  const fields = { shardCount: shards.count, shards: formatShardIds(shards.ids), recommended: info.shards, sessionStarts: { remaining, total, resetAfterMs: resetAfter }, maxConcurrency };
  logger.info(fields, `gateway: ${shards.count} shard(s), session starts left ${remaining}/${total} (this process: shard(s) ${formatShardIds(shards.ids)}; identify ${maxConcurrency} per 5 s)`);
  if (sessionStartsLow(info, shards.count))
    logger.warn(
      fields,
      `only ${remaining} of ${total} session starts left today (renewed in ${Math.ceil(resetAfter / 3_600_000)} h): every shard's IDENTIFY takes one, and when none are left Discord resets the bot's token; avoid restart loops until then`,
    );
  if (autoWithIds) logger.warn(fields, "SHARD_IDS with SHARD_COUNT=auto: Discord's recommendation changes as the bot grows, and processes that start at different times could disagree; set SHARD_COUNT to a number on every process");
}

/**
 * Says when the slash commands registered with Discord differ from the code's (a deploy forgot
 * `npm run deploy-commands`), and registers them when COMMANDS_AUTO_DEPLOY asks for it. The scope
 * checked is the one deploy-commands uses: DISCORD_GUILD_ID when set, else global. Never fatal.
 */
async function checkCommands(config: Config, token: string, applicationId: string, logger: Logger): Promise<void> {
  const auto = config.commandsAutoDeploy;
  const guildId = auto === 'global' ? undefined : config.discord.guildId;
  const where = { token, apiUrl: config.discord.apiUrl, applicationId, guildId };
  try {
    const drift = await commandDrift(where);
    if (!drift.stale) return logger.info({ scope: drift.scope }, `slash commands up to date (${drift.scope})`);
    const what = [
      drift.missing.length && `not registered: ${drift.missing.map((n) => `/${n}`).join(' ')}`,
      drift.changed.length && `changed: ${drift.changed.map((n) => `/${n}`).join(' ')}`,
      drift.extra.length && `no longer in the code: ${drift.extra.map((n) => `/${n}`).join(' ')}`,
    ]
      .filter(Boolean)
      .join('; ');
    if (auto === 'off')
      return logger.warn(
        { scope: drift.scope, missing: drift.missing, changed: drift.changed, extra: drift.extra },
        `slash commands are stale (${drift.scope}; ${what}): run npm run deploy-commands, or set COMMANDS_AUTO_DEPLOY=guild|global`,
      );
    const res = await deployCommands(where);
    logger.info({ scope: res.scope, commands: res.commands.length }, `slash commands registered (${res.scope}; they were stale: ${what})`);
  } catch (e) {
    logger.warn({ err: (e as Error).message }, 'could not compare the registered slash commands with the code');
  }
}

/** Logs in and waits for ready; a fatal gateway close or a refused token becomes a non-retryable StartupError. */
async function login(client: Client, token: string, timeoutMs: number): Promise<void> {
  let onDisconnect!: (ev: { code: number }) => void;
  let timer: NodeJS.Timeout | undefined;
  const fatal = new Promise<never>((_, reject) => {
    onDisconnect = (ev) => {
      const why = FATAL_CLOSE[ev.code];
      if (why) reject(new StartupError(why, false));
    };
    client.on(Events.ShardDisconnect, onDisconnect);
    timer = setTimeout(() => reject(new StartupError(`Discord did not report ready within ${Math.round(timeoutMs / 1000)} s; check DISCORD_API_URL and the network`, true)), timeoutMs);
  });
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  try {
    await Promise.race([client.login(token).then(() => ready), fatal]);
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err instanceof StartupError) throw err;
    if (err.code === 'TokenInvalid') throw new StartupError(FATAL_CLOSE[GatewayCloseCodes.AuthenticationFailed], false);
    if (err.code === 'DisallowedIntents') throw new StartupError(FATAL_CLOSE[GatewayCloseCodes.DisallowedIntents], false);
    throw new StartupError(`could not connect to Discord: ${err.message}`, true);
  } finally {
    clearTimeout(timer);
    client.off(Events.ShardDisconnect, onDisconnect);
  }
}

/** Whether `p` settled within `ms` (a rejection counts as settled: the step is over). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = p.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, ms))))]);
  } finally {
    clearTimeout(timer);
  }
}

function passwordOf(config: Config): string | undefined {
  if (config.database.driver !== 'postgres') return undefined;
  try {
    return decodeURIComponent(new URL(config.database.url).password) || undefined;
  } catch {
    return undefined;
  }
}
