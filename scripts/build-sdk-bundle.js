#!/usr/bin/env node
/**
 * Builds the browser bundles into dist/sdk/:
 *   gateway-client.js  the client SDK with socket.io-client, as the global `SocketGateway` (IIFE)
 *   demo-app.js        the demo page's script, which uses that global
 * Usage: node scripts/build-sdk-bundle.js   (part of `npm run build`)
 */
const { build } = require('esbuild');
const { mkdirSync, renameSync, writeFileSync } = require('node:fs');
const { basename, join } = require('node:path');

const root = join(__dirname, '..');
const outDir = join(root, 'dist', 'sdk');

const bundles = [
  { entry: 'app/src/client/browser.ts', out: 'gateway-client.js', globalName: 'SocketGateway' },
  { entry: 'app/src/demo/page/demo-app.ts', out: 'demo-app.js' },
];

async function main() {
  mkdirSync(outDir, { recursive: true });
  for (const b of bundles) {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [b.entry],
      outfile: join(outDir, b.out),
      bundle: true,
      format: 'iife',
      globalName: b.globalName,
      platform: 'browser',
      target: ['es2020'],
      minify: true,
      sourcemap: 'external',
      legalComments: 'linked',
      write: false,
      logLevel: 'warning',
    });
    // Write beside, then rename: a gateway serving the demo never reads a half-written file.
    for (const file of result.outputFiles) {
      const tmp = `${file.path}.${process.pid}.tmp`;
      writeFileSync(tmp, file.contents);
      renameSync(tmp, file.path);
    }
    const main = result.outputFiles.find((f) => f.path.endsWith('.js'));
    process.stdout.write(`built dist/sdk/${basename(main.path)} (${(main.contents.length / 1024).toFixed(1)} KiB)\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
