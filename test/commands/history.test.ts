import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from '../helpers/databases';
import { newChannel, newMember, startHarness, until, type Harness, checkDiscordAfterEach } from '../helpers/harness';

describe.each(DRIVERS)('/history on $driver', ({ driver, skip }) => {
  let h: Harness;
  beforeAll(async () => {
    if (!skip) h = await startHarness(driver, 'history');
  });
  afterAll(async () => h?.dispose());
  checkDiscordAfterEach(() => (skip ? undefined : h));

  it.skipIf(skip)('someone with nothing recorded gets a plain answer', async () => {
    const cy = newMember(h, 'cy');
    const r = await h.emu.runCommand('history', {}, { userId: cy, channelId: newChannel(h, 'quiet') });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toBe('You have no messages in a current session here.');
  });

  it.skipIf(skip)('shows only your own recent messages in this channel, oldest first, without deleted ones', async () => {
    const ada = newMember(h, 'ada', { globalName: 'Ada Lovelace' });
    const bob = newMember(h, 'bob', { nick: 'Bobby' });
    const here = newChannel(h, 'here');
    const there = newChannel(h, 'there');
    const sent = ['first', 'second **bold**', 'third\nwith a line break', 'fourth'].map((content) => h.emu.sendMessage({ channelId: here, authorId: ada, content }));
    h.emu.sendMessage({ channelId: here, authorId: bob, content: 'bob says hi' });
    h.emu.sendMessage({ channelId: there, authorId: ada, content: 'elsewhere' });
    h.emu.editMessage(here, sent[0].id, 'first (edited)');
    h.emu.deleteMessage(here, sent[3].id);

    const all = await h.emu.runCommand('history', {}, { userId: ada, channelId: here });
    expect(all.ephemeral).toBe(true);
    const lines = all.content!.split('\n');
    expect(lines[0]).toMatch(/^Your last 3 messages in this session \(started <t:\d+:R>\):$/);
    expect(lines.slice(1).map((l) => l.replace(/^<t:\d+:t> /, ''))).toEqual(['first (edited) *(edited)*', 'second **bold**', 'third with a line break']);

    const two = await h.emu.runCommand('history', { limit: 2 }, { userId: ada, channelId: here });
    expect(
      two
        .content!.split('\n')
        .slice(1)
        .map((l) => l.replace(/^<t:\d+:t> /, '')),
    ).toEqual(['second **bold**', 'third with a line break']);
    expect(two.content).not.toContain('bob says hi');
    expect(two.content).not.toContain('elsewhere');
  });

  it.skipIf(skip)('versions:true shows the earlier versions of your edited messages under them, oldest first', async () => {
    const ada = newMember(h, 'ada');
    const here = newChannel(h, 'drafts');
    const m = h.emu.sendMessage({ channelId: here, authorId: ada, content: 'draft one' });
    const plain = h.emu.sendMessage({ channelId: here, authorId: ada, content: 'never edited' });
    await until(
      () => h.bot.db.messages.getByDiscordId(plain.id),
      (r) => !!r,
    );
    h.emu.editMessage(here, m.id, 'draft two');
    await until(
      () => h.bot.db.archive.revisionsByDiscordId(m.id),
      (r) => r.length === 1,
    );
    h.emu.editMessage(here, m.id, 'final');
    const r = await h.emu.runCommand('history', { versions: true }, { userId: ada, channelId: here });
    const lines = r.content!.split('\n').slice(1);
    expect(lines.map((l) => l.replace(/<t:\d+:t>/g, 'T'))).toEqual(['T final *(edited)*', '  ↳ before T: draft one', '  ↳ before T: draft two', 'T never edited']);
    // Without the option: marked, not shown.
    const short = await h.emu.runCommand('history', {}, { userId: ada, channelId: here });
    expect(short.content).not.toContain('draft');
    expect(short.content).toContain('final *(edited)*');
  });

  it.skipIf(skip)('limit is checked: 1 to 50', async () => {
    const ada = newMember(h, 'ada');
    for (const limit of [0, 51]) {
      const r = await h.emu.runCommand('history', { limit }, { userId: ada, channelId: h.general });
      expect(r.ephemeral).toBe(true);
      expect(r.content).toBe('That did not work: `limit`: must be a whole number from 1 to 50');
    }
  });

  it.skipIf(skip)('long histories are cut to fit one Discord message, and say so', async () => {
    const bob = newMember(h, 'bob');
    const here = newChannel(h, 'long');
    for (let k = 0; k < 30; k++) h.emu.sendMessage({ channelId: here, authorId: bob, content: `${k} ${'x'.repeat(400)}` });
    const r = await h.emu.runCommand('history', { limit: 50 }, { userId: bob, channelId: here });
    expect(r.content!.length).toBeLessThanOrEqual(2000);
    const shown = Number(/^Your last (\d+) messages/.exec(r.content!)![1]);
    expect(r.content).toContain(`… ${30 - shown} older messages not shown (too long for one reply).`);
    expect(r.content!.split('\n').at(-2)).toMatch(/^<t:\d+:t> 29 x+…$/);
  });
});
