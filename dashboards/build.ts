/**
 * Writes dashboards/generated/*.json from the TypeScript builders, or with --check only reports
 * files that are stale. Run through `npm run dashboards` / `npm run dashboards:check`, which
 * compile with tsc into tmp/ first (Node strips types but does not resolve this tree's
 * extensionless imports).
 */
import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectedFiles, generatedDir, staleFiles } from './lib/generated';

function main(argv: string[]): number {
  const dir = generatedDir();
  if (argv.includes('--check')) {
    const stale = staleFiles(dir);
    if (stale.length === 0) {
      console.log(`dashboards: ${expectedFiles().size} generated files are up to date`);
      return 0;
    }
    console.error(`dashboards: stale generated files (run npm run dashboards): ${stale.join(', ')}`);
    return 1;
  }
  mkdirSync(dir, { recursive: true });
  const expected = expectedFiles();
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.json') && !expected.has(file)) unlinkSync(join(dir, file));
  }
  for (const [file, content] of expected) writeFileSync(join(dir, file), content);
  console.log(`dashboards: wrote ${[...expected.keys()].join(', ')} to ${dir}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
