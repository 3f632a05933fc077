import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { AttachmentStore } from '../../database/stores/attachment.store';
import { Mutex } from '../../database/mutex';
import type { Attachment } from '../../entities/Attachment';
import type { Logger } from '../../logger';
import { ContentStore } from './content-store';

export interface DownloaderOptions {
  /** ATTACHMENTS: only `files` downloads (the other modes leave the queue idle; erasures still delete files). */
  mode: 'off' | 'metadata' | 'files';
  /** ATTACHMENT_MAX_MB in bytes: a larger file (as sent, whatever Discord said) is not kept. */
  maxBytes: number;
  /** ATTACHMENT_STORE_MAX_GB in bytes: beyond it the files first stored longest ago are deleted. */
  storeMaxBytes: number;
  /** The attachment store's directory. */
  dir: string;
  /** Downloads at a time (default 2). */
  concurrency?: number;
  /** Attempts before a download is given up until the next start (default 5). */
  maxAttempts?: number;
  /** Backoff after the first failed attempt, doubling each time, at most a minute (default 2 s). */
  retryBaseMs?: number;
  /** The longest one download may take (default 2 minutes). */
  timeoutMs?: number;
}

/** A download that did not give a file. */
class DownloadError extends Error {
  constructor(
    message: string,
    /** Trying again cannot help (the link expired or is refused: 401, 403, 404, 410). */
    readonly permanent = false,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

const GONE = new Set([401, 403, 404, 410]);

/** An error's text without any query string it may quote (fetch's errors name no URL; this is a second guard). */
function errorText(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const text = err.cause?.code ? `${err.message} (${err.cause.code})` : (err.message ?? String(e));
  return text.replace(/https?:\/\/\S*/g, '(a link)');
}

/**
 * The download queue: fetches the files of recorded attachments (rows in `pending`) soon after
 * their message is committed (the recording store's cue, `kick`), a few at a time, never on the
 * recorder's path. Each attempt fetches `url`, then `proxy_url`, streaming the bytes through
 * SHA-256 into a temporary file that the content store moves into place. A failed attempt is
 * retried with backoff (its `error` and `attempts` on the row); after `maxAttempts`, or at once
 * when the CDN says the link is gone, the row is `failed` and retried at the next start. The work
 * list is the table itself (pending rows whose backoff is over): nothing is held in memory but
 * the downloads running, and a restart picks up where this one stopped.
 *
 * Placing a file and marking its row, and deleting a file no row uses (an erasure, the store's
 * size limit), run under one lock, so a file is never deleted between being placed and being
 * claimed by the row of another message with the same bytes.
 */
export class AttachmentDownloader {
  readonly files: ContentStore;
  private readonly running = new Map<string, Promise<void>>();
  private readonly fileLock = new Mutex();
  private readonly abort = new AbortController();
  private pumping = false;
  private again = false;
  private stopped = true;
  /** Set once the start's retry of earlier downloads is done: downloading begins then. */
  private ready = false;
  private resumeTimer: NodeJS.Timeout | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  /** Bytes in the store, each file once (from the table at start, then kept up to date). */
  private storedBytes = 0;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;
  readonly stats = { stored: 0, deduplicated: 0, retried: 0, failed: 0, tooLarge: 0, evicted: 0, released: 0 };

  constructor(
    private readonly store: AttachmentStore,
    private readonly logger: Logger,
    private readonly opts: DownloaderOptions,
  ) {
    this.files = new ContentStore(opts.dir);
    this.concurrency = opts.concurrency ?? 2;
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.retryBaseMs = opts.retryBaseMs ?? 2_000;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  /**
   * With ATTACHMENTS=files, prepares the store (an unusable directory stops the start, saying so) and starts downloading: in the background, after
   * retrying what failed before (a start never waits on the database for this; while it is
   * unreachable the queue keeps trying).
   */
  async start(): Promise<void> {
    if (this.opts.mode !== 'files') return;
    await this.files.init().catch((e: Error) => {
      throw new Error(`attachments: cannot use ATTACHMENT_DIR ${this.opts.dir} (${e.message}); make it writable, set ATTACHMENT_DIR elsewhere, or set ATTACHMENTS=metadata`);
    });
    this.stopped = false;
    void this.resume();
  }

  private async resume(): Promise<void> {
    try {
      this.storedBytes = await this.store.storedBytes();
      const retried = await this.store.retryFailed();
      if (retried) this.logger.info({ source: 'attachments', count: retried }, `attachments: ${retried} download(s) left from before are tried again`);
    } catch (e) {
      if (this.stopped) return;
      this.logger.warn({ source: 'attachments', err: errorText(e) }, 'attachments: could not read the downloads left from before; trying again in 5 s');
      this.resumeTimer = setTimeout(() => void this.resume(), 5_000);
      this.resumeTimer.unref();
      return;
    }
    this.ready = true;
    this.kick();
  }

  /** Stops downloading: downloads under way are abandoned (their rows stay pending: retried at the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.abort.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Downloads under way. */
  get active(): number {
    return this.running.size;
  }

  /** Looks for downloads due (after a batch with attachments committed, a download ended, a backoff passed). */
  kick(): void {
    if (this.stopped || !this.ready) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => (this.pumping = false));
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false;
        const free = this.concurrency - this.running.size;
        if (free <= 0 || this.stopped) return;
        const rows = await this.store.due(free, [...this.running.keys()]);
        for (const row of rows) this.launch(row);
        if (rows.length < free) await this.wakeForBackoff();
      } while (this.again && !this.stopped);
    } catch (e) {
      // The database is unreachable: look again later (the rows wait in the table).
      this.logger.warn({ source: 'attachments', err: errorText(e) }, 'attachments: could not read the downloads due; trying again in 5 s');
      this.wakeAt(Date.now() + 5_000);
    }
  }

  /** Sets the timer for the next pending download still waiting out its backoff. */
  private async wakeForBackoff(): Promise<void> {
    const next = await this.store.nextDue();
    if (next) this.wakeAt(next.getTime());
  }

  private wakeAt(at: number): void {
    if (this.stopped || (this.timer && this.timerAt <= at)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.kick();
      },
      Math.max(0, at - Date.now()) + 5,
    );
    this.timer.unref();
  }

  private launch(row: Attachment): void {
    const p = this.download(row)
      .catch((e: Error) => this.logger.error({ source: 'attachments', attachmentId: row.discordAttachmentId, messageId: row.discordMessageId, err: errorText(e) }, `attachments: download of ${row.discordAttachmentId} broke off`))
      .finally(() => {
        this.running.delete(row.id);
        this.kick();
      });
    this.running.set(row.id, p);
  }

  private async download(row: Attachment): Promise<void> {
    const where = { source: 'attachments', attachmentId: row.discordAttachmentId, messageId: row.discordMessageId };
    // Named, not quoted, in errors and logs: the links are signed, and their path holds the filename.
    const links: [string, string][] = [['url', row.url], ...(row.proxyUrl && row.proxyUrl !== row.url ? ([['proxy_url', row.proxyUrl]] as [string, string][]) : [])];
    let last: DownloadError | null = null;
    for (const [name, url] of links) {
      if (this.stopped) return;
      try {
        const { temp, sha256, bytes } = await this.fetchTo(url, name);
        await this.keep(row, temp, sha256, bytes);
        return;
      } catch (e) {
        if (this.stopped) return;
        last = e instanceof DownloadError ? e : new DownloadError(`${errorText(e)} (${name})`);
        if (last.tooLarge) break;
      }
    }
    const attempt = row.attempts + 1;
    if (last!.tooLarge) {
      this.stats.tooLarge++;
      this.logger.info(where, `attachments: ${row.discordAttachmentId} is larger than ATTACHMENT_MAX_MB; kept without its file`);
      return this.store.markAttempt(row.id, 'too_large', last!.message);
    }
    if (last!.permanent || attempt >= this.maxAttempts) {
      this.stats.failed++;
      this.logger.warn({ ...where, attempts: attempt, err: last!.message }, `attachments: could not download ${row.discordAttachmentId} (${last!.message}); retried at the next start`);
      return this.store.markAttempt(row.id, 'failed', last!.message);
    }
    this.stats.retried++;
    const delay = Math.min(60_000, this.retryBaseMs * 2 ** (attempt - 1));
    this.logger.info({ ...where, attempts: attempt, err: last!.message, retryInMs: delay }, `attachments: download of ${row.discordAttachmentId} failed (${last!.message}); trying again in ${delay} ms`);
    await this.store.markAttempt(row.id, 'pending', last!.message, new Date(Date.now() + delay));
    this.wakeAt(Date.now() + delay);
  }

  /** Fetches a URL into a temporary file, hashing as it goes; refuses more than maxBytes. */
  private async fetchTo(url: string, name: string): Promise<{ temp: string; sha256: string; bytes: number }> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]);
    const res = await fetch(url, { signal, redirect: 'follow' });
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new DownloadError(`HTTP ${res.status} from ${name}`, GONE.has(res.status));
    }
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > this.opts.maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw new DownloadError(`${declared} bytes, over ATTACHMENT_MAX_MB`, true, true);
    }
    const temp = this.files.tempPath();
    const file = await open(temp, 'w');
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        if (bytes > this.opts.maxBytes) throw new DownloadError(`more than ${this.opts.maxBytes} bytes, over ATTACHMENT_MAX_MB`, true, true);
        hash.update(chunk);
        await file.write(chunk);
      }
      await file.close();
    } catch (e) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw e instanceof DownloadError ? e : new DownloadError(`${errorText(e)} while reading ${name}`);
    }
    return { temp, sha256: hash.digest('hex'), bytes };
  }

  /** Moves the download into the store and marks the row; a row erased meanwhile leaves no file behind. */
  private async keep(row: Attachment, temp: string, sha256: string, bytes: number): Promise<void> {
    await this.fileLock.run(async () => {
      const { relative, added } = await this.files.put(temp, sha256);
      if (added) this.storedBytes += bytes;
      else this.stats.deduplicated++;
      if (await this.store.markStored(row.id, sha256, relative)) {
        this.stats.stored++;
        return;
      }
      // Erased (or changed) while downloading: the file goes unless another row uses it.
      if (!(await this.store.isStored(sha256))) this.storedBytes -= await this.files.remove(sha256);
    });
    if (this.storedBytes > this.opts.storeMaxBytes) await this.makeRoom();
  }

  /** Deletes the files first stored longest ago until the store is within ATTACHMENT_STORE_MAX_GB. */
  private async makeRoom(): Promise<void> {
    await this.fileLock.run(async () => {
      while (this.storedBytes > this.opts.storeMaxBytes) {
        const oldest = await this.store.oldestFiles(50);
        if (!oldest.length) return;
        for (const f of oldest) {
          if (this.storedBytes <= this.opts.storeMaxBytes) return;
          const rows = await this.store.markEvicted(f.sha256, 'deleted to keep the store within ATTACHMENT_STORE_MAX_GB');
          const freed = await this.files.remove(f.sha256);
          this.storedBytes -= freed || f.size;
          this.stats.evicted++;
          this.logger.warn(
            { source: 'attachments', sha256: f.sha256, bytes: freed || f.size, attachments: rows, storedAt: f.storedAt.toISOString(), storeMaxBytes: this.opts.storeMaxBytes },
            `attachments: deleted the file stored longest ago (${f.sha256.slice(0, 12)}…, ${rows} attachment(s)) to keep the store within ATTACHMENT_STORE_MAX_GB`,
          );
        }
      }
    });
  }

  /** After an erasure: deletes the files with these hashes that no remaining attachment uses. */
  async release(sha256s: string[]): Promise<void> {
    await this.fileLock.run(async () => {
      for (const sha of new Set(sha256s)) {
        if (await this.store.isStored(sha)) continue;
        const freed = await this.files.remove(sha);
        if (freed) {
          this.storedBytes -= freed;
          this.stats.released++;
        }
      }
    });
  }
}
