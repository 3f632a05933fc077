import { REST, Routes, type APIApplicationCommand } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { diffCommands } from '../../src/commands/deploy';
import { commandBodies, COMMANDS } from '../../src/commands/registry';
import { neededPermissions, permissionNames } from '../../src/bot/invite';
import { DRIVERS } from '../helpers/databases';
import { startHarness, type Harness } from '../helpers/harness';

/** What an operator sees at the first start against Discord: the invite link and whether the slash commands are current. */
describe.each(DRIVERS)('first contact ($driver)', ({ driver, skip }) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });
  const rest = (world: Harness) => new REST({ api: world.emu.apiUrl }).setToken(world.emu.token);

  it.skipIf(skip)('at ready: an invite link with the bot and commands scopes and exactly the permissions the bot uses', async () => {
    h = await startHarness(driver, 'invite');
    const [line] = h.logs.find(/^invite link/);
    expect(line).toBeDefined();
    const url = new URL(String(line.invite));
    expect(url.origin + url.pathname).toBe('https://discord.com/oauth2/authorize');
    expect(url.searchParams.get('client_id')).toBe(h.bot.client.application!.id);
    expect(url.searchParams.get('scope')).toBe('bot applications.commands');
    // View Channel 1024 + Send Messages 2048 + Attach Files 32768 + Read Message History 65536.
    expect(url.searchParams.get('permissions')).toBe(String(1024 + 2048 + 32768 + 65536));
    expect(line.permissions).toEqual(['View Channel', 'Send Messages', 'Attach Files', 'Read Message History']);
    expect(String(line.msg)).toContain(url.toString());
  });

  it.skipIf(skip)('stale slash commands: says which, and what to run; up to date once deployed', async () => {
    // Nothing registered yet (the harness deploys after the bot is up).
    h = await startHarness(driver, 'stale', { env: { DISCORD_GUILD_ID: '' } });
    const [first] = h.logs.find(/^slash commands are stale/);
    expect(String(first.msg)).toMatch(/^slash commands are stale \(global; not registered: \/ping \/status .*\): run npm run deploy-commands, or set COMMANDS_AUTO_DEPLOY=guild\|global$/);

    // Registered globally, but one changed and one removed since.
    const appId = h.bot.client.application!.id;
    const bodies = commandBodies().map((b) => (b.name === 'ping' ? { ...b, description: 'an older description' } : b));
    await rest(h).put(Routes.applicationCommands(appId), { body: [...bodies, { name: 'old', description: 'gone from the code' }] });
    h.logs.lines.length = 0;
    await h.restart();
    const [second] = h.logs.find(/^slash commands are stale/);
    expect(second).toMatchObject({ level: 40, scope: 'global', missing: [], changed: ['ping'], extra: ['old'] });

    await rest(h).put(Routes.applicationCommands(appId), { body: commandBodies() });
    h.logs.lines.length = 0;
    await h.restart();
    expect(h.logs.find(/^slash commands are stale/)).toEqual([]);
    expect(h.logs.find(/^slash commands up to date \(global\)$/)).toHaveLength(1);
  });

  it.skipIf(skip)('COMMANDS_AUTO_DEPLOY=guild registers stale commands in DISCORD_GUILD_ID at start', async () => {
    h = await startHarness(driver, 'autodeploy');
    h.logs.lines.length = 0;
    const appId = h.bot.client.application!.id;
    await rest(h).put(Routes.applicationGuildCommands(appId, h.guildId), { body: [] });
    h.env.DISCORD_GUILD_ID = h.guildId;
    h.env.COMMANDS_AUTO_DEPLOY = 'guild';
    await h.restart();
    expect(h.logs.find(/^slash commands registered \(guild \d+; they were stale: not registered: \/ping/)).toHaveLength(1);
    const registered = (await rest(h).get(Routes.applicationGuildCommands(appId, h.guildId))) as APIApplicationCommand[];
    expect(diffCommands(commandBodies(), registered, 'guild').stale).toBe(false);
    expect(registered.map((c) => c.name).sort()).toEqual(COMMANDS.map((c) => c.data.name).sort());
  });
});

describe('the comparison', () => {
  const registered = (bodies: ReturnType<typeof commandBodies>): APIApplicationCommand[] =>
    bodies.map(
      (b, i) =>
        ({
          ...b,
          id: String(i),
          application_id: '1',
          version: '1',
          type: 1,
          default_member_permissions: b.default_member_permissions ?? null,
          dm_permission: true,
          nsfw: false,
          integration_types: b.integration_types ?? [0],
          contexts: b.contexts ?? null,
        }) as unknown as APIApplicationCommand,
    );

  it('Discord defaults are not drift; a removed option or a changed choice is', () => {
    expect(diffCommands(commandBodies(), registered(commandBodies()), 'global').stale).toBe(false);
    const withoutOption = commandBodies().map((b) => (b.name === 'stats' ? { ...b, options: b.options!.slice(1) } : b));
    expect(diffCommands(commandBodies(), registered(withoutOption), 'global').changed).toEqual(['stats']);
    const extraOption = commandBodies().map((b) => (b.name === 'ping' ? { ...b, options: [{ type: 3, name: 'x', description: 'x' }] } : b));
    expect(diffCommands(commandBodies(), registered(extraOption as never), 'global').changed).toEqual(['ping']);
  });

  it('the permissions follow the code: without commands that post files, no Attach Files', () => {
    expect(permissionNames(neededPermissions([]))).toEqual(['View Channel', 'Send Messages', 'Read Message History']);
  });
});
