/**
 * Runs the emulator as its own process with a seeded world.
 *   tsx packages/discord-emulator/src/cli.ts --port 0 --token T --guilds 1 --channels 3 --users 5 [--rate-limit off|N/ms] [--heartbeat-ms N] [--verbose] [--web [--web-port N]]
 * Prints one JSON line {"ready":true,...} on stdout (with --web, "webUrl": the web view, src/web.ts),
 * then reads JSON-line commands on stdin:
 *   {"cmd":"flood","count":100000,"contentLength":40}  → {"cmd":"flood","sent":...,"ms":...,"firstId":...,"lastId":...}
 *     (optional: "contentLengths":[…] cycled instead of one length, "rate":N messages per second, "channelIds", "userIds", "startId")
 *   {"cmd":"waitForPresence","activity":"…","timeoutMs":5000} → {"cmd":"waitForPresence","presence":{…,"at":epoch ms}}
 *   {"cmd":"send","channelId":"…","authorId":"…","content":"…"} → {"cmd":"send","id":"…"}
 *   {"cmd":"waitForReady","timeoutMs":10000} → {"cmd":"waitForReady","ok":true}
 *   {"cmd":"presences"} → {"cmd":"presences","presences":[...]}
 *   {"cmd":"violations"} → {"cmd":"violations","violations":[...]}
 *   {"cmd":"stop"} → {"cmd":"stop","ok":true} and exit
 * Errors are answered as {"cmd":…,"error":"…"}. Logs go to stderr.
 */
import { createInterface } from 'node:readline';
import { DiscordEmulator } from './emulator';
import { startWebView, type WebView } from './web';

interface CliArgs {
  port: number;
  token?: string;
  guilds: number;
  channels: number;
  users: number;
  rateLimit?: { perRoute: number; windowMs: number } | false;
  verbose: boolean;
  /** The heartbeat interval HELLO gives (Discord's is 41,250 ms). */
  heartbeatMs?: number;
  /** The web view's port, when --web: 0 = a random free one. */
  web?: number;
}

export function parseArgs(argv: string[]): CliArgs {
  const a: CliArgs = { port: 0, guilds: 1, channels: 1, users: 1, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`missing value for ${flag}`);
      return v;
    };
    const int = () => {
      const n = Number(val());
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer`);
      return n;
    };
    switch (flag) {
      case '--port':
        a.port = int();
        break;
      case '--token':
        a.token = val();
        break;
      case '--guilds':
        a.guilds = Math.max(1, int());
        break;
      case '--channels':
        a.channels = Math.max(1, int());
        break;
      case '--users':
        a.users = Math.max(1, int());
        break;
      case '--rate-limit': {
        const v = val();
        if (v === 'off') a.rateLimit = false;
        else {
          const [n, ms] = v.split('/').map(Number);
          a.rateLimit = { perRoute: n, windowMs: ms || 1000 };
        }
        break;
      }
      case '--heartbeat-ms':
        a.heartbeatMs = Math.max(100, int());
        break;
      case '--verbose':
        a.verbose = true;
        break;
      case '--web':
        a.web ??= 0;
        break;
      case '--web-port':
        a.web = int();
        break;
      default:
        throw new Error(`unknown flag ${flag}`);
    }
  }
  return a;
}

const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const emu = await DiscordEmulator.start({
    port: args.port,
    token: args.token,
    rateLimit: args.rateLimit,
    heartbeatIntervalMs: args.heartbeatMs,
    logger: args.verbose ? (l) => process.stderr.write(l + '\n') : undefined,
  });
  const userIds = Array.from({ length: args.users }, (_, i) => emu.createUser({ username: `user${i + 1}` }).id);
  const guildIds: string[] = [];
  const channelIds: string[] = [];
  for (let g = 0; g < args.guilds; g++) {
    const guild = emu.createGuild({ name: `Guild ${g + 1}` });
    guildIds.push(guild.id);
    for (let c = 0; c < args.channels; c++) channelIds.push(emu.createChannel({ guildId: guild.id, name: `channel-${c + 1}` }).id);
    for (const u of userIds) emu.addMember(guild.id, u);
  }
  let web: WebView | null = null;
  if (args.web !== undefined) {
    web = await startWebView(emu, { port: args.web, title: 'Local Discord (emulator)', log: (l) => process.stderr.write(l + '\n') });
    process.stderr.write(`emulator: the web view is at ${web.url}\n`);
  }
  out({ ready: true, port: emu.port, ...(web ? { webUrl: web.url } : {}), apiUrl: emu.apiUrl, gatewayUrl: emu.gatewayUrl, token: emu.token, applicationId: emu.applicationId, guildId: guildIds[0], guildIds, channelIds, userIds });

  const stop = async () => {
    await web?.stop();
    await emu.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());

  const rl = createInterface({ input: process.stdin });
  rl.on('close', () => void stop());
  for await (const line of rl) {
    if (!line.trim()) continue;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line);
    } catch {
      out({ error: 'invalid JSON line' });
      continue;
    }
    const cmd = String(msg.cmd);
    try {
      switch (cmd) {
        case 'flood': {
          const lengths = Array.isArray(msg.contentLengths) && msg.contentLengths.length ? (msg.contentLengths as number[]) : null;
          let next = 0;
          const r = await emu.flood({
            count: Number(msg.count ?? 1000),
            channelIds: (msg.channelIds as string[] | undefined) ?? channelIds,
            userIds: (msg.userIds as string[] | undefined) ?? userIds,
            contentLength: lengths ? () => lengths[next++ % lengths.length] : typeof msg.contentLength === 'number' ? msg.contentLength : undefined,
            startId: typeof msg.startId === 'string' ? BigInt(msg.startId) : undefined,
            rate: typeof msg.rate === 'number' ? msg.rate : undefined,
          });
          out({ cmd, ...r });
          break;
        }
        case 'send': {
          const m = emu.sendMessage({ channelId: String(msg.channelId ?? channelIds[0]), authorId: String(msg.authorId ?? userIds[0]), content: String(msg.content ?? '') });
          out({ cmd, id: m.id });
          break;
        }
        case 'waitForReady':
          await emu.waitForReady(Number(msg.timeoutMs ?? 10000));
          out({ cmd, ok: true });
          break;
        case 'presences':
          out({ cmd, presences: emu.presences() });
          break;
        case 'waitForPresence': {
          const activity = String(msg.activity ?? '');
          const p = await emu.waitForPresence((x) => x.activities.some((a) => a.name === activity || a.state === activity), Number(msg.timeoutMs ?? 5000));
          out({ cmd, presence: p });
          break;
        }
        case 'violations':
          out({ cmd, violations: emu.violations() });
          break;
        case 'stop':
          out({ cmd, ok: true });
          await stop();
          return;
        default:
          out({ cmd, error: `unknown command ${cmd}` });
      }
    } catch (e) {
      out({ cmd, error: (e as Error).message });
    }
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`emulator cli: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
