/**
 * What a running stage is: its ports, secrets and files, written to `<dir>/stage.json` by
 * `stage up` and read by every other command (and by the stage suite).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');
/** Where `make stage` keeps its state unless STAGE_DIR says otherwise. */
export const DEFAULT_STAGE_DIR = join(REPO_ROOT, 'tmp', 'stage');
/** Kubernetes-style names, as the chart and the rules label things. */
export const NAMESPACE = 'socket-gateway';
export const SENTINEL_GROUP = 'sg-primary';

export interface GatewayPorts {
  /** Pod name: INSTANCE_ID and the `pod` label. */
  name: string;
  port: number;
  apiPort: number;
  metricsPort: number;
}

export interface StageState {
  dir: string;
  ingressPort: number;
  gateways: GatewayPorts[];
  /** Data nodes `redis-0` (first primary) and `redis-1` (first replica). */
  redis: Array<{ name: string; port: number }>;
  sentinels: Array<{ name: string; port: number }>;
  exporters: Array<{ name: string; port: number; target: string }>;
  prometheusPort: number;
  alertmanagerPort: number;
  receiverPort: number;
  jwtSecret: string;
  apiKey: string;
  webhookSecret: string;
  /** Environment every gateway shares (the chart's ConfigMap and Secret), without its ports. */
  gatewayEnv: Record<string, string>;
  /** The chart's preStop sleep (drain.preStopSleepSeconds), played by `stage roll`. */
  preStopSleepSeconds: number;
  /** Readiness probe of the chart, followed by the poller. */
  readiness: { periodSeconds: number; failureThreshold: number };
  /** Scrape and rule evaluation interval of the stage's Prometheus. */
  scrapeInterval: string;
}

export function stageDir(): string {
  return resolve(process.env.STAGE_DIR || DEFAULT_STAGE_DIR);
}

export const stateFile = (dir: string) => join(dir, 'stage.json');
export const receiverLog = (dir: string) => join(dir, 'logs', 'receiver.jsonl');
export const nginxPrefix = (dir: string) => join(dir, 'nginx');

export function readState(dir: string): StageState | null {
  const file = stateFile(dir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StageState) : null;
}

export function writeState(state: StageState): void {
  writeFileSync(stateFile(state.dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}
