/**
 * Plays the endpoints controller for the stage's nginx: probes every gateway's /readyz as the
 * chart's readinessProbe does (every periodSeconds; out after failureThreshold failures in a
 * row, back after one success) and, when the set of ready gateways changes, rewrites nginx.conf
 * and reloads nginx. nginx's own passive checks (max_fails/fail_timeout) cover the gap between
 * two probes. Run as a daemon by `stage up`: `node -r ./app/bench/register-ts.js scripts/stage/readiness-poller.ts <stage dir>`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reloadIngress, writeIngressConfig } from './ingress';
import { nginxPrefix, readState, type StageState } from './state';

export const upstreamFile = (dir: string) => join(nginxPrefix(dir), 'upstream.json');

/** Indexes of the gateways nginx currently routes to (what the poller last wrote). */
export function routedGateways(dir: string): number[] {
  return existsSync(upstreamFile(dir)) ? (JSON.parse(readFileSync(upstreamFile(dir), 'utf8')) as { ready: number[] }).ready : [];
}

/** Writes the config for `ready` and records it; the caller reloads nginx if it runs. */
export function routeTo(s: StageState, ready: number[]): void {
  writeIngressConfig(s, ready);
  writeFileSync(upstreamFile(s.dir), `${JSON.stringify({ ready, at: new Date().toISOString() })}\n`);
}

async function probe(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

const log = (event: string, metadata: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ timestamp: new Date().toISOString(), level: 'info', event, metadata })}\n`);

/**
 * A terminating pod leaves the endpoints at once, before its preStop hook and SIGTERM, whatever
 * its readiness says: `stage roll` marks the instance with this file and removes it when the
 * replacement starts.
 */
export const terminatingMark = (dir: string, name: string) => join(nginxPrefix(dir), `terminating-${name}`);

/** How often terminating marks are looked at (Kubernetes reacts to a deletion within moments). */
const TICK_MS = 200;

export async function runPoller(s: StageState, stop: () => boolean = () => false): Promise<void> {
  const { periodSeconds, failureThreshold } = s.readiness;
  const failures = s.gateways.map(() => 0);
  let routed = routedGateways(s.dir);
  const ready = new Set(routed);
  let nextProbeAt = 0;
  log('poller.started', { periodSeconds, failureThreshold, routed });
  while (!stop()) {
    if (Date.now() >= nextProbeAt) {
      nextProbeAt = Date.now() + periodSeconds * 1000;
      const results = await Promise.all(s.gateways.map((g) => probe(`http://127.0.0.1:${g.port}/readyz`, Math.min(3000, periodSeconds * 1000))));
      results.forEach((ok, i) => {
        failures[i] = ok ? 0 : failures[i] + 1;
        if (ok) ready.add(i);
        else if (failures[i] >= failureThreshold) ready.delete(i);
      });
    }
    const terminating = s.gateways.map((g, i) => (existsSync(terminatingMark(s.dir, g.name)) ? i : -1)).filter((i) => i >= 0);
    // Its replacement is a new pod: routed only after a readiness probe of its own passes.
    for (const i of terminating) ready.delete(i);
    // With no gateway ready nginx keeps the last list: an empty upstream is not a valid config,
    // and the passive checks answer 502 for instances that are gone, as an Ingress with no endpoints answers 503.
    const next = [...ready].sort();
    if (next.length > 0 && next.join() !== routed.join()) {
      routeTo(s, next);
      try {
        reloadIngress(s);
        const names = (l: number[]) => l.map((i) => s.gateways[i].name);
        log('poller.routed', { ready: names(next), removed: names(routed.filter((i) => !next.includes(i))), added: names(next.filter((i) => !routed.includes(i))), terminating: names(terminating) });
        routed = next;
      } catch (err) {
        log('poller.reload_failed', { err: (err as Error).message });
      }
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
}

if (require.main === module) {
  const dir = process.argv[2];
  const state = dir ? readState(dir) : null;
  if (!state) {
    process.stderr.write(`readiness-poller: no stage state in ${dir}\n`);
    process.exit(2);
  }
  void runPoller(state);
}
