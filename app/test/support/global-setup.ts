import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/**
 * Suites that run the gateway as a real child process (multi-instance, SIGKILL, drain, CLIs,
 * browser, package install) need the compiled dist/, the client packages and the browser
 * bundles; build them once before the workers start,
 * only when sources are newer. Type errors do not stop the build here (tsc still emits): the
 * typecheck spec reports them as one failing test instead of aborting every suite.
 */
export default function globalSetup(): void {
  const main = join(ROOT, 'dist', 'app', 'src', 'main.js');
  // The demo bundle is built last, after both packages: newer than the sources means all are.
  const bundle = join(ROOT, 'dist', 'sdk', 'demo-app.js');
  const sources = newestMtime(join(ROOT, 'app', 'src'));
  const bundleSources = Math.max(sources, newestMtime(join(ROOT, 'app', 'react', 'src')));
  if (!existsSync(main) || statSync(main).mtimeMs < sources) {
    spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'ignore', cwd: ROOT });
    if (!existsSync(main)) throw new Error('tsc produced no dist/app/src/main.js; run `npm run build` to see why');
  }
  const packages = ['client', 'react'].map((p) => join(ROOT, 'app', p, 'dist', 'index.mjs'));
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < bundleSources || !packages.every((p) => existsSync(p))) {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-sdk-bundle.js')], { stdio: 'inherit', cwd: ROOT });
  }
}
