import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionResult } from '@chronicle/discord-emulator';
import { DRIVERS } from '../helpers/databases';
import { newChannel, newMember, startHarness, startWorld, until, type Harness } from '../helpers/harness';

const discord = (id: string) => ({ channel: 'discord', channelUserId: id });
const buttons = (r: InteractionResult) => (r.components as { components: { custom_id: string }[] }[]).flatMap((row) => row.components.map((c) => c.custom_id));

describe.each(DRIVERS)('/privacy (bot owners) on $driver', ({ driver, skip }) => {
  let h: Harness;
  let channel: string;
  const owner = () => ({ userId: h.admin, channelId: channel, subcommand: 'forget' });

  beforeAll(async () => {
    if (skip) return;
    const world = await startWorld();
    h = await startHarness(driver, 'privacy', { world, env: { BOT_OWNER_IDS: world.admin } });
  });
  afterAll(async () => h?.dispose());
  // Every test: nothing Discord would refuse was sent.
  afterEach(async () => {
    if (skip) return;
    await until(
      () => h.bot.queue.depth,
      (d) => d === 0,
    );
    expect(h.emu.violations()).toEqual([]);
  });

  /** This test's people in a channel of its own: bob (nick Bobby) wrote twice, ada once. */
  async function people() {
    channel = newChannel(h, 'privacy');
    const ada = newMember(h, 'ada', { globalName: 'Ada Lovelace' });
    const bob = newMember(h, 'bob', { nick: 'Bobby' });
    for (const content of ['bob-1', 'bob-2']) h.emu.sendMessage({ channelId: channel, authorId: bob, content });
    h.emu.sendMessage({ channelId: channel, authorId: ada, content: 'ada-1' });
    await until(
      () => h.bot.db.messages.countMessages({ channelId: channel }),
      (n) => n === 3,
      5000,
      'three recorded messages',
    );
    return { ada, bob };
  }

  it.skipIf(skip)('refuses people who are not bot owners, server admins included; a logs row, nothing erased', async () => {
    const { ada, bob } = await people();
    // A server admin who is not a bot owner.
    const mod = newMember(h, 'mod', { admin: true });
    for (const userId of [ada, mod]) {
      const r = await h.emu.runCommand('privacy', { user_id: bob }, { userId, channelId: channel, subcommand: 'forget' });
      expect(r.ephemeral).toBe(true);
      expect(r.content).toBe('Sorry, `/privacy forget` is for bot owners (BOT_OWNER_IDS) only.');
      expect(r.components).toEqual([]);
    }
    const logs = await h.bot.db.logs.listLogs({ source: 'commands' });
    for (const userId of [ada, mod]) expect(logs.filter((l) => l.message.startsWith(`refused /privacy forget for user ${userId}:`))).toHaveLength(1);
    expect(await h.bot.db.users.getUserByChannel(discord(bob))).not.toBeNull();
  });

  it.skipIf(skip)('checks user_id: digits only, not the bot, and says when nothing is stored', async () => {
    channel = newChannel(h, 'privacy');
    const bad = await h.emu.runCommand('privacy', { user_id: 'bob' }, owner());
    expect(bad.content).toBe('That did not work: `user_id`: must be a Discord user id: 17–20 digits');
    const bot = await h.emu.runCommand('privacy', { user_id: h.bot.client.user!.id }, owner());
    expect(bot.content).toBe('That did not work: `user_id`: is this bot; its own records are not personal data');
    // Someone who is a member but never wrote (and a made-up id).
    const quiet = newMember(h, 'quiet');
    for (const id of [quiet, '123456789012345678']) {
      const unknown = await h.emu.runCommand('privacy', { user_id: id }, owner());
      expect(unknown.content).toBe(`Nothing is stored about user id \`${id}\`.`);
    }
  });

  it.skipIf(skip)('an owner erases someone after confirming; the click is owner-only too; others are untouched', async () => {
    const { ada, bob } = await people();
    await h.bot.queue.flush();
    const adaBefore = await h.bot.db.privacy.exportPerson(discord(ada));
    const offer = await h.emu.runCommand('privacy', { user_id: bob }, owner());
    expect(offer.ephemeral).toBe(true);
    expect(offer.content).toMatch(new RegExp(`^\\*\\*Erase what is stored about user id \`${bob}\`\\?\\*\\*\\n• User record: username \`bob\`, display name \`Bobby\``));
    expect(offer.content).toContain('• Messages: 2 (2 written by them, 0 replies from me)');
    const [confirm] = buttons(offer);

    const sneaky = await h.emu.clickButton({ interaction: offer, customId: confirm, userId: ada, channelId: channel });
    expect(sneaky.content).toBe('Sorry, `/privacy button` is for bot owners (BOT_OWNER_IDS) only.');
    expect(await h.bot.db.users.getUserByChannel(discord(bob))).not.toBeNull();

    const done = await h.emu.clickButton({ interaction: offer, customId: confirm, userId: h.admin, channelId: channel });
    expect(done.content).toBe(`Erased user id \`${bob}\`. Deleted 2 messages, 1 session, 0 tasks, the user record.`);
    expect(await h.bot.db.users.getUserByChannel(discord(bob))).toBeNull();
    expect((await h.bot.db.messages.listByChannel(channel)).filter((m) => m.content.startsWith('bob-'))).toEqual([]);
    const [log] = (await h.bot.db.logs.listLogs({ source: 'privacy' })).filter((l) => l.message.startsWith(`user ${bob} `));
    expect(log.message).toBe(`user ${bob} erased at the request of bot owner ${h.admin}: Deleted 2 messages, 1 session, 0 tasks, the user record.`);

    await h.bot.queue.flush();
    const adaAfter = await h.bot.db.privacy.exportPerson(discord(ada));
    expect(adaAfter.messages.filter((m) => m.role === 'user')).toEqual(adaBefore.messages.filter((m) => m.role === 'user'));
    expect(adaAfter.user).toEqual(adaBefore.user);
  });
});
