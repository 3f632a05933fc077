import { csvFormat } from './csv';
import { htmlFormat } from './html';
import { jsonFormat } from './json';
import type { TranscriptFormat, TranscriptFormatName } from './transcript';
import { txtFormat } from './txt';

export * from './transcript';

/** The transcript formats by name. */
export const FORMATS: Record<TranscriptFormatName, TranscriptFormat> = { html: htmlFormat, json: jsonFormat, txt: txtFormat, csv: csvFormat };
