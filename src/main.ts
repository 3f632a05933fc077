/**
 * npm start (the build, dist/src/main.js) / npm run dev (tsx) — runs Chronicle against Discord (or
 * DISCORD_API_URL). Exits with one line when it cannot start: 78 when restarting cannot help (bad
 * configuration, refused token or intents, pending migrations under MIGRATIONS=check), else 1.
 * SIGINT/SIGTERM stop it gracefully (exit 0), also while it is still starting; a second signal
 * exits at once (130). Exit codes: src/exit-codes.ts.
 *
 * With SHARDS_PER_PROCESS below the shards to run, it is a launcher instead: it forks one child
 * (this entry point) per slice of SHARD_IDS and supervises them (src/bot/launcher.ts).
 */
import 'reflect-metadata';
import { ConfigError, loadConfig, loadDotEnv, planShards, type Config } from './config';
import { startBot, StartupError, type Bot } from './bot/bot';
import { fetchGatewayInfo, GatewayTokenError } from './bot/gateway-info';
import { LAUNCHED_ENV, runLauncher } from './bot/launcher';
import { createLogger } from './logger';
import { EXIT } from './exit-codes';

let bot: Bot | null = null;
let stopRequested = false;
let signals = 0;
/** A launcher: its children get the signals (runLauncher listens). */
let launching = false;

async function shutdown(code: number): Promise<never> {
  try {
    await bot?.stop();
  } finally {
    process.exit(code);
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (launching) return;
    signals++;
    if (signals > 1) process.exit(EXIT.INTERRUPTED);
    stopRequested = true;
    if (bot) {
      bot.logger.info({ signal: sig }, 'stopping: writing what was received, then closing');
      void shutdown(EXIT.OK);
    }
    // Still starting: main() stops as soon as the bot is up.
  });
}

async function main(): Promise<void> {
  loadDotEnv();
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) console.error(`chronicle: ${p}`);
      process.exit(EXIT.CONFIG);
    }
    throw e;
  }
  if (!config.discord.token) {
    console.error('chronicle: DISCORD_TOKEN is not set: put the bot token in DISCORD_TOKEN (or .env). To try Chronicle without Discord, run npm run sandbox');
    process.exit(EXIT.CONFIG);
  }
  if (config.shards.perProcess !== null && !process.env[LAUNCHED_ENV]) {
    const code = await launch(config, config.discord.token, config.shards.perProcess);
    if (code !== null) process.exit(code);
  }
  try {
    // The gateway closed for good after start (token revoked, intents removed): not retryable.
    bot = await startBot({ config, onFatal: () => void shutdown(EXIT.CONFIG) });
  } catch (e) {
    console.error(`chronicle: ${(e as Error).message}`);
    process.exit(e instanceof StartupError && !e.retryable ? EXIT.CONFIG : EXIT.FAILURE);
  }
  if (stopRequested) await shutdown(EXIT.OK);
}

/**
 * SHARDS_PER_PROCESS: when this process's shards are more than that, forks the children and
 * resolves with the launcher's exit code once they are gone; null when one process is enough.
 */
async function launch(config: Config, token: string, perProcess: number): Promise<number | null> {
  let count: number;
  if (config.shards.count === 'auto') {
    try {
      count = (await fetchGatewayInfo(token, config.discord.apiUrl)).shards;
    } catch (e) {
      const tokenRefused = e instanceof GatewayTokenError;
      console.error(
        `chronicle: ${tokenRefused ? "Discord refused the token (GET /gateway/bot: 401): set DISCORD_TOKEN to the token on your application's Bot page in the developer portal" : `could not reach Discord (GET /gateway/bot: ${(e as Error).message}); check DISCORD_API_URL and the network`}`,
      );
      return tokenRefused ? EXIT.CONFIG : EXIT.FAILURE;
    }
  } else count = config.shards.count;
  let plan;
  try {
    plan = planShards(config.shards, count, config.database);
  } catch (e) {
    console.error(`chronicle: ${(e as Error).message}`);
    return EXIT.CONFIG;
  }
  if (plan.ids.length <= perProcess) return null;
  if (stopRequested) return EXIT.OK;
  launching = true;
  const log = createLogger({ level: config.logLevel, format: config.logFormat, secrets: [token] });
  const code = await runLauncher({ plan, perProcess, logger: log.logger });
  await log.flush();
  return code;
}

void main();
