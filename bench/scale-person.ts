/**
 * One /mydata call on a scale database, in a process of its own so that its peak RSS (VmHWM) is
 * the call's and not what the bench process gathered before:
 *   node --import tsx bench/scale-person.ts <database url> <discord user id> show|export|forget <calls>
 * Prints one JSON line: { ms: number[], peakRssMb: number, baseRssMb: number }.
 * `export` writes the file /mydata export uploads (streamed JSON, gzipped past 10 MiB).
 */
import { readFileSync } from 'node:fs';
import { writePersonalExport } from '../src/commands/lib/personal-export-file';
import { loadConfig } from '../src/config';
import { Database } from '../src/database/database';
import { DISCORD_CHANNEL } from '../src/entities/User';

const hwmMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

async function main(): Promise<void> {
  const [url, discordUserId, op, callsArg] = process.argv.slice(2);
  const db = await Database.open(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'warn' }).database);
  const baseRssMb = hwmMb();
  const who = { channel: DISCORD_CHANNEL, channelUserId: discordUserId };
  const ms: number[] = [];
  try {
    for (let i = 0; i < Number(callsArg); i++) {
      const t = performance.now();
      if (op === 'show') await db.privacy.summarize(who);
      else if (op === 'export') await (await writePersonalExport(discordUserId, db.privacy.exportParts(who), 10 * 1024 * 1024)).cleanup();
      else if (op === 'forget') await db.privacy.forgetPerson(who);
      else throw new Error(`unknown op ${op}`);
      ms.push(performance.now() - t);
    }
  } finally {
    await db.close();
  }
  process.stdout.write(`${JSON.stringify({ ms, peakRssMb: hwmMb(), baseRssMb })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`scale-person: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
