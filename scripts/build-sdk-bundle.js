#!/usr/bin/env node
/**
 * Builds the client packages and the browser bundles:
 *   app/client/dist/   @socket-gateway/client: index.mjs (ESM), index.cjs (CJS), types/ (.d.ts)
 *   app/react/dist/    @socket-gateway/react: the same three, on top of the client package
 *   dist/sdk/gateway-client.js  the client SDK with socket.io-client, as the global `SocketGateway` (IIFE)
 *   dist/sdk/demo-app.js        the demo page: a React app on @socket-gateway/react
 * Usage: node scripts/build-sdk-bundle.js   (part of `npm run build` and `make build`)
 */
const { build } = require('esbuild');
const { execFileSync } = require('node:child_process');
const { mkdirSync, renameSync, rmSync, writeFileSync } = require('node:fs');
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

async function buildPackage(p) {
  const dist = join(root, p.dir, 'dist');
  rmSync(dist, { recursive: true, force: true });
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
  }
  execFileSync(process.execPath, [tsc, '-p', join(root, p.dir, 'tsconfig.types.json')], { stdio: 'inherit', cwd: root });
  process.stdout.write(`built ${relative(root, dist)}/ (index.mjs, index.cjs, types/)\n`);
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

async function main() {
  // In order: the react package's types and the demo resolve @socket-gateway/* to the built packages.
  for (const p of packages) await buildPackage(p);
  for (const b of bundles) await buildBundle(b);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
