/**
 * The chart, rendered by the real helm binary for the defaults and every example values file,
 * must lint strictly, validate against the Kubernetes/CRD schemas with unknown fields refused,
 * and satisfy every deployment policy.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CHART_DIR, helm, helmTemplate, parseManifests } from './test/helm';
import { schemaErrors, type K8sObject } from './test/k8s-schema';
import { APP_ENDPOINTS } from './test/app-contract';
import { allViolations, containerEnv, expectedRuleGroups } from './test/policies';
import { alertRuleFiles, dashboardFiles } from './test/repo-inputs';

const CI_FILES = readdirSync(path.join(CHART_DIR, 'ci'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const CASES: [string, string[]][] = [['defaults', []], ...CI_FILES.map((f): [string, string[]] => [`ci/${f}`, [path.join(CHART_DIR, 'ci', f)]])];

function gateway(objs: K8sObject[]): K8sObject {
  const d = objs.find((o) => o.kind === 'Deployment');
  if (!d) throw new Error('no Deployment rendered');
  return d;
}

function gatewayContainer(objs: K8sObject[]): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return (gateway(objs).spec as any).template.spec.containers.find((c: { name: string }) => c.name === 'gateway'); // eslint-disable-line @typescript-eslint/no-explicit-any
}

function valueOf(valuesFiles: string[], key: string): string {
  for (const f of valuesFiles) {
    const m = new RegExp(`${key}:\\s*(\\S+)`).exec(readFileSync(f, 'utf8'));
    if (m) return m[1];
  }
  return '';
}

function runbookBase(valuesFiles: string[]): string {
  for (const f of valuesFiles) {
    const m = /runbookBaseUrl:\s*(\S+)/.exec(readFileSync(f, 'utf8'));
    if (m) return m[1];
  }
  return '';
}

describe('helm chart socket-gateway', () => {
  it('should comment every key of values.yaml (list items excepted)', () => {
    const lines = readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8').split('\n');
    let listIndent = -1;
    const uncommented: string[] = [];
    lines.forEach((line, i) => {
      const indent = line.length - line.trimStart().length;
      if (/^\s*- /.test(line)) listIndent = indent;
      else if (line.trim() && indent <= listIndent) listIndent = -1;
      if (listIndent >= 0 || !/^\s*[A-Za-z0-9_.]+:/.test(line)) return;
      if (!/^\s*#/.test(lines[i - 1] ?? '')) uncommented.push(`${i + 1}: ${line.trim()}`);
    });
    expect(uncommented).toEqual([]);
  });

  it('should find example values for every routing provider and Redis mode', () => {
    const all = CI_FILES.join(' ');
    for (const p of ['gateway-api', 'ingress-traefik', 'ingress-nginx', 'no-routing']) expect(all).toContain(p);
    for (const r of ['standalone-redis', 'external-redis']) expect(all).toContain(r);
  });

  describe.each(CASES)('with %s', (_name, valuesFiles) => {
    let objs: K8sObject[];
    beforeAll(() => {
      objs = helmTemplate({ valuesFiles });
    });

    it('should pass helm lint --strict', () => {
      const r = helm(['lint', '--strict', CHART_DIR, ...valuesFiles.flatMap((f) => ['--values', f])]);
      expect(r.stderr + r.stdout).toContain('0 chart(s) failed');
      expect(r.code).toBe(0);
    });

    it('should render objects valid against the Kubernetes and CRD schemas, unknown fields refused', async () => {
      expect(await schemaErrors(objs)).toEqual([]);
    });

    it('should satisfy every deployment policy', () => {
      const violations = allViolations(objs, {
        app: APP_ENDPOINTS,
        alertGroups: expectedRuleGroups(alertRuleFiles(), runbookBase(valuesFiles), valueOf(valuesFiles, 'dashboardBaseUrl')),
        dashboards: dashboardFiles(),
        runbookBaseUrl: runbookBase(valuesFiles),
      });
      expect(violations).toEqual([]);
    });

    it('should name objects as the runbooks expect', () => {
      const names = objs.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(names).toEqual(expect.arrayContaining(['Deployment/socket-gateway', 'Service/socket-gateway', 'ConfigMap/socket-gateway-config']));
      expect(gatewayContainer(objs).name).toBe('gateway');
      for (const o of objs) expect(o.metadata.labels?.['app.kubernetes.io/instance']).toBe('socket-gateway');
    });
  });

  it('should size the grace period from the drain settings whatever they are', () => {
    const objs = helmTemplate({ values: { drain: { preStopSleepSeconds: 7, delayMs: 12_001, windowMs: 90_000, marginSeconds: 10 } } });
    expect((gateway(objs).spec as any).template.spec.terminationGracePeriodSeconds).toBe(7 + 13 + 90 + 10); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(containerEnv(objs, gatewayContainer(objs))).toMatchObject({ DRAIN_DELAY_MS: '12001', DRAIN_WINDOW_MS: '90000' });
  });

  it('should roll the pods when the configuration changes', () => {
    const checksum = (objs: K8sObject[]) => (gateway(objs).spec as any).template.metadata.annotations['checksum/config']; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(checksum(helmTemplate({ values: { config: { logLevel: 'warn' } } }))).not.toBe(checksum(helmTemplate()));
  });

  it('should scale with a custom connected-sockets metric and a long scale-down window', () => {
    const objs = helmTemplate({ values: { autoscaling: { connectedSockets: { enabled: true, targetAverageValue: '3000' } } } });
    const hpa = objs.find((o) => o.kind === 'HorizontalPodAutoscaler')!.spec as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(hpa.metrics).toContainEqual({ type: 'Pods', pods: { metric: { name: 'socket_gateway_connected_sockets' }, target: { type: 'AverageValue', averageValue: '3000' } } });
    expect(hpa.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(600);
    expect(gateway(objs).spec).not.toHaveProperty('replicas');
  });

  it('should refuse unknown values through the strict values schema', () => {
    const r = helm(['template', 'socket-gateway', CHART_DIR, '--set', 'routing.stickySession=true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/stickySession/);
  });

  it('should refuse to disable stickiness while clients may long-poll', () => {
    const r = helm(['template', 'socket-gateway', CHART_DIR, '--set', 'routing.provider=ingress-nginx,routing.host=a.example.com,routing.stickySessions=false']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/stickySessions=false requires config.transports=\[websocket\]/);
  });

  it('should set TRUST_PROXY behind every routing provider (1 by default, or the configured CIDRs) and never without one', () => {
    const env = (valuesFiles: string[], values?: object) => {
      const objs = helmTemplate({ valuesFiles, values });
      return containerEnv(objs, gatewayContainer(objs));
    };
    const routed = CI_FILES.filter((f) => !f.startsWith('no-routing')).map((f) => path.join(CHART_DIR, 'ci', f));
    expect(routed.length).toBeGreaterThanOrEqual(3);
    for (const f of routed) expect(env([f])).toMatchObject({ TRUST_PROXY: '1', RATE_LIMIT_CONNECT_PER_IP: '600', RATE_LIMIT_CONNECT_PER_USER: '10', MAX_HTTP_BUFFER_SIZE: '65536' });
    expect(env([routed[0]], { routing: { trustProxy: '10.0.0.0/8,fd00::/8' } }).TRUST_PROXY).toBe('10.0.0.0/8,fd00::/8');
    expect(env([])).not.toHaveProperty('TRUST_PROXY');
    const bad = helm(['template', 'socket-gateway', CHART_DIR, '--set', 'routing.trustProxy=true']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/trustProxy/);
  });

  it('should never pass JWT_SECRET when a JWKS URL verifies tokens', () => {
    const objs = helmTemplate({ values: { config: { jwt: { jwksUrl: 'https://auth.example.com/jwks.json' } } } });
    const names = gatewayContainer(objs).env.map((e: { name: string }) => e.name);
    expect(names).not.toContain('JWT_SECRET');
    expect(containerEnv(objs, gatewayContainer(objs)).JWT_JWKS_URL).toBe('https://auth.example.com/jwks.json');
  });

  it('should hand the pods a Redis configuration the gateway accepts in each REDIS_MODE, passwords only from the Secret', async () => {
    const { loadConfig } = require('../app/src/config/config') as typeof import('../app/src/config/config.js');
    const secret: Record<string, string> = { JWT_SECRET: 'x'.repeat(32), REDIS_URL: 'redis://redis:6379', REDIS_PASSWORD: 'data-pw', REDIS_SENTINEL_PASSWORD: 'sentinel-pw' };
    const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [{}, { topology: { mode: 'standalone', url: 'redis://redis:6379' }, waitReplicas: 0 }],
      [{ redisTopology: { mode: 'sentinel', sentinels: ['s1:26379', 's2:26379'], sentinelName: 'gw', waitReplicas: 1 } }, {
        topology: { mode: 'sentinel', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], name: 'gw', sentinelPassword: 'sentinel-pw', password: 'data-pw', tls: false },
        waitReplicas: 1,
      }],
      [{ redisAdapter: 'sharded', redisTopology: { mode: 'cluster', clusterNodes: ['c1:7000'], tls: true } }, {
        topology: { mode: 'cluster', nodes: [{ host: 'c1', port: 7000 }], password: 'data-pw', tls: true }, waitReplicas: 0,
      }],
    ];
    for (const [config, expected] of cases) {
      const objs = helmTemplate({ values: { config } });
      const container = gatewayContainer(objs);
      const fromSecret = Object.fromEntries(container.env
        .filter((e: { valueFrom?: { secretKeyRef?: { key: string } } }) => e.valueFrom?.secretKeyRef && secret[e.valueFrom.secretKeyRef.key] !== undefined)
        .map((e: { name: string; valueFrom: { secretKeyRef: { key: string } } }) => [e.name, secret[e.valueFrom.secretKeyRef.key]]));
      expect(loadConfig({ ...containerEnv(objs, container), ...fromSecret }).redis).toEqual(expected);
    }
  });

  it('should refuse a Cluster with the classic adapter or without seed nodes, and a Sentinel set without its group', () => {
    const refused = (set: string) => helm(['template', 'socket-gateway', CHART_DIR, '--set', set]);
    expect(refused('config.redisTopology.mode=cluster,config.redisAdapter=sharded').stderr).toMatch(/clusterNodes is required/);
    expect(refused('config.redisTopology.mode=cluster,config.redisTopology.clusterNodes={c1:7000}').stderr).toMatch(/redisAdapter must be sharded/);
    expect(refused('config.redisTopology.mode=sentinel,config.redisTopology.sentinels={s1:26379}').stderr).toMatch(/sentinelName are required/);
  });

  it('should package with alerts and dashboards resolved from their single home', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'sg-package-'));
    try {
      expect(helm(['package', CHART_DIR, '--destination', out]).code).toBe(0);
      const archive = path.join(out, 'socket-gateway-0.1.0.tgz');
      const r = helm(['template', 'socket-gateway', archive, '-n', 'socket-gateway', '--set', 'monitoring.prometheusRule.enabled=true,monitoring.dashboards.enabled=true']);
      expect(r.stderr).toBe('');
      const fromArchive = parseManifests(r.stdout);
      const fromDir = helmTemplate({ values: { monitoring: { prometheusRule: { enabled: true }, dashboards: { enabled: true } } } });
      const pick = (objs: K8sObject[]) => objs.filter((o) => o.kind === 'PrometheusRule' || o.metadata.labels?.grafana_dashboard === '1');
      expect(pick(fromArchive)).toHaveLength(1 + dashboardFiles().length);
      expect(pick(fromArchive)).toEqual(pick(fromDir));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
