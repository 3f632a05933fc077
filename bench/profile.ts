/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per package/file, so a
 * profile can be read without DevTools.
 *   tsx bench/profile.ts FILE.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  functions: { name: string; where: string; ms: number; pct: number }[];
  groups: { group: string; ms: number; pct: number }[];
}

/** Which part of the program a script URL belongs to. */
function groupOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const totalUs = p.endTime - p.startTime;
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const groups = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url ? `${groupOf(url, functionName)}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const f = fns.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 };
    f.us += us;
    fns.set(key, f);
    const g = groupOf(url, functionName);
    groups.set(g, (groups.get(g) ?? 0) + us);
  }
  const pct = (us: number) => (100 * us) / totalUs;
  return {
    totalMs: totalUs / 1000,
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, pct: pct(f.us) })),
    groups: [...groups]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([group, us]) => ({ group, ms: us / 1000, pct: pct(us) })),
  };
}

if (require.main === module) {
  const file = process.argv[2];
  const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 30;
  const s = summarizeProfile(file, top);
  console.log(`${file}: ${s.totalMs.toFixed(0)} ms`);
  console.log('\nself time by package / file');
  for (const g of s.groups) console.log(`${g.pct.toFixed(1).padStart(6)}%  ${g.ms.toFixed(0).padStart(7)} ms  ${g.group}`);
  console.log('\nself time by function');
  for (const f of s.functions) console.log(`${f.pct.toFixed(1).padStart(6)}%  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}  ${f.where}`);
}
