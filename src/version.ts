import { readFileSync } from 'node:fs';
import path from 'node:path';

let cached: string | null = null;

/** Chronicle's version from its package.json (found from the source or the build), else `unknown`. */
export function appVersion(): string {
  if (cached) return cached;
  for (let dir = __dirname, i = 0; i < 4; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'chronicle' && pkg.version) return (cached = pkg.version);
    } catch {
      // not here; one folder up
    }
  }
  return (cached = 'unknown');
}
