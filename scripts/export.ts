/**
 * npm run export -- --channel ID [--format html|json|txt|csv] [--out FILE] [--after WHEN] [--before WHEN]
 *                   [--include-deleted] [--attachments-url URL]
 * A channel's transcript from the configured database, for operators, without Discord's limits:
 * one file, written page by page (memory stays flat whatever the channel's size), with a progress
 * bar on stderr. WHEN is YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (UTC unless a zone is given); after
 * is inclusive, before exclusive. Archived attachments are linked as file:// URLs into
 * ATTACHMENT_DIR, or under --attachments-url (e.g. `attachments/` for a copy of the store beside
 * the file). Without --out: transcript-<ID>.<format> in the current folder. An existing FILE is refused.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../src/config';
import { Database } from '../src/database/database';
import { exportChannel, parseWhen } from '../src/export/export-channel';
import { TRANSCRIPT_FORMATS, type TranscriptFormatName } from '../src/export/transcript';
import { EXIT } from '../src/exit-codes';

const USAGE = 'usage: npm run export -- --channel ID [--format html|json|txt|csv] [--out FILE] [--after WHEN] [--before WHEN] [--include-deleted] [--attachments-url URL]';

interface Args {
  channel: string;
  format: TranscriptFormatName;
  out?: string;
  after: Date | null;
  before: Date | null;
  includeDeleted: boolean;
  attachmentsUrl?: string;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const raw: Record<string, string | true> = {};
  const valued = new Set(['channel', 'format', 'out', 'after', 'before', 'attachments-url']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new UsageError(`unknown argument ${a}`);
    const [, name, inline] = m;
    if (name === 'include-deleted') raw[name] = true;
    else if (valued.has(name)) {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`--${name} needs a value`);
      raw[name] = v;
    } else throw new UsageError(`unknown option --${name}`);
  }
  const channel = raw.channel as string | undefined;
  if (!channel || !/^\d{15,20}$/.test(channel)) throw new UsageError(channel ? `--channel must be a Discord channel id (15–20 digits), not ${channel}` : '--channel ID is required');
  const format = (raw.format as string | undefined) ?? 'html';
  if (!(TRANSCRIPT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${TRANSCRIPT_FORMATS.join(', ')}`);
  const when = (name: 'after' | 'before') => {
    const v = raw[name] as string | undefined;
    if (v === undefined) return null;
    const d = parseWhen(v);
    if (!d) throw new UsageError(`--${name} must be YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (UTC unless a zone is given), not ${v}`);
    return d;
  };
  const after = when('after');
  const before = when('before');
  if (after && before && after >= before) throw new UsageError('--before must be later than --after');
  return { channel, format: format as TranscriptFormatName, out: raw.out as string | undefined, after, before, includeDeleted: raw['include-deleted'] === true, attachmentsUrl: raw['attachments-url'] as string | undefined };
}

/** A bar on a terminal, a line every few seconds otherwise (a log file stays readable). */
function progress(): { update(n: number, total: number): void; done(): void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  return {
    update(n, total) {
      const now = Date.now();
      if (!tty && now - last < 2000 && n < total) return;
      last = now;
      const share = total ? Math.min(1, n / total) : 1;
      const width = 30;
      const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '-');
      const line = `export: [${bar}] ${(share * 100).toFixed(0).padStart(3)}% ${n}/${total} messages`;
      process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

async function main(): Promise<void> {
  loadDotEnv();
  let args: Args;
  let config: Config;
  try {
    args = parseArgs(process.argv.slice(2));
    config = loadConfig();
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`export: ${e.message}; ${USAGE}`);
      process.exit(2);
    }
    if (e instanceof ConfigError) {
      for (const p of e.problems) console.error(`export: ${p}`);
      process.exit(EXIT.CONFIG);
    }
    throw e;
  }
  const out = path.resolve(args.out ?? `transcript-${args.channel}.${args.format}`);
  if (existsSync(out)) {
    console.error(`export: ${out} already exists; choose another --out FILE (an export never overwrites one)`);
    process.exit(1);
  }
  mkdirSync(path.dirname(out), { recursive: true });
  const base = args.attachmentsUrl;
  const attachmentHref = (a: { storedPath: string | null }) => (a.storedPath ? (base !== undefined ? `${base}${a.storedPath}` : pathToFileURL(path.join(config.attachments.dir, a.storedPath)).href) : null);
  const db = await Database.open(config.database);
  const bar = progress();
  const partial = `${out}.partial`;
  const started = Date.now();
  try {
    const pending = await db.pendingMigrations();
    if (pending.length) throw new Error(`the database has pending migrations (${pending.join(', ')}); run npm run migration:run first`);
    const res = await exportChannel(
      db,
      { channelId: args.channel, format: args.format, after: args.after, before: args.before, includeDeleted: args.includeDeleted, attachmentHref, onProgress: (n, total) => bar.update(n, total) },
      () => partial,
    );
    bar.update(res.messages, res.messages); // the count included replies only their invoker saw, which are left out
    bar.done();
    renameSync(partial, out);
    const rss = Math.round(process.resourceUsage().maxRSS / 1024);
    console.error(`export: ${res.messages} messages of channel ${args.channel} → ${out} (${res.parts[0].bytes} bytes, ${Date.now() - started} ms, peak RSS ${rss} MiB)`);
  } catch (e) {
    rmSync(partial, { force: true });
    throw e;
  } finally {
    await db.close();
  }
}

main().catch((e: Error) => {
  console.error(`export failed: ${e.message}`);
  process.exit(1);
});
