import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** A download's temporary file older than this was left by a process that died. */
const STALE_TEMP_MS = 60 * 60_000;

/**
 * The attachment files on disk, content-addressed: a file is named by the SHA-256 of its bytes
 * (`ab/abcdef…`, the first two hex digits a folder), so the same bytes sent in several messages
 * are one file. Downloads are written to `tmp/` and moved into place once their hash is known;
 * a file already there is kept and the new copy dropped. What uses a file is the database's
 * business (AttachmentStore); this class only places, finds and deletes files.
 */
export class ContentStore {
  constructor(readonly dir: string) {}

  /**
   * Makes the folders and clears what interrupted downloads left in `tmp/` — files over an hour
   * old, so a download of another process sharing the store is not cut short.
   */
  async init(now = Date.now()): Promise<void> {
    const tmp = path.join(this.dir, 'tmp');
    await mkdir(tmp, { recursive: true });
    for (const name of await readdir(tmp)) {
      const file = path.join(tmp, name);
      const s = await stat(file).catch(() => null);
      if (s && now - s.mtimeMs > STALE_TEMP_MS) await rm(file, { recursive: true, force: true });
    }
  }

  /** Where a download in progress is written. */
  tempPath(): string {
    return path.join(this.dir, 'tmp', randomUUID());
  }

  /** The path inside the store of the file with this hash. */
  static relativePath(sha256: string): string {
    return `${sha256.slice(0, 2)}/${sha256}`;
  }

  absolute(relative: string): string {
    return path.join(this.dir, relative);
  }

  /** Moves a finished download into place; returns its path in the store and whether it is a new file. */
  async put(tempFile: string, sha256: string): Promise<{ relative: string; added: boolean }> {
    const relative = ContentStore.relativePath(sha256);
    const target = this.absolute(relative);
    if (await exists(target)) {
      await rm(tempFile, { force: true });
      return { relative, added: false };
    }
    await mkdir(path.dirname(target), { recursive: true });
    await rename(tempFile, target);
    return { relative, added: true };
  }

  /** Deletes the file with this hash; returns the bytes freed (0 when it was not there). */
  async remove(sha256: string): Promise<number> {
    const target = this.absolute(ContentStore.relativePath(sha256));
    const size = await stat(target).then(
      (s) => s.size,
      () => 0,
    );
    await rm(target, { force: true });
    return size;
  }

  async has(sha256: string): Promise<boolean> {
    return exists(this.absolute(ContentStore.relativePath(sha256)));
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
