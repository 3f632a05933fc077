import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionResult } from '@chronicle/discord-emulator';
import { DRIVERS } from '../helpers/databases';
import { startHarness, until, type Harness } from '../helpers/harness';

/** Enough early messages that the erasure takes a while: batches are planned while it runs. */
const EARLY = 3000;
const discord = (id: string) => ({ channel: 'discord', channelUserId: id });

function confirmId(r: InteractionResult): string {
  return (r.components as { components: { custom_id: string }[] }[])[0].components[0].custom_id;
}

/**
 * The erasure race: a person's messages keep arriving while they confirm `/mydata forget`.
 * What the bot received before the erasure is gone with it, what arrives after it is recorded
 * afresh (a new user row, a new session), nothing is dropped with an error, and no row is left
 * that the person's own `/mydata` cannot see (a second erasure, once the stream stops, leaves
 * nothing of theirs).
 */
describe.each(DRIVERS)('erasing a person while their messages stream in, on $driver', ({ driver, skip }) => {
  let h: Harness;
  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'erasure_race');
  });
  afterAll(async () => h?.dispose());

  it.skipIf(skip)(
    'leaves no row of theirs and loses nothing sent after it',
    async () => {
      const ada = h.emu.createUser({ username: 'ada-race', globalName: 'Ada Race' }).id;
      const bob = h.emu.createUser({ username: 'bob-race' }).id;
      h.emu.addMember(h.guildId, ada);
      h.emu.addMember(h.guildId, bob);
      for (let i = 0; i < EARLY; i++) h.emu.sendMessage({ channelId: h.general, authorId: ada, content: `early ${i}` });
      await until(
        async () => (await h.bot.db.privacy.summarize(discord(ada))).messages.count,
        (n) => n === EARLY,
        20_000,
        'the early messages',
      );
      const offer = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: h.general, subcommand: 'forget' });

      // The stream: ada (and bob, so the queue stays busy) write every few milliseconds, in two channels.
      const sent: { id: string; phase: 'before' | 'during' | 'after' }[] = [];
      let phase: 'before' | 'during' | 'after' = 'before';
      let n = 0;
      const timer = setInterval(() => {
        for (let k = 0; k < 4; k++) {
          const channelId = k % 2 ? h.random : h.general;
          sent.push({ id: h.emu.sendMessage({ channelId, authorId: ada, content: `stream ${n++}` }).id, phase });
          h.emu.sendMessage({ channelId, authorId: bob, content: `bob ${n}` });
        }
      }, 3);
      await new Promise((r) => setTimeout(r, 400));
      phase = 'during';
      const done = await h.emu.clickButton({ interaction: offer, customId: confirmId(offer), userId: ada, channelId: h.general, timeoutMs: 20_000 });
      phase = 'after';
      await new Promise((r) => setTimeout(r, 400));
      clearInterval(timer);
      expect(done.content).toMatch(/^Done: I no longer store anything about you\./);

      await until(
        () => h.bot.queue.depth,
        (d) => d === 0,
        20_000,
        'an empty queue',
      );
      await h.bot.queue.flush();
      expect(h.logs.find(/could not store/)).toEqual([]);
      // No batch was refused by the database either: a batch planned with the erased person's
      // cached user and session (a foreign-key violation) is the race, even when a retry hides it.
      expect(h.bot.queue.stats.failures).toBe(0);
      const stored = new Set((await h.bot.db.messages.listByChannel(h.general, { limit: 100_000 })).concat(await h.bot.db.messages.listByChannel(h.random, { limit: 100_000 })).map((m) => m.discordMessageId));
      const before = sent.filter((s) => s.phase === 'before');
      const after = sent.filter((s) => s.phase === 'after');
      expect(before.length).toBeGreaterThan(100);
      expect(after.length).toBeGreaterThan(100);
      // Received before the erasure: erased with it.
      expect(before.filter((s) => stored.has(s.id))).toEqual([]);
      // Sent after the confirmation was answered: recorded afresh, none lost.
      expect(after.filter((s) => !stored.has(s.id))).toEqual([]);
      // Every message of hers that is stored is one her /mydata counts (no row it cannot see).
      const mine = sent.filter((s) => stored.has(s.id)).length;
      expect((await h.bot.db.privacy.summarize(discord(ada))).messages.fromThem).toBe(mine);

      // With the stream stopped, a second erasure leaves nothing of hers.
      const again = await h.emu.runCommand('mydata', {}, { userId: ada, channelId: h.general, subcommand: 'forget' });
      await h.emu.clickButton({ interaction: again, customId: confirmId(again), userId: ada, channelId: h.general, timeoutMs: 20_000 });
      await h.bot.queue.flush();
      expect(await h.bot.db.users.getUserByChannel(discord(ada))).toBeNull();
      const left = new Set((await h.bot.db.messages.listByChannel(h.general, { limit: 100_000 })).concat(await h.bot.db.messages.listByChannel(h.random, { limit: 100_000 })).map((m) => m.discordMessageId));
      expect(sent.filter((s) => left.has(s.id))).toEqual([]);
    },
    60_000,
  );
});
