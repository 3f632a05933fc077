import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { EXPORT_SECTIONS, type ExportPart, type PersonalExport } from '../../database/stores/privacy.store';

/** Rows written per list section of an export. */
export type ExportCounts = Record<Exclude<keyof PersonalExport, 'user'>, number> & { user: boolean };

/** A /mydata export written to a temporary file: its path and name for the upload, and how to remove it. */
export interface ExportFile {
  /** The file to attach, or null when even the gzipped file is over the limit. */
  file: { attachment: string; name: string } | null;
  counts: ExportCounts;
  cleanup(): Promise<void>;
}

/**
 * Writes the export as indented JSON (`exportedAt`, `discordUserId`, then EXPORT_SECTIONS) to a
 * temporary file page by page, so memory stays flat however many rows the person has; gzips it
 * when it is over `limit` bytes (Discord's upload limit for the interaction).
 */
export async function writePersonalExport(discordUserId: string, parts: AsyncIterable<ExportPart>, limit: number): Promise<ExportFile> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chronicle-mydata-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const name = `chronicle-data-${discordUserId}.json`;
    const jsonPath = path.join(dir, name);
    const counts = await writeJson(jsonPath, discordUserId, parts);
    if ((await stat(jsonPath)).size <= limit) return { file: { attachment: jsonPath, name }, counts, cleanup };
    const gzPath = `${jsonPath}.gz`;
    await pipeline(createReadStream(jsonPath), createGzip(), createWriteStream(gzPath));
    return { file: (await stat(gzPath)).size <= limit ? { attachment: gzPath, name: `${name}.gz` } : null, counts, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

async function writeJson(file: string, discordUserId: string, parts: AsyncIterable<ExportPart>): Promise<ExportCounts> {
  const out = createWriteStream(file);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  const counts: ExportCounts = { user: false, sessions: 0, messages: 0, revisions: 0, reactions: 0, pollVotes: 0, attachments: 0, tasks: 0, schedulesCreated: 0 };
  const indent = (v: unknown, pad: string) => JSON.stringify(v, null, 2).replace(/\n/g, `\n${pad}`);
  try {
    await write(`{\n  "exportedAt": ${JSON.stringify(new Date().toISOString())},\n  "discordUserId": ${JSON.stringify(discordUserId)}`);
    let open: string | null = null; // the list section being written
    const closeOpen = async () => {
      if (open) await write(counts[open as keyof Omit<ExportCounts, 'user'>] ? '\n  ]' : ']');
      open = null;
    };
    let next = 0; // sections before EXPORT_SECTIONS[next] are written
    const reach = async (section: (typeof EXPORT_SECTIONS)[number]) => {
      // Sections the parts skip (nothing stored) are written empty, so every export has them all.
      while (EXPORT_SECTIONS[next] !== section) {
        const s = EXPORT_SECTIONS[next++];
        await closeOpen();
        await write(s === 'user' ? `,\n  "user": null` : `,\n  ${JSON.stringify(s)}: []`);
      }
    };
    for await (const part of parts) {
      if (part.section === 'user') {
        await reach('user');
        next++;
        counts.user = part.value !== null;
        await write(`,\n  "user": ${indent(part.value, '  ')}`);
        continue;
      }
      if (open !== part.section) {
        await reach(part.section);
        await closeOpen();
        next++;
        open = part.section;
        await write(`,\n  ${JSON.stringify(part.section)}: [`);
      }
      for (const row of part.rows) {
        await write(`${counts[part.section]++ ? ',' : ''}\n    ${indent(row, '    ')}`);
      }
    }
    await closeOpen();
    while (next < EXPORT_SECTIONS.length) {
      const s = EXPORT_SECTIONS[next++];
      await write(s === 'user' ? `,\n  "user": null` : `,\n  ${JSON.stringify(s)}: []`);
    }
    await write('\n}\n');
  } finally {
    out.end();
    await once(out, 'close');
  }
  return counts;
}
