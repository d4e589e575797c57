/**
 * Lets plain `node` run the benchmark's TypeScript (and the test-support modules it imports)
 * with the same SWC settings as jest, so `npm run bench`, its load-generator children and the
 * smoke spec all execute the very same sources and no second build output can go stale.
 * Usage: `node -r ./app/bench/register-ts.js app/bench/bench.cli.ts`.
 */
'use strict';
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const options = require('../../scripts/swc-options');

Module._extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};
process.setSourceMapsEnabled?.(true);
