/**
 * npm start (the build, dist/src/main.js) / npm run dev (tsx) — runs Chronicle against Discord (or
 * DISCORD_API_URL). Exits with one line when it cannot start: 78 when restarting cannot help (bad
 * configuration, refused token or intents, pending migrations under MIGRATIONS=check), else 1.
 * SIGINT/SIGTERM stop it gracefully (exit 0), also while it is still starting; a second signal
 * exits at once (130). Exit codes: src/exit-codes.ts.
 */
import 'reflect-metadata';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config';
import { startBot, StartupError, type Bot } from './bot/bot';
import { EXIT } from './exit-codes';

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
  try {
    // The gateway closed for good after start (token revoked, intents removed): not retryable.
    bot = await startBot({ config, onFatal: () => void shutdown(EXIT.CONFIG) });
  } catch (e) {
    console.error(`chronicle: ${(e as Error).message}`);
    process.exit(e instanceof StartupError && !e.retryable ? EXIT.CONFIG : EXIT.FAILURE);
  }
  if (stopRequested) await shutdown(EXIT.OK);
}

void main();
