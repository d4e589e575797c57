import { buildSync } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = join(__dirname, '..', '..', '..');

/** Each package's size budget (bytes, minified + gzip -9, its dependencies left out) and what it may import. */
const PACKAGES = [
  { dir: 'client', budget: 12_000, imports: ['socket.io-client'] },
  { dir: 'react', budget: 4_000, imports: ['@socket-gateway/client', 'react'] },
];

/** What an application's bundler would add for the package: its ESM build, minified, gzipped. */
function minGzip(dir: string, external: string[]): number {
  const out = buildSync({
    entryPoints: [join(ROOT, 'app', dir, 'dist', 'index.mjs')], bundle: true, minify: true, format: 'esm',
    platform: 'browser', external, write: false, logLevel: 'silent',
  });
  return gzipSync(out.outputFiles[0].contents, { level: 9 }).length;
}

describe('package budgets', () => {
  it.each(PACKAGES)('@socket-gateway/$dir should stay within its budget and say so in its README', ({ dir, budget, imports }) => {
    const size = minGzip(dir, imports);
    expect(size).toBeLessThanOrEqual(budget);
    const readme = readFileSync(join(ROOT, 'app', dir, 'README.md'), 'utf8');
    const claim = readme.match(/budget: \*\*([\d.]+) KB\*\* minified \+ gzip[^\n]*measured \*\*([\d.]+) KB\*\*/);
    expect(claim).not.toBeNull();
    expect(Number(claim![1]) * 1000).toBe(budget);
    // The published measurement stays within 0.5 KB of the real one.
    expect(Math.abs(Number(claim![2]) * 1000 - size)).toBeLessThanOrEqual(500);
  });

  it.each(PACKAGES)('@socket-gateway/$dir should import nothing but its dependencies (no Node built-ins)', ({ dir, imports }) => {
    for (const file of ['index.mjs', 'index.cjs']) {
      // esbuild's own parse of the build lists every import and require() it makes.
      const { metafile } = buildSync({
        entryPoints: [join(ROOT, 'app', dir, 'dist', file)], bundle: true, write: false, metafile: true,
        platform: 'neutral', external: ['*'], logLevel: 'silent',
      });
      const specifiers = Object.values(metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
      expect([...new Set(specifiers)].sort()).toEqual(imports);
    }
  });
});
