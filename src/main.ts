/**
 * npm start — runs Chronicle against Discord (or DISCORD_API_URL).
 * Exits non-zero with one line when it cannot start; SIGINT/SIGTERM stop it gracefully (exit 0),
 * also while it is still starting; a second signal exits at once.
 */
import 'reflect-metadata';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config';
import { startBot, StartupError, type Bot } from './bot/bot';

let bot: Bot | null = null;
let stopRequested = false;
let signals = 0;

async function shutdown(code: number): Promise<never> {
  try {
    await bot?.stop();
  } finally {
    process.exit(code);
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    signals++;
    if (signals > 1) process.exit(130);
    stopRequested = true;
    if (bot) {
      bot.logger.info({ signal: sig }, 'stopping: writing what was received, then closing');
      void shutdown(0);
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
      process.exit(1);
    }
    throw e;
  }
  if (!config.discord.token) {
    console.error('chronicle: DISCORD_TOKEN is not set: put the bot token in DISCORD_TOKEN (or .env). To try Chronicle without Discord, run npm run sandbox');
    process.exit(1);
  }
  try {
    bot = await startBot({ config, onFatal: () => void shutdown(1) });
  } catch (e) {
    console.error(`chronicle: ${e instanceof StartupError ? e.message : (e as Error).message}`);
    process.exit(1);
  }
  if (stopRequested) await shutdown(0);
}

void main();
