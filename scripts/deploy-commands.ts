/**
 * npm run deploy-commands — registers the slash commands: globally, or in DISCORD_GUILD_ID.
 * Needs DISCORD_TOKEN; DISCORD_APPLICATION_ID is asked from the API when unset.
 */
import { ConfigError, loadConfig, loadDotEnv } from '../src/config';
import { deployCommands } from '../src/commands/deploy';

async function main() {
  loadDotEnv();
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) for (const p of e.problems) console.error(`deploy-commands: ${p}`);
    process.exit(1);
  }
  if (!config.discord.token) {
    console.error('deploy-commands: DISCORD_TOKEN is not set: put the bot token in DISCORD_TOKEN (or .env)');
    process.exit(1);
  }
  const res = await deployCommands({ token: config.discord.token, apiUrl: config.discord.apiUrl, applicationId: config.discord.applicationId, guildId: config.discord.guildId });
  console.log(`deploy-commands: ${res.commands.length} command(s) registered (${res.scope}, application ${res.applicationId}): ${res.commands.map((c) => `/${c.name}`).join(' ')}`);
}

main().catch((e: Error & { status?: number }) => {
  console.error(`deploy-commands failed: ${e.status === 401 ? 'Discord refused the token (401): check DISCORD_TOKEN' : e.message}`);
  process.exit(1);
});
