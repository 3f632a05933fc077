import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionResult } from '@chronicle/discord-emulator';
import { DRIVERS } from '../helpers/databases';
import { startHarness, startWorld, until, type Harness } from '../helpers/harness';

const discord = (id: string) => ({ channel: 'discord', channelUserId: id });
const buttons = (r: InteractionResult) => (r.components as { components: { custom_id: string }[] }[]).flatMap((row) => row.components.map((c) => c.custom_id));

describe.each(DRIVERS)('/privacy (bot owners) on $driver', ({ driver, skip }) => {
  let h: Harness;
  let mod: string;
  const owner = () => ({ userId: h.admin, channelId: h.general, subcommand: 'forget' });

  beforeAll(async () => {
    if (skip) return;
    const world = await startWorld();
    h = await startHarness(driver, 'privacy', { world, env: { BOT_OWNER_IDS: world.admin } });
    // A server admin who is not a bot owner.
    mod = h.emu.createUser({ username: 'mod' }).id;
    h.emu.addMember(h.guildId, mod, { admin: true });
    for (const content of ['bob-1', 'bob-2']) h.emu.sendMessage({ channelId: h.general, authorId: h.bob, content });
    h.emu.sendMessage({ channelId: h.general, authorId: h.ada, content: 'ada-1' });
    await until(
      () => h.bot.db.messages.countMessages(),
      (n) => n === 3,
      5000,
      'three recorded messages',
    );
  });
  afterAll(async () => h?.dispose());

  it.skipIf(skip)('refuses people who are not bot owners, server admins included; a logs row, nothing erased', async () => {
    for (const userId of [h.ada, mod]) {
      const r = await h.emu.runCommand('privacy', { user_id: h.bob }, { userId, channelId: h.general, subcommand: 'forget' });
      expect(r.ephemeral).toBe(true);
      expect(r.content).toBe('Sorry, `/privacy forget` is for bot owners (BOT_OWNER_IDS) only.');
      expect(r.components).toEqual([]);
    }
    const logs = await h.bot.db.logs.listLogs({ source: 'commands' });
    expect(logs.filter((l) => l.message.startsWith('refused /privacy forget'))).toHaveLength(2);
    expect(await h.bot.db.users.getUserByChannel(discord(h.bob))).not.toBeNull();
  });

  it.skipIf(skip)('checks user_id: digits only, not the bot, and says when nothing is stored', async () => {
    const bad = await h.emu.runCommand('privacy', { user_id: 'bob' }, owner());
    expect(bad.content).toBe('That did not work: `user_id`: must be a Discord user id: 17–20 digits');
    const bot = await h.emu.runCommand('privacy', { user_id: h.bot.client.user!.id }, owner());
    expect(bot.content).toBe('That did not work: `user_id`: is this bot; its own records are not personal data');
    const unknown = await h.emu.runCommand('privacy', { user_id: '123456789012345678' }, owner());
    expect(unknown.content).toBe('Nothing is stored about user id `123456789012345678`.');
  });

  it.skipIf(skip)('an owner erases someone after confirming; the click is owner-only too; others are untouched', async () => {
    await h.bot.queue.flush();
    const adaBefore = await h.bot.db.privacy.exportPerson(discord(h.ada));
    const offer = await h.emu.runCommand('privacy', { user_id: h.bob }, owner());
    expect(offer.ephemeral).toBe(true);
    expect(offer.content).toMatch(new RegExp(`^\\*\\*Erase what is stored about user id \`${h.bob}\`\\?\\*\\*\\n• User record: username \`bob\`, display name \`Bobby\``));
    expect(offer.content).toContain('• Messages: 2 (2 written by them, 0 replies from me)');
    const [confirm] = buttons(offer);

    const sneaky = await h.emu.clickButton({ interaction: offer, customId: confirm, userId: h.ada, channelId: h.general });
    expect(sneaky.content).toBe('Sorry, `/privacy button` is for bot owners (BOT_OWNER_IDS) only.');
    expect(await h.bot.db.users.getUserByChannel(discord(h.bob))).not.toBeNull();

    const done = await h.emu.clickButton({ interaction: offer, customId: confirm, userId: h.admin, channelId: h.general });
    expect(done.content).toBe(`Erased user id \`${h.bob}\`. Deleted 2 messages, 1 session, 0 tasks, the user record.`);
    expect(await h.bot.db.users.getUserByChannel(discord(h.bob))).toBeNull();
    expect((await h.bot.db.messages.listByChannel(h.general)).filter((m) => m.content.startsWith('bob-'))).toEqual([]);
    const [log] = await h.bot.db.logs.listLogs({ source: 'privacy' });
    expect(log.message).toBe(`user ${h.bob} erased at the request of bot owner ${h.admin}: Deleted 2 messages, 1 session, 0 tasks, the user record.`);

    await h.bot.queue.flush();
    const adaAfter = await h.bot.db.privacy.exportPerson(discord(h.ada));
    expect(adaAfter.messages.filter((m) => m.role === 'user')).toEqual(adaBefore.messages.filter((m) => m.role === 'user'));
    expect(adaAfter.user).toEqual(adaBefore.user);
  });

  it.skipIf(skip)('sent nothing Discord would refuse', async () => {
    await until(
      () => h.bot.queue.depth,
      (d) => d === 0,
    );
    expect(h.emu.violations()).toEqual([]);
  });
});
