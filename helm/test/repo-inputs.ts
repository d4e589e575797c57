/** The chart's inputs that live elsewhere in the repository: alert rules, dashboards, the app. */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './helm';
import type { AppEndpoints } from './policies';

export const ALERTS_DIR = path.join(REPO_ROOT, 'alerts');
export const DASHBOARDS_DIR = path.join(REPO_ROOT, 'dashboards/generated');

export function alertRuleFiles(): { name: string; doc: Record<string, any> }[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return readdirSync(ALERTS_DIR)
    .filter((f) => f.endsWith('.rules.yaml'))
    .map((name) => ({ name, doc: parse(readFileSync(path.join(ALERTS_DIR, name), 'utf8')) }));
}

export function dashboardFiles(): { name: string; json: string }[] {
  if (!existsSync(DASHBOARDS_DIR)) return [];
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((name) => ({ name, json: readFileSync(path.join(DASHBOARDS_DIR, name), 'utf8') }));
}

async function status(url: string): Promise<number> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}

/**
 * Boots the real gateway with the rendered environment (memory engine, ports chosen by the OS)
 * and asks it which of the candidate paths it serves with 200 on each named port.
 */
export async function servedEndpoints(env: Record<string, string>, candidates: string[]): Promise<AppEndpoints> {
  // Loaded on demand: rendering checks that never boot the app should not pay for Nest.
  const { loadConfig } = require('../../app/src/config/config') as typeof import('../../app/src/config/config.js');
  const { startGateway } = require('../../app/src/bootstrap') as typeof import('../../app/src/bootstrap.js');
  const { JsonLogger } = require('../../app/src/common/logger') as typeof import('../../app/src/common/logger.js');
  // Ports chosen by the OS and the memory engine: only what each port serves is under test here.
  const config = loadConfig({ ...env, PORT: '0', API_PORT: '0', METRICS_PORT: '0', ENGINE: 'memory', REDIS_URL: '', LOG_LEVEL: 'silent' });
  const gateway = await startGateway(config, { defaultMetrics: false, logger: new JsonLogger('silent') });
  try {
    const served: AppEndpoints = { http: [], api: [], metrics: [] };
    for (const p of candidates) {
      if ((await status(`http://127.0.0.1:${gateway.port}${p}`)) === 200) served.http.push(p);
      if ((await status(`http://127.0.0.1:${gateway.apiPort}${p}`)) === 200) served.api.push(p);
      if ((await status(`http://127.0.0.1:${gateway.metricsPort}${p}`)) === 200) served.metrics.push(p);
    }
    return served;
  } finally {
    await gateway.close();
  }
}

