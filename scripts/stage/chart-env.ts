/**
 * The environment the Helm chart gives a gateway pod, rendered by the real `helm template` from
 * the stage's values: the ConfigMap's data plus what the pod spec adds (INSTANCE_ID from the pod
 * name, the Secret's keys). Only the ports differ per instance on one machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CHART_DIR, helmBinary } from '../../helm/test/helm';
import { NAMESPACE, SENTINEL_GROUP } from './state';

/** Chart values (a partial values.yaml), deep-merged by helm over the chart's defaults. */
export type ChartValues = Record<string, unknown>;

export interface StageChart {
  configMap: Record<string, string>;
  readiness: { periodSeconds: number; failureThreshold: number };
  preStopSleepSeconds: number;
}

/** What the stage sets in the chart, as a platform team would for this topology. */
export function stageValues(o: { sentinels: string[]; webhookUrl: string }): ChartValues {
  return {
    // An ingress in front: the chart then sets TRUST_PROXY (routing.trustProxy, 1).
    routing: { provider: 'ingress-nginx', host: 'stage.localhost' },
    config: {
      engine: 'redis',
      redisTopology: { mode: 'sentinel', sentinels: o.sentinels, sentinelName: SENTINEL_GROUP, waitReplicas: 1 },
      webhookUrl: o.webhookUrl,
    },
    monitoring: { serviceMonitor: { enabled: true } },
  };
}

export function renderChart(values: ChartValues[]): StageChart {
  const dir = mkdtempSync(join(tmpdir(), 'sg-stage-values-'));
  try {
    const args = ['template', 'socket-gateway', CHART_DIR, '--namespace', NAMESPACE];
    values.forEach((v, i) => {
      const file = join(dir, `values-${i}.json`);
      writeFileSync(file, JSON.stringify(v));
      args.push('--values', file);
    });
    const out = execFileSync(helmBinary(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    const objs = parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean) as Array<{ kind: string; data?: Record<string, string>; spec?: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.data && 'ENGINE' in o.data);
    const deployment = objs.find((o) => o.kind === 'Deployment');
    if (!cm || !deployment) throw new Error('helm template rendered no gateway ConfigMap or Deployment');
    const container = deployment.spec.template.spec.containers[0];
    const probe = container.readinessProbe as { periodSeconds: number; failureThreshold: number };
    const preStop = container.lifecycle.preStop.exec.command as string[];
    return {
      configMap: { ...cm.data! },
      readiness: { periodSeconds: probe.periodSeconds, failureThreshold: probe.failureThreshold },
      preStopSleepSeconds: Number(preStop[preStop.length - 1]),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
