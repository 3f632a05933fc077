/**
 * The local Discord as its own process (@chronicle/discord-emulator's src/cli.ts), driven by JSON lines on stdin/stdout.
 * It runs in its own process so that building and sending frames does not share an event loop with
 * the client being measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { procStatCpuMs } from './stats';

export const ROOT = path.resolve(__dirname, '..');

export interface EmulatorInfo {
  port: number;
  apiUrl: string;
  gatewayUrl: string;
  token: string;
  applicationId: string;
  guildId: string;
  channelIds: string[];
  userIds: string[];
}

export interface FloodReply {
  sent: number;
  ms: number;
  firstId: string;
  lastId: string;
}

export interface PresenceReply {
  status: string;
  activities: { name: string; state?: string | null }[];
  at: number;
}

export class EmulatorProcess {
  private pending: { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  private exited = false;

  private constructor(
    private readonly proc: ChildProcess,
    readonly info: EmulatorInfo,
  ) {}

  static async start(world: { channels: number; users: number; heartbeatMs?: number }): Promise<EmulatorProcess> {
    const hb = world.heartbeatMs ? ['--heartbeat-ms', String(world.heartbeatMs)] : [];
    const proc = spawn(process.execPath, ['--import', 'tsx', require.resolve('@chronicle/discord-emulator/src/cli.ts'), '--port', '0', '--channels', String(world.channels), '--users', String(world.users), '--rate-limit', 'off', ...hb], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: proc.stdout! });
    let emu: EmulatorProcess | null = null;
    const info = await new Promise<EmulatorInfo>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`emulator exited with code ${code} before it was ready`)));
      lines.on('line', (line) => {
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line);
        } catch {
          process.stderr.write(`emulator: ${line}\n`);
          return;
        }
        if (!emu) {
          if (msg.ready) resolve(msg as unknown as EmulatorInfo);
          return;
        }
        const p = emu.pending.shift();
        if (!p) return;
        if (typeof msg.error === 'string') p.reject(new Error(`emulator ${String(msg.cmd)}: ${msg.error}`));
        else p.resolve(msg);
      });
    });
    emu = new EmulatorProcess(proc, info);
    proc.removeAllListeners('exit');
    proc.once('exit', () => {
      emu!.exited = true;
      for (const p of emu!.pending.splice(0)) p.reject(new Error('emulator exited'));
    });
    return emu;
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** CPU ms the emulator process has used so far; null where /proc cannot tell. */
  cpuMs(): number | null {
    return procStatCpuMs(`/proc/${this.pid}/stat`);
  }

  /** Sends one command; replies come back in order. */
  command<T = Record<string, unknown>>(cmd: Record<string, unknown>): Promise<T> {
    if (this.exited) return Promise.reject(new Error('emulator exited'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (v: Record<string, unknown>) => void, reject });
      this.proc.stdin!.write(JSON.stringify(cmd) + '\n');
    });
  }

  flood(o: { count: number; contentLengths?: number[]; startId?: bigint; rate?: number; channelIds?: string[]; userIds?: string[] }): Promise<FloodReply> {
    return this.command<FloodReply>({ cmd: 'flood', count: o.count, contentLengths: o.contentLengths, startId: o.startId?.toString(), rate: o.rate, channelIds: o.channelIds, userIds: o.userIds });
  }

  async waitForReady(timeoutMs = 30_000): Promise<void> {
    await this.command({ cmd: 'waitForReady', timeoutMs });
  }

  async waitForPresence(activity: string, timeoutMs = 10_000): Promise<PresenceReply> {
    const r = await this.command<{ presence: PresenceReply }>({ cmd: 'waitForPresence', activity, timeoutMs });
    return r.presence;
  }

  async violations(): Promise<unknown[]> {
    return (await this.command<{ violations: unknown[] }>({ cmd: 'violations' })).violations;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.stdin!.end(JSON.stringify({ cmd: 'stop' }) + '\n');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}
