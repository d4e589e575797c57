/**
 * The stage's ingress: Debian's nginx with the configuration scripts/nginx/nginx-config.ts
 * writes from the chart's routing values, listing only the gateways whose readiness the poller
 * (readiness-poller.ts) last saw pass.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { chartRouting, nginxConfig } from '../nginx/nginx-config';
import { nginxBinary } from '../../app/test/support/nginx';
import { logTail, startDaemon, waitFor } from './daemons';
import { nginxPrefix, type StageState } from './state';

const confPath = (s: StageState) => join(nginxPrefix(s.dir), 'nginx.conf');

/** Affinity cookie value of gateway `i`: stable while instances leave and rejoin the upstream. */
export const routeName = (i: number) => `gw${i}`;

/** Writes nginx.conf routing to the gateways at `ready` (indexes into s.gateways); atomically, so a reload never reads half a file. */
export function writeIngressConfig(s: StageState, ready: number[]): void {
  const prefix = nginxPrefix(s.dir);
  mkdirSync(prefix, { recursive: true });
  const config = nginxConfig({
    ...chartRouting(),
    listen: `127.0.0.1:${s.ingressPort}`,
    gateways: ready.map((i) => `127.0.0.1:${s.gateways[i].port}`),
    routeNames: ready.map(routeName),
    prefix,
    // As root, workers would otherwise run as nobody and could not write the prefix.
    user: process.getuid?.() === 0 ? 'root' : undefined,
  });
  const tmp = `${confPath(s)}.tmp`;
  writeFileSync(tmp, config);
  renameSync(tmp, confPath(s));
}

const nginxArgs = (s: StageState) => ['-p', nginxPrefix(s.dir), '-e', join(nginxPrefix(s.dir), 'error.log'), '-c', confPath(s)];

export async function startIngress(s: StageState): Promise<void> {
  const check = spawnSync(nginxBinary(), ['-t', '-q', ...nginxArgs(s)], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused the generated config:\n${check.stderr}`);
  startDaemon(s.dir, { name: 'nginx', command: nginxBinary(), args: nginxArgs(s) });
  await waitFor('nginx listening', 10_000, () => accepts(s.ingressPort), () => logTail(s.dir, 'nginx'));
}

/** `nginx -s reload` against the stage's own prefix and config: the master re-reads it, old workers finish their requests. */
export function reloadIngress(s: StageState): void {
  const res = spawnSync(nginxBinary(), [...nginxArgs(s), '-s', 'reload'], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`nginx -s reload failed: ${res.stderr}`);
}

export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
