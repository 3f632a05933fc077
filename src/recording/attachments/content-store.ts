import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The attachment files on disk, content-addressed: a file is named by the SHA-256 of its bytes
 * (`ab/abcdef…`, the first two hex digits a folder), so the same bytes sent in several messages
 * are one file. Downloads are written to `tmp/` and moved into place once their hash is known;
 * a file already there is kept and the new copy dropped. What uses a file is the database's
 * business (AttachmentStore); this class only places, finds and deletes files.
 */
export class ContentStore {
  constructor(readonly dir: string) {}

  /** Makes the folders and clears what an interrupted download left in `tmp/`. */
  async init(): Promise<void> {
    await rm(path.join(this.dir, 'tmp'), { recursive: true, force: true });
    await mkdir(path.join(this.dir, 'tmp'), { recursive: true });
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
