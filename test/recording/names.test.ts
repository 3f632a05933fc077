import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitName, NAME_MAX } from '../../src/entities/User';
import { DRIVERS } from '../helpers/databases';
import { startHarness, until, type Harness } from '../helpers/harness';

const FAMILY = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}'; // 👨‍👩‍👧‍👦: 7 code points, one character

describe('fitName', () => {
  it('keeps short names as they are, cuts long ones at a whole character, replaces NUL and lone surrogates', () => {
    expect(fitName('Ada Lovelace')).toBe('Ada Lovelace');
    const family = FAMILY.repeat(32);
    // 14 families are 98 code points; a 15th would be 105.
    expect(fitName(family)).toBe(FAMILY.repeat(14));
    expect([...fitName('x'.repeat(250))]).toHaveLength(NAME_MAX);
    expect(fitName('a\u0000b')).toBe('a\uFFFDb');
    expect(fitName('bad \uD800 half')).toBe('bad \uFFFD half');
  });
});

/** A field's size never costs a message: the same rows on both drivers. */
describe.each(DRIVERS)('names and odd text on $driver', ({ driver, skip }) => {
  let h: Harness;
  beforeAll(async () => {
    if (!skip) h = await startHarness(driver, 'names');
  });
  afterAll(async () => h?.dispose());

  const userOf = (discordId: string) => h.bot.db.users.getUserByChannel({ channel: 'discord', channelUserId: discordId });

  it.skipIf(skip)('a nickname of 32 emoji families (224 code points) and a long global name: the message is stored, the names cut deliberately', async () => {
    const person = h.emu.createUser({ username: 'fam', globalName: 'G'.repeat(150) }).id;
    h.emu.addMember(h.guildId, person, { nick: FAMILY.repeat(32) });
    const m = h.emu.sendMessage({ channelId: h.general, authorId: person, content: 'hello from a long name' });
    const stored = await until(
      () => h.bot.db.messages.getByDiscordId(m.id),
      (x) => !!x,
      5000,
      'the message',
    );
    expect(stored!.content).toBe('hello from a long name');
    expect(await userOf(person)).toMatchObject({ username: 'fam', displayName: FAMILY.repeat(14) });
    // The next message is no rename: the stored name is what the recorder makes of it again.
    h.emu.sendMessage({ channelId: h.general, authorId: person, content: 'again' });
    await until(
      () => h.bot.db.messages.countMessages({ channelId: h.general }),
      (n) => n >= 2,
    );
    expect(h.bot.queue.stats.lost).toBe(0);
  });

  it.skipIf(skip)('a NUL in a name and a lone surrogate in content: stored (U+FFFD), the surrogate logged with the message id', async () => {
    const person = h.emu.createUser({ username: 'nul', globalName: 'Null\u0000Byte' }).id;
    h.emu.addMember(h.guildId, person);
    const m = h.emu.sendMessage({ channelId: h.general, authorId: person, content: 'half a pair: \uD83D!' });
    const stored = await until(
      () => h.bot.db.messages.getByDiscordId(m.id),
      (x) => !!x,
      5000,
      'the message',
    );
    expect(stored!.content).toBe('half a pair: \uFFFD!');
    expect((await userOf(person))!.displayName).toBe('Null\uFFFDByte');
    expect(h.logs.find(/lone surrogate/)).toEqual([expect.objectContaining({ level: 40, messageId: m.id })]);
  });
});
