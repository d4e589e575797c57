import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { allDashboards, generatedFileName, serialize } from '../src';

/** The repository root, found from wherever this file runs (sources, or tsc output under tmp/). */
export function repoRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'dashboards', 'src'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root above ${from}`);
  }
}

export const generatedDir = (root = repoRoot()) => join(root, 'dashboards', 'generated');

/** File name → exact content every committed dashboard must have. */
export function expectedFiles(): Map<string, string> {
  return new Map(allDashboards().map((d) => [generatedFileName(d), serialize(d)]));
}

/** Files that differ from, are missing from, or are not produced by the builders. */
export function staleFiles(dir = generatedDir()): string[] {
  const expected = expectedFiles();
  const present = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  const stale = [...expected].filter(([file, content]) => !present.includes(file) || readFileSync(join(dir, file), 'utf8') !== content);
  const extra = present.filter((f) => !expected.has(f));
  return [...stale.map(([file]) => file), ...extra].sort();
}
