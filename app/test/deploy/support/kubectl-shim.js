#!/usr/bin/env node
// Stands in for `kubectl exec` where no cluster exists: runs the command as the gateway
// container would, with the pod's environment ($POD_ENV) and the image's /app mapped to this
// checkout. Accepts only the exact form the docs use; anything else fails loudly.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const [flagN, namespace, verb, target, ...rest] = process.argv.slice(2);
// POD_EXPECT: the container and checkout, and every install (namespace + Deployment) that exists.
const expected = JSON.parse(process.env.POD_EXPECT);
const fail = (msg) => {
  process.stderr.write(`kubectl shim: ${msg}: kubectl ${process.argv.slice(2).join(' ')}\n`);
  process.exit(3);
};
if (flagN !== '-n' || verb !== 'exec') fail('only `kubectl -n <namespace> exec ...` is supported');
const installs = expected.installs.filter((i) => i.namespace === namespace);
if (installs.length === 0) fail(`namespace ${namespace} is not one of ${expected.installs.map((i) => i.namespace).join(', ')}`);
if (!installs.some((i) => target === `deploy/${i.deployment}`)) fail(`target ${target} is not ${installs.map((i) => `deploy/${i.deployment}`).join(' or ')}`);
let args = rest;
if (args[0] === '-c') {
  if (args[1] !== expected.container) fail(`container ${args[1]} is not ${expected.container}`);
  args = args.slice(2);
}
if (args[0] !== '--') fail('expected -- before the command');
const [cmd, ...cmdArgs] = args.slice(1);
const local = cmd.startsWith('/app/') ? path.join(expected.appDir, cmd.slice('/app/'.length)) : cmd;
const r = spawnSync(local, cmdArgs, { stdio: 'inherit', env: { PATH: process.env.PATH, ...JSON.parse(process.env.POD_ENV) } });
process.exit(r.status ?? 1);
