/**
 * npm start — runs Chronicle against Discord (or DISCORD_API_URL).
 * Exits non-zero with one line when it cannot start; SIGINT/SIGTERM stop it gracefully (exit 0),
 * a second signal exits at once.
 */
import 'reflect-metadata';
import { ConfigError, loadConfig, loadDotEnv } from './config';
import { startBot, StartupError } from './bot/bot';

async function main(): Promise<void> {
  loadDotEnv();
  let config;
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
  let bot;
  try {
    bot = await startBot({ config, onFatal: () => void shutdown(1) });
  } catch (e) {
    console.error(`chronicle: ${e instanceof StartupError ? e.message : (e as Error).message}`);
    process.exit(1);
  }
  let signals = 0;
  const shutdown = async (code = 0) => {
    try {
      await bot.stop();
    } finally {
      process.exit(code);
    }
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      signals++;
      if (signals > 1) process.exit(130);
      bot.logger.info({ signal: sig }, 'stopping: writing what was received, then closing');
      void shutdown(0);
    });
  }
}

void main();
