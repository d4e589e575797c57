#!/usr/bin/env node
// Stands in for `helm` where no cluster exists: an install or upgrade of the gateway chart is
// rendered with `helm template` and the same release, namespace, chart and values; the flags that
// only talk to a cluster (--wait, --timeout, --atomic) are dropped. Anything else fails loudly.
const { spawnSync } = require('node:child_process');

const args = process.argv.slice(2);
const out = [];
let verb = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--wait' || a === '--atomic') continue;
  if (a === '--timeout') {
    i++;
    continue;
  }
  if (!verb && (a === 'upgrade' || a === 'install')) {
    verb = a;
    out.push('template');
    if (args[i + 1] === '--install') i++;
    continue;
  }
  out.push(a);
}
if (!verb) {
  process.stderr.write(`helm shim: only install and upgrade can be rendered here: helm ${args.join(' ')}\n`);
  process.exit(3);
}
const r = spawnSync(process.env.REAL_HELM, out, { stdio: 'inherit' });
process.exit(r.status ?? 1);
