import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionResult } from '@chronicle/discord-emulator';
import { DRIVERS } from '../helpers/databases';
import { startHarness, until, type Harness } from '../helpers/harness';

const discord = (id: string) => ({ channel: 'discord', channelUserId: id });

/**
 * A reply to a person with no record (who never wrote, or was erased) is not recorded: asking
 * what is stored, or any other command, must not store them again.
 */
describe.each(DRIVERS)('replies to people with no record on $driver', ({ driver, skip }) => {
  let h: Harness;

  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'unrecorded');
  });
  afterAll(async () => h?.dispose());

  /** Runs a command and waits until its reply (ephemeral or echoed) reached the recorder and was written. */
  async function run(name: string, userId: string, subcommand?: string): Promise<InteractionResult> {
    const before = h.bot.queue.stats.received;
    const r = await h.emu.runCommand(name, {}, { userId, channelId: h.general, subcommand });
    await until(
      () => h.bot.queue.stats.received,
      (n) => n > before,
      5000,
      `the reply to /${name} received by the recorder`,
    );
    await h.bot.recording.settled();
    return r;
  }

  async function stored(userId: string) {
    const user = await h.bot.db.users.getUserByChannel(discord(userId));
    return { user, sessions: user ? (await h.bot.db.sessions.listSessionsForUser(user.id)).length : 0 };
  }

  it.skipIf(skip)('someone who never wrote: ephemeral and public replies leave no user, session or message', async () => {
    const dee = h.emu.createUser({ username: 'dee' }).id;
    h.emu.addMember(h.guildId, dee);
    const messages = await h.bot.db.messages.countMessages();
    expect((await run('mydata', dee, 'show')).content).toBe('I have nothing stored about you.');
    expect((await run('ping', dee)).ephemeral).toBe(true);
    expect((await run('stats', dee)).ephemeral).toBe(false);
    expect(await stored(dee)).toEqual({ user: null, sessions: 0 });
    expect(await h.bot.db.messages.countMessages()).toBe(messages);
    expect((await run('mydata', dee, 'show')).content).toBe('I have nothing stored about you.');
  });

  it.skipIf(skip)('after /mydata forget, /mydata show says nothing is stored and stores nothing', async () => {
    const eve = h.emu.createUser({ username: 'eve' }).id;
    h.emu.addMember(h.guildId, eve);
    h.emu.sendMessage({ channelId: h.general, authorId: eve, content: 'eve was here' });
    await until(
      () => stored(eve),
      (s) => s.sessions === 1,
      5000,
      "eve's message recorded",
    );
    // A reply to someone who has a record is recorded as before, in their session.
    await run('ping', eve);
    const eveUser = (await stored(eve)).user!;
    const [session] = await h.bot.db.sessions.listSessionsForUser(eveUser.id);
    expect(await h.bot.db.messages.countBySession(session.id)).toEqual({ total: 2, user: 1 });

    const offer = await h.emu.runCommand('mydata', {}, { userId: eve, channelId: h.general, subcommand: 'forget' });
    const confirm = (offer.components as { components: { custom_id: string }[] }[])[0].components[0].custom_id;
    await h.emu.clickButton({ interaction: offer, customId: confirm, userId: eve, channelId: h.general });
    await h.bot.recording.settled();
    expect(await stored(eve)).toEqual({ user: null, sessions: 0 });

    expect((await run('mydata', eve, 'show')).content).toBe('I have nothing stored about you.');
    expect(await stored(eve)).toEqual({ user: null, sessions: 0 });
    expect((await run('mydata', eve, 'show')).content).toBe('I have nothing stored about you.');
  });
});
