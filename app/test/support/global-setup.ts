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
 * browser) need the compiled dist/ and the SDK bundle; build both once before the workers start,
 * only when sources are newer. Type errors do not stop the build here (tsc still emits): the
 * typecheck spec reports them as one failing test instead of aborting every suite.
 */
export default function globalSetup(): void {
  const main = join(ROOT, 'dist', 'app', 'src', 'main.js');
  const bundle = join(ROOT, 'dist', 'sdk', 'gateway-client.js');
  const sources = newestMtime(join(ROOT, 'app', 'src'));
  if (!existsSync(main) || statSync(main).mtimeMs < sources) {
    spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'ignore', cwd: ROOT });
    if (!existsSync(main)) throw new Error('tsc produced no dist/app/src/main.js; run `npm run build` to see why');
  }
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < sources) {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-sdk-bundle.js')], { stdio: 'inherit', cwd: ROOT });
  }
}
