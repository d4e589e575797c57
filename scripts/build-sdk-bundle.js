#!/usr/bin/env node
/**
 * Builds the client packages and the browser bundles:
 *   app/client/dist/   @socket-gateway/client: index.mjs (ESM), index.cjs (CJS), types/ (.d.ts)
 *   app/react/dist/    @socket-gateway/react: the same three, on top of the client package
 *   dist/sdk/gateway-client.js  the client SDK with socket.io-client, as the global `SocketGateway` (IIFE)
 *   dist/sdk/demo-app.js        the demo page: a React app on @socket-gateway/react
 * Usage: node scripts/build-sdk-bundle.js   (part of `npm run build` and `make build`)
 *        node scripts/build-sdk-bundle.js --packages client[,react]   (the packages' `prepack`:
 *        `npm pack` and `npm publish` in app/client or app/react build what they pack)
 */
const { build } = require('esbuild');
const { execFileSync } = require('node:child_process');
const { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { basename, join, relative } = require('node:path');

const root = join(__dirname, '..');
const sdkDir = join(root, 'dist', 'sdk');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** Library builds: readable (apps minify), dependencies left to the app's bundler. */
const packages = [
  { dir: 'app/client', entry: 'app/src/client/index.ts', external: ['socket.io-client'] },
  { dir: 'app/react', entry: 'app/react/src/index.ts', external: ['react', '@socket-gateway/client'] },
];

const bundles = [
  { entry: 'app/src/client/browser.ts', out: 'gateway-client.js', globalName: 'SocketGateway' },
  { entry: 'app/src/demo/page/demo-app.tsx', out: 'demo-app.js' },
];

/** Writes beside, then renames: a gateway serving the demo never reads a half-written file. */
function writeAtomically(files) {
  for (const file of files) {
    mkdirSync(join(file.path, '..'), { recursive: true });
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
}

/** Every file under `dir`, as absolute paths. */
function listFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * Rebuilds a package's dist/ in place: every file replaced by a rename, then what the build did
 * not write removed. Never an empty or half-written dist/ for a test or bundler reading it meanwhile,
 * and nothing left over from an older build for `npm pack` to ship.
 */
async function buildPackage(p) {
  const dist = join(root, p.dir, 'dist');
  const written = new Set();
  for (const [format, ext] of [['esm', 'mjs'], ['cjs', 'cjs']]) {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [p.entry],
      outfile: join(dist, `index.${ext}`),
      bundle: true,
      format,
      // platform browser: a Node built-in anywhere in the SDK fails the build.
      platform: 'browser',
      target: ['es2020'],
      external: p.external,
      sourcemap: 'external',
      write: false,
      logLevel: 'warning',
    });
    writeAtomically(result.outputFiles);
    for (const f of result.outputFiles) written.add(f.path);
  }
  // The declarations go to a scratch folder beside dist/ (same file system), then move in one rename each.
  const scratch = join(root, p.dir, `.types.${process.pid}.tmp`);
  rmSync(scratch, { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [tsc, '-p', join(root, p.dir, 'tsconfig.types.json'), '--outDir', scratch], { stdio: 'inherit', cwd: root });
    for (const file of listFiles(scratch)) {
      const target = join(dist, 'types', relative(scratch, file));
      mkdirSync(join(target, '..'), { recursive: true });
      renameSync(file, target);
      written.add(target);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  for (const file of listFiles(dist)) if (!written.has(file)) rmSync(file, { force: true });
  // stderr: under `npm pack --json` stdout carries the JSON.
  process.stderr.write(`built ${relative(root, dist)}/ (index.mjs, index.cjs, types/)\n`);
}

async function buildBundle(b) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [b.entry],
    outfile: join(sdkDir, b.out),
    bundle: true,
    format: 'iife',
    globalName: b.globalName,
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    sourcemap: 'external',
    legalComments: 'linked',
    write: false,
    logLevel: 'warning',
  });
  writeAtomically(result.outputFiles);
  const main = result.outputFiles.find((f) => f.path.endsWith('.js'));
  process.stdout.write(`built dist/sdk/${basename(main.path)} (${(main.contents.length / 1024).toFixed(1)} KiB)\n`);
}

/** `--packages client,react`: only those packages (in build order), no browser bundles. */
function selection(argv) {
  const i = argv.indexOf('--packages');
  if (i === -1) return { packages, bundles };
  const names = (argv[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !packages.some((p) => p.dir === `app/${n}`));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(`--packages takes a comma-separated list of ${packages.map((p) => basename(p.dir)).join(', ')}; got "${argv[i + 1] ?? ''}"`);
  }
  return { packages: packages.filter((p) => names.includes(basename(p.dir))), bundles: [] };
}

async function main() {
  const chosen = selection(process.argv.slice(2));
  // In order: the react package's types and the demo resolve @socket-gateway/* to the built packages.
  for (const p of chosen.packages) await buildPackage(p);
  for (const b of chosen.bundles) await buildBundle(b);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
