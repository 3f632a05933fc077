import { Writable } from 'node:stream';
import pino, { type Logger, type StreamEntry } from 'pino';
import type { LogLevel } from './config';
import type { LogRowLevel } from './entities/Log';
import type { NewLog } from './database/stores/log.store';

export type { Logger } from 'pino';

/** Where the database sink writes; the Database's log store satisfies it. */
export interface LogRowWriter {
  insertLogs(rows: NewLog[]): Promise<unknown>;
}

export interface LoggerOptions {
  level: LogLevel;
  format?: 'json' | 'pretty';
  /** Literal strings (tokens, passwords) scrubbed from every line before it is written anywhere. */
  secrets?: (string | undefined)[];
  /** Lines at or above `dbLevel` also go to the `logs` table through `attachDatabase`. */
  dbLevel?: LogLevel;
  /** Output for stdout lines (tests); pretty lines are coloured only when it is a terminal. */
  destination?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface ChronicleLogger {
  logger: Logger;
  /** Starts writing LOG_DB_LEVEL+ lines to the database (buffered until then). */
  attachDatabase(writer: LogRowWriter): void;
  /** Writes whatever the database sink holds. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const REDACT = ['token', '*.token', 'password', '*.password', 'authorization', '*.authorization', 'headers.authorization', 'config.discord.token'];
const LEVEL_NAMES: Record<number, LogRowLevel> = { 10: 'debug', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'error' };

/**
 * The bot's one logger: pino JSON lines on stdout (pretty when asked), plus a sink into the
 * `logs` table for LOG_DB_LEVEL and above, written in batches off the hot path (never blocking the
 * event loop; at most 10,000 lines held while the database is away, then the oldest are counted
 * and dropped, never the process). Secrets are redacted by key and scrubbed by value.
 */
export function createLogger(opts: LoggerOptions): ChronicleLogger {
  // Each secret also in the forms it takes inside a JSON line and inside a URL.
  const secrets = [...new Set((opts.secrets ?? []).filter((s): s is string => !!s && s.length >= 6).flatMap((s) => [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)]))].sort((a, b) => b.length - a.length);
  const scrub = (line: string) => {
    let out = line;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  };
  const sink = new DatabaseSink();
  const streams: StreamEntry[] = [];
  // Asynchronous stdout (sonic-boom): a slow reader never blocks the event loop (process.stdout
  // is synchronous for pipes and files); at most 8 MiB is held, beyond that lines are dropped
  // rather than the process stalling. pino flushes it on exit.
  const stdout = opts.destination ?? pino.destination({ dest: 1, sync: false, maxLength: 8 * 1024 * 1024 });
  if (opts.format === 'pretty') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (o: object) => NodeJS.WritableStream;
    // Colour codes only on a terminal (not into files and pipes); NO_COLOR turns them off there too.
    const tty = opts.destination ? !!opts.destination.isTTY : !!process.stdout.isTTY;
    const colorize = tty && !process.env.NO_COLOR;
    streams.push({ level: opts.level === 'silent' ? 'fatal' : opts.level, stream: pretty({ destination: stdout, colorize, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }) });
  } else if (opts.level !== 'silent') {
    streams.push({ level: opts.level, stream: stdout });
  }
  const dbLevel = opts.dbLevel ?? 'warn';
  if (dbLevel !== 'silent') streams.push({ level: dbLevel, stream: sink });
  const minLevel = lowest([opts.level, dbLevel]);
  const logger = pino(
    {
      level: minLevel,
      redact: { paths: REDACT, censor: '[redacted]' },
      base: undefined,
      hooks: { streamWrite: scrub },
    },
    pino.multistream(streams),
  );
  return {
    logger,
    attachDatabase: (writer) => sink.attach(writer),
    flush: () => sink.flush(),
    close: () => sink.close(),
  };
}

function lowest(levels: LogLevel[]): LogLevel {
  const order: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  return levels.reduce((a, b) => (order.indexOf(a) <= order.indexOf(b) ? a : b));
}

/** A pino destination that turns lines into `logs` rows and writes them in batches. */
class DatabaseSink extends Writable {
  private writer: LogRowWriter | null = null;
  private buffer: NewLog[] = [];
  private dropped = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private static readonly MAX = 10_000;
  private static readonly FLUSH_MS = 500;

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      const line = JSON.parse(chunk.toString('utf8')) as Record<string, unknown>;
      const { level, time, msg, source, module: mod, ...rest } = line;
      // Its row is written by whoever logged it (an audit row, e.g. a refused command).
      if (rest.audited === true) return cb();
      if (this.buffer.length >= DatabaseSink.MAX) {
        this.buffer.shift();
        this.dropped++;
      }
      this.buffer.push({
        level: LEVEL_NAMES[Number(level)] ?? 'info',
        source: String(source ?? mod ?? 'bot'),
        message: String(msg ?? ''),
        metadata: Object.keys(rest).length ? rest : null,
        createdAt: typeof time === 'number' ? new Date(time) : new Date(),
      });
      this.schedule();
    } catch {
      // A line that is not JSON is not a log record; nothing to keep.
    }
    cb();
  }

  attach(writer: LogRowWriter): void {
    this.writer = writer;
    this.schedule();
  }

  private schedule(): void {
    if (!this.writer || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, DatabaseSink.FLUSH_MS);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.writing) await this.writing;
    if (!this.writer || !this.buffer.length) return;
    const rows = this.buffer.splice(0, this.buffer.length);
    if (this.dropped) {
      rows.push({ level: 'warn', source: 'logger', message: `${this.dropped} log lines were not stored: the database was unavailable` });
      this.dropped = 0;
    }
    this.writing = this.writer
      .insertLogs(rows)
      .then(() => undefined)
      .catch(() => {
        // Keep them for the next try (bounded by MAX); stdout already has every line.
        this.buffer.unshift(...rows.slice(0, DatabaseSink.MAX - this.buffer.length));
        this.schedule();
      })
      .finally(() => {
        this.writing = null;
      });
    await this.writing;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    this.writer = null;
  }
}
