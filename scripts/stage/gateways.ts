/** The stage's three gateway instances: the compiled dist/ with the environment the chart gives a pod. */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logTail, runningPid, signalDaemon, sleep, startDaemon, waitExited, waitFor } from './daemons';
import { routedGateways, terminatingMark } from './readiness-poller';
import { REPO_ROOT, type GatewayPorts, type StageState } from './state';

export const GATEWAY_MAIN = join(REPO_ROOT, 'dist', 'app', 'src', 'main.js');

export function gatewayByName(s: StageState, name: string): { gateway: GatewayPorts; index: number } {
  const index = s.gateways.findIndex((g) => g.name === name);
  if (index < 0) throw new Error(`no gateway "${name}" (the stage has ${s.gateways.map((g) => g.name).join(', ')})`);
  return { gateway: s.gateways[index], index };
}

/** Starts one instance as its pod would run: the shared env, its own ports, INSTANCE_ID from the pod name. */
export function startGateway(s: StageState, g: GatewayPorts): void {
  if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} is missing: run make build`);
  startDaemon(s.dir, {
    name: g.name,
    command: process.execPath,
    args: [GATEWAY_MAIN],
    cwd: REPO_ROOT,
    env: { ...s.gatewayEnv, PORT: String(g.port), API_PORT: String(g.apiPort), METRICS_PORT: String(g.metricsPort), INSTANCE_ID: g.name },
  });
}

export async function readyz(g: GatewayPorts): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${g.port}/readyz`, { signal: AbortSignal.timeout(3000) });
  await res.arrayBuffer();
  return res.status;
}

export async function waitGatewayReady(s: StageState, g: GatewayPorts, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${g.name} ready`, timeoutMs, async () => {
    if (runningPid(s.dir, g.name) === null) throw new Error(`${g.name} exited during start:\n${logTail(s.dir, g.name)}`);
    return (await readyz(g)) === 200;
  }, () => logTail(s.dir, g.name));
}

/** Milliseconds each step of a rolling restart of one instance took, from the pod's deletion. */
export interface RollTimings {
  /** deletion → nginx no longer routes to it */
  unroutedMs: number;
  /** deletion → SIGTERM (the preStop sleep) */
  sigtermMs: number;
  /** SIGTERM → the process exited by itself (drain done) */
  drainedMs: number;
  /** exit → /readyz 200 again */
  readyMs: number;
  /** ready → nginx routes to it again */
  routedMs: number;
}

/**
 * One step of a rolling restart, as Kubernetes replaces a pod: the pod leaves the endpoints (the
 * poller takes it out of nginx), the preStop hook sleeps drain.preStopSleepSeconds, SIGTERM turns
 * readiness to 503 and the gateway drains and exits by itself; then the instance starts again,
 * turns ready and the poller routes to it again.
 */
export async function rollGateway(s: StageState, name: string): Promise<RollTimings> {
  const { gateway, index } = gatewayByName(s, name);
  if (runningPid(s.dir, name) === null) throw new Error(`${name} is not running`);
  const budgetMs = Number(s.gatewayEnv.DRAIN_DELAY_MS) + Number(s.gatewayEnv.DRAIN_WINDOW_MS) + 30_000;
  const t0 = Date.now();
  writeFileSync(terminatingMark(s.dir, name), `${new Date().toISOString()}\n`);
  let unroutedAt = 0;
  const watchRoute = () => {
    if (!unroutedAt && !routedGateways(s.dir).includes(index)) unroutedAt = Date.now();
  };
  const preStopEnds = t0 + s.preStopSleepSeconds * 1000;
  while (Date.now() < preStopEnds) {
    watchRoute();
    await sleep(50);
  }
  const sigtermAt = Date.now();
  signalDaemon(s.dir, name, 'SIGTERM');
  await waitFor(`${name} drained and exited`, budgetMs, () => {
    watchRoute();
    return runningPid(s.dir, name) === null;
  }, () => logTail(s.dir, name));
  const exitedAt = Date.now();
  rmSync(terminatingMark(s.dir, name), { force: true });
  startGateway(s, gateway);
  await waitGatewayReady(s, gateway);
  const readyAt = Date.now();
  const periodMs = s.readiness.periodSeconds * 1000;
  await waitFor(`${name} routed by nginx again`, periodMs * 3 + 10_000, () => routedGateways(s.dir).includes(index), () => logTail(s.dir, 'readiness-poller'));
  return { unroutedMs: unroutedAt ? unroutedAt - t0 : -1, sigtermMs: sigtermAt - t0, drainedMs: exitedAt - sigtermAt, readyMs: readyAt - exitedAt, routedMs: Date.now() - readyAt };
}

export async function stopGateway(s: StageState, name: string): Promise<void> {
  // A second SIGTERM skips the drain (README "Graceful shutdown"): tearing the stage down has nothing to hand over.
  signalDaemon(s.dir, name, 'SIGTERM');
  await sleep(300);
  signalDaemon(s.dir, name, 'SIGTERM');
  if (!(await waitExited(s.dir, name, 10_000))) signalDaemon(s.dir, name, 'SIGKILL');
  await waitExited(s.dir, name, 5_000);
}
