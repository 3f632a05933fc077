import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Perm } from '../../packages/discord-emulator/src/payloads';
import type { TranscriptMessage } from '../../src/database/stores/transcript.store';
import { DRIVERS } from '../helpers/databases';
import { checkDiscordAfterEach, startHarness, type Harness } from '../helpers/harness';
import { SCRIPT_INJECTION, transcriptScene, type TranscriptScene } from '../helpers/transcript-scene';

describe.each(DRIVERS)('/export on $driver', ({ driver, skip }) => {
  let h: Harness;
  let s: TranscriptScene;
  let expected: TranscriptMessage[];
  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(driver, 'export-cmd');
    s = await transcriptScene(h);
    expected = [];
    for await (const page of h.bot.db.transcripts.pages(s.channel)) expected.push(...page);
  }, 60_000);
  afterAll(async () => h?.dispose());
  checkDiscordAfterEach(() => (skip ? undefined : h));

  it.skipIf(skip)('a member who can read the history gets the channel as a JSON file equal to the stored rows', async () => {
    const r = await h.emu.runCommand('export', { channel: s.channel, format: 'json' }, { userId: s.bob, channelId: s.channel });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toBe(`Transcript of <#${s.channel}>: ${expected.length} messages, JSON.`);
    expect(r.attachments.map((a) => a.filename)).toEqual([`transcript-${s.channel}.json`]);
    const doc = JSON.parse(r.attachments[0].data.toString('utf8'));
    expect(doc.messages).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it.skipIf(skip)('HTML by default, CSV and TXT on request; after/before narrow it', async () => {
    const html = await h.emu.runCommand('export', { channel: s.channel }, { userId: s.ada, channelId: s.channel });
    expect(html.attachments[0].filename).toBe(`transcript-${s.channel}.html`);
    const page = html.attachments[0].data.toString('utf8');
    expect(page).toContain('<!DOCTYPE html>');
    expect(page).not.toContain(SCRIPT_INJECTION);
    const csv = await h.emu.runCommand('export', { channel: s.channel, format: 'csv' }, { userId: s.ada, channelId: s.channel });
    expect(parse(csv.attachments[0].data.toString('utf8'), { bom: true, columns: true })).toHaveLength(expected.length);
    const from = expected[2].createdAt.toISOString();
    const to = expected[4].createdAt.toISOString();
    const txt = await h.emu.runCommand('export', { channel: s.channel, format: 'txt', after: from, before: to }, { userId: s.ada, channelId: s.channel });
    expect(txt.content).toContain(': 2 messages, TXT.');
    expect(
      txt.attachments[0].data
        .toString('utf8')
        .split('\n')
        .filter((l) => l.startsWith('[')),
    ).toHaveLength(2);
    const none = await h.emu.runCommand('export', { channel: s.channel, after: '2001-01-01', before: '2001-01-02' }, { userId: s.ada, channelId: s.channel });
    expect(none.content).toBe(`Nothing recorded in <#${s.channel}> in that time range.`);
    expect(none.attachments).toEqual([]);
  });

  it.skipIf(skip)('a member without Read Message History is refused, with one warn row in logs and no file', async () => {
    // The local Discord has no channel overwrites: the member lacks the permission server-wide.
    const lurker = h.emu.createUser({ username: 'lurker' }).id;
    h.emu.addMember(h.guildId, lurker, { permissions: Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES });
    const r = await h.emu.runCommand('export', { channel: s.channel, format: 'json' }, { userId: lurker, channelId: s.channel });
    expect(r.ephemeral).toBe(true);
    expect(r.content).toBe(`Sorry, you can export only channels whose history you can read (Read Message History in <#${s.channel}>).`);
    expect(r.attachments).toEqual([]);
    const logs = (await h.bot.db.logs.listLogs({ limit: 50 })).filter((l) => l.message.includes(`for user ${lurker}`));
    expect(logs.map((l) => [l.level, l.message])).toEqual([['warn', `refused /export of channel ${s.channel} for user ${lurker}: no Read Message History there`]]);
    // An admin without the permission in the channel is allowed (admins may export any channel).
    const r2 = await h.emu.runCommand('export', { channel: s.channel, format: 'json' }, { userId: h.admin, channelId: s.channel });
    expect(JSON.parse(r2.attachments[0].data.toString('utf8')).messageCount).toBe(expected.length);
  });

  it.skipIf(skip)('bad dates are refused with the rule', async () => {
    const r = await h.emu.runCommand('export', { channel: s.channel, after: 'last tuesday' }, { userId: s.ada, channelId: s.channel });
    expect(r.content).toBe('That did not work: `after`: must be a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM, UTC unless a zone is given)');
    const r2 = await h.emu.runCommand('export', { channel: s.channel, after: '2026-02-02', before: '2026-02-01' }, { userId: s.ada, channelId: s.channel });
    expect(r2.content).toBe('That did not work: `before`: must be later than `after`');
  });
});
