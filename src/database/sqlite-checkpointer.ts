/**
 * WAL checkpoints off the commit path (SQLite files only).
 *
 * By default SQLite checkpoints on the connection that commits, once the WAL passes 1,000 pages: the
 * commit that crosses it copies the whole WAL back into the database file and syncs it before it
 * returns. For a batch of recorded messages that is an occasional stall; for a large delete on a
 * large database (a `/mydata forget` of 50,000 messages in 10 million touches some 150,000 index
 * pages) it doubles the time the command takes. Here the bot's connection never checkpoints
 * (`wal_autocheckpoint = 0`); a connection of its own runs `wal_checkpoint(PASSIVE)` every
 * `intervalMs`, which never waits for and never blocks the writer. `journal_size_limit` truncates the
 * WAL file back to 64 MB when it restarts, so a large transaction does not leave a large file.
 */
import type { Database as Sqlite3Database } from 'sqlite3';

export interface CheckpointResult {
  /** Frames in the WAL, and how many of them are now in the database file. */
  log: number;
  checkpointed: number;
}

export interface CheckpointerOptions {
  intervalMs?: number;
  onError?: (e: Error) => void;
}

/** The WAL file is cut back to this size when it restarts (bytes). */
export const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

export class SqliteCheckpointer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  /** The last checkpoint's outcome (null before the first). */
  last: CheckpointResult | null = null;
  /** Checkpoints run, and frames copied into the database file by them. */
  readonly stats = { runs: 0, frames: 0, errors: 0 };

  private constructor(
    private readonly db: Sqlite3Database,
    private readonly opts: Required<CheckpointerOptions>,
  ) {}

  /** Opens the checkpointer's connection to `file` and starts its timer. */
  static async open(file: string, opts: CheckpointerOptions = {}): Promise<SqliteCheckpointer> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sqlite3 = require('sqlite3') as typeof import('sqlite3');
    const db = await new Promise<Sqlite3Database>((resolve, reject) => {
      const d = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (err) => (err ? reject(err) : resolve(d)));
    });
    const c = new SqliteCheckpointer(db, { intervalMs: opts.intervalMs ?? 1_000, onError: opts.onError ?? (() => undefined) });
    c.schedule();
    return c;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.checkpoint()
        .then(
          () => undefined,
          (e: Error) => {
            this.stats.errors++;
            this.opts.onError(e);
          },
        )
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** One passive checkpoint now: copies what no reader still needs, waits for nobody. */
  checkpoint(): Promise<CheckpointResult> {
    return new Promise((resolve, reject) =>
      this.db.get('PRAGMA wal_checkpoint(PASSIVE)', (err: Error | null, row: { busy: number; log: number; checkpointed: number }) => {
        if (err) return reject(err);
        this.stats.runs++;
        const before = this.last && this.last.log <= row.log ? this.last.checkpointed : 0;
        this.stats.frames += Math.max(0, row.checkpointed - before);
        this.last = { log: row.log, checkpointed: row.checkpointed };
        resolve(this.last);
      }),
    );
  }

  /** Stops the timer, lets a checkpoint under way finish, and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await new Promise<void>((resolve) => this.db.close(() => resolve()));
  }
}
