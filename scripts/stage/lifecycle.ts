/**
 * `make stage`: a production-shaped topology on this machine (README "Rehearse on the stage").
 * nginx → 3 gateways → Redis primary, replica and 3 sentinels; Prometheus with the shipped rules,
 * Alertmanager with the shipped routing, redis_exporter, and a webhook receiver. Every process is
 * a daemon with a pid file under the stage directory; `down` stops exactly those.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../app/test/support/free-port';
import { renderChart, stageValues, type ChartValues } from './chart-env';
import { runningPid, startDaemon, stopDaemon, logTail, waitFor } from './daemons';
import { startGateway, stopGateway, waitGatewayReady } from './gateways';
import { accepts, startIngress } from './ingress';
import { startMonitoring } from './monitoring';
import { routeTo } from './readiness-poller';
import { currentPrimary, startRedisNode, waitRedisHealthy, writeRedisConfigs } from './redis-set';
import { readState, receiverLog, REPO_ROOT, writeState, type StageState } from './state';

export interface StageOptions {
  dir: string;
  /** Chart values over the stage's own (e.g. shorter drain settings for the stage suite). */
  values?: ChartValues;
  /** Scrape and rule evaluation interval. @default 5s */
  scrapeInterval?: string;
}

const GATEWAYS = 3;
/** Runs a TypeScript file of this folder under plain node, with the SWC hook the benchmark uses. */
const tsDaemon = (file: string, args: string[]) => ({ command: process.execPath, args: ['-r', join(REPO_ROOT, 'app/bench/register-ts.js'), join(__dirname, file), ...args], cwd: REPO_ROOT });

/** Names of the stage's daemons that run now. */
export function runningDaemons(dir: string): string[] {
  const pids = join(dir, 'pids');
  if (!existsSync(pids)) return [];
  return readdirSync(pids).filter((f) => f.endsWith('.pid')).map((f) => f.slice(0, -4)).filter((n) => runningPid(dir, n) !== null);
}

export async function startStage(o: StageOptions): Promise<StageState> {
  if (runningDaemons(o.dir).length > 0) throw new StageAlreadyUp(o.dir);
  // A fresh start: the last run's data, logs and pid files go.
  rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  const port = () => freePort();
  const redis = [{ name: 'redis-0', port: await port() }, { name: 'redis-1', port: await port() }];
  const sentinels = [0, 1, 2].map((i) => ({ name: `sentinel-${i}`, port: 0 }));
  for (const s of sentinels) s.port = await port();
  const receiverPort = await port();
  const chart = renderChart([
    stageValues({ sentinels: sentinels.map((s) => `127.0.0.1:${s.port}`), webhookUrl: `http://127.0.0.1:${receiverPort}/hooks` }),
    ...(o.values ? [o.values] : []),
  ]);
  const gateways = [];
  for (let i = 0; i < GATEWAYS; i++) gateways.push({ name: `socket-gateway-${i}`, port: await port(), apiPort: await port(), metricsPort: await port() });
  const exporters = [];
  for (const n of [...redis, sentinels[0]]) exporters.push({ name: `exporter-${n.name}`, port: await port(), target: String(n.port) });
  const s: StageState = {
    dir: o.dir,
    ingressPort: await port(),
    gateways,
    redis,
    sentinels,
    exporters,
    prometheusPort: await port(),
    alertmanagerPort: await port(),
    receiverPort,
    // The Secret's keys: generated per stage, local use only.
    jwtSecret: randomBytes(48).toString('base64url'),
    apiKey: `stage-${randomBytes(16).toString('hex')}`,
    webhookSecret: randomBytes(24).toString('base64url'),
    gatewayEnv: {},
    readiness: chart.readiness,
    preStopSleepSeconds: chart.preStopSleepSeconds,
    scrapeInterval: o.scrapeInterval ?? '5s',
  };
  s.gatewayEnv = { ...chart.configMap, NODE_ENV: 'production', JWT_SECRET: s.jwtSecret, API_KEYS: s.apiKey, WEBHOOK_SECRET: s.webhookSecret };
  writeState(s);
  try {
    startDaemon(s.dir, { name: 'receiver', ...tsDaemon('receiver.ts', [String(s.receiverPort), receiverLog(s.dir)]) });
    writeRedisConfigs(s);
    for (const n of [...s.redis, ...s.sentinels]) startRedisNode(s, n.name);
    await waitRedisHealthy(s, 60_000);
    await waitFor('receiver listening', 20_000, () => accepts(s.receiverPort), () => logTail(s.dir, 'receiver'));
    for (const g of s.gateways) startGateway(s, g);
    await Promise.all(s.gateways.map((g) => waitGatewayReady(s, g)));
    routeTo(s, s.gateways.map((_, i) => i));
    await startIngress(s);
    startDaemon(s.dir, { name: 'readiness-poller', ...tsDaemon('readiness-poller.ts', [s.dir]) });
    await startMonitoring(s);
    return s;
  } catch (err) {
    await stopStage(s.dir);
    throw err;
  }
}

export class StageAlreadyUp extends Error {
  constructor(readonly dir: string) {
    super(`the stage in ${dir} is already up (${runningDaemons(dir).join(', ')}); run make stage-down first`);
  }
}

/** Stop order: the poller first (it would reload nginx), the ingress, the gateways (before Redis, so they do not log an outage), then the rest. */
const STOP_ORDER = [/^readiness-poller$/, /^nginx$/, /^socket-gateway-/, /^prometheus$/, /^alertmanager$/, /^exporter-/, /^sentinel-/, /^redis-/, /^receiver$/];

/** Stops every daemon this stage directory has a pid file for, and nothing else; a no-op when none runs. */
export async function stopStage(dir: string): Promise<string[]> {
  const state = readState(dir);
  const running = runningDaemons(dir);
  const rank = (n: string) => {
    const i = STOP_ORDER.findIndex((re) => re.test(n));
    return i < 0 ? STOP_ORDER.length : i;
  };
  const stopped: string[] = [];
  for (let r = 0; r <= STOP_ORDER.length; r++) {
    const group = running.filter((n) => rank(n) === r);
    await Promise.all(group.map((n) => (state && /^socket-gateway-/.test(n) ? stopGateway(state, n) : stopDaemon(dir, n))));
    stopped.push(...group);
  }
  return stopped;
}

/** The lines `make stage` prints: every URL, the dev tokens and how to stop. */
export async function describeStage(s: StageState, tokens: { alice: string; bob: string }): Promise<string> {
  const primary = await currentPrimary(s).catch(() => null);
  const rel = (p: string) => p.replace(`${REPO_ROOT}/`, '');
  const ingress = `http://127.0.0.1:${s.ingressPort}`;
  return [
    '',
    `Stage up in ${rel(s.dir)} (pid files in ${rel(join(s.dir, 'pids'))}, logs in ${rel(join(s.dir, 'logs'))}):`,
    `  ingress (nginx)        ${ingress}   (Socket.IO only, as the Ingress; config ${rel(join(s.dir, 'nginx', 'nginx.conf'))})`,
    ...s.gateways.map((g) => `  ${g.name.padEnd(22)} http://127.0.0.1:${g.port}  api http://127.0.0.1:${g.apiPort}/api/v1  metrics http://127.0.0.1:${g.metricsPort}/metrics`),
    `  Redis primary          ${primary ? `${primary.name} 127.0.0.1:${primary.port}` : 'unknown'}; data nodes ${s.redis.map((n) => `${n.name} 127.0.0.1:${n.port}`).join(', ')}`,
    `  sentinels              ${s.sentinels.map((n) => `127.0.0.1:${n.port}`).join(', ')} (group sg-primary)`,
    `  Prometheus             http://127.0.0.1:${s.prometheusPort}/alerts`,
    `  Alertmanager           http://127.0.0.1:${s.alertmanagerPort}`,
    `  webhook receiver       http://127.0.0.1:${s.receiverPort}  (one JSON line per request in ${rel(receiverLog(s.dir))})`,
    `  API key (ops CLI)      ${s.apiKey}`,
    '',
    'Development tokens (valid 24 h, signed with the stage\'s own secret — local use only):',
    `  alice (member):    ${tokens.alice}`,
    `  bob   (moderator): ${tokens.bob}`,
    '',
    'Try it:',
    `  npm run smoke -- --url ${ingress} --token ${tokens.alice}`,
    `  npm run ops -- status --url http://127.0.0.1:${s.gateways[0].apiPort} --api-key ${s.apiKey}`,
    '  scripts/stage/stage status            # what runs, what nginx routes to, the Redis primary',
    '  scripts/stage/stage roll socket-gateway-1   # SIGTERM, drain, restart, routed again',
    '',
    'Stop it: make stage-down',
    '',
  ].join('\n');
}
