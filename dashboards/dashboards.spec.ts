import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DEFAULT_RUNBOOK_BASE_URL } from '../alerts/lib/runbook-url';
import { alertNames } from '../alerts/lib/rules';
import { allDashboards } from './src';
import { TAG, TITLE_PREFIX } from './src/lib/gateway-dashboard';
import { repoRoot, staleFiles } from './lib/generated';
import { metricNames } from './lib/promql';
import { parseWithPromtool } from './lib/promtool-parse';
import { substituteGrafanaVariables } from './lib/promql';
import { runPromtool } from '../alerts/lib/promtool';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import {
  allQueries,
  dashboardQueries,
  EXTERNAL_METRICS,
  GATEWAY_METRICS,
  gatewaySampleNames,
  recordedMetricNames,
  referencedMetricNames,
  sampleNamesInExposition,
} from './lib/referenced-metrics';

type PromTarget = { expr?: string; refId?: string; datasource?: dashboard.DataSourceRef };
type AnyPanel = Omit<dashboard.Panel, 'targets'> & { targets?: PromTarget[] };

const dashboards = allDashboards();
const dataPanels = dashboards.flatMap((d) =>
  ((d.panels ?? []) as unknown as AnyPanel[]).filter((p) => p.type !== 'row').map((p) => [d.uid, p.title ?? '', p] as const),
);

describe('generated dashboards', () => {
  it('should match the committed JSON (run `npm run dashboards` after changing dashboards/src)', () => {
    expect(staleFiles()).toEqual([]);
  });

  it('should keep their stable uids, common title prefix and tag', () => {
    expect(dashboards.map((d) => d.uid)).toEqual([
      'socket-gateway-overview',
      'socket-gateway-capacity',
      'socket-gateway-redis-fanout',
      'socket-gateway-operations',
    ]);
    for (const d of dashboards) {
      expect(d.title?.startsWith(TITLE_PREFIX)).toBe(true);
      expect(d.tags).toContain(TAG);
      expect(d.uid!.length).toBeLessThanOrEqual(40);
    }
  });

  it('should offer the datasource, cluster, namespace and pod variables', () => {
    for (const d of dashboards) {
      expect((d.templating?.list ?? []).map((v) => v.name)).toEqual(['datasource', 'cluster', 'namespace', 'pod']);
    }
  });

  it.each(dataPanels)('should give %s / %s a unit, a description and the datasource variable', (_uid, _title, p) => {
    expect(p.fieldConfig?.defaults?.unit).toBeTruthy();
    expect(p.description?.trim()).toBeTruthy();
    expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    expect(p.targets?.length).toBeGreaterThan(0);
    for (const t of p.targets ?? []) expect(t.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    expect(new Set(p.targets?.map((t) => t.refId)).size).toBe(p.targets?.length);
  });

  it('should give every panel a unique id and every dashboard a runbook link', () => {
    for (const d of dashboards) {
      const ids = (d.panels ?? []).map((p) => (p as { id?: number }).id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(d.links?.some((l) => l.url?.startsWith(DEFAULT_RUNBOOK_BASE_URL))).toBe(true);
    }
  });

  it('should link panels only to runbooks of existing alerts, whose pages exist', () => {
    const alerts = new Set(alertNames());
    const links = dataPanels.flatMap(([, , p]) => (p.links ?? []).map((l) => l.url ?? ''));
    expect(links.length).toBeGreaterThan(20);
    for (const url of links) {
      expect(url.startsWith(DEFAULT_RUNBOOK_BASE_URL)).toBe(true);
      const page = url.slice(DEFAULT_RUNBOOK_BASE_URL.length).replace(/\.md$/, '');
      expect(alerts.has(page) ? page : `no alert named ${page}`).toBe(page);
      expect(existsSync(join(repoRoot(), 'runbooks', `${page}.md`)) ? page : `runbooks/${page}.md missing`).toBe(page);
    }
  });

  it('should use $__rate_interval for every rate in a dashboard', () => {
    const fixedRates = dashboardQueries()
      .flatMap((q) => [...q.expr.matchAll(/\b(?:i?rate)\([^[]*\[([^\]]+)\]/g)].map((m) => ({ origin: q.origin, window: m[1] })))
      .filter((r) => r.window !== '$__rate_interval');
    expect(fixedRates).toEqual([]);
  });
});

describe('the Overview\'s 30-day SLO panels', () => {
  const overview = dashboards.find((d) => d.uid === 'socket-gateway-overview')!;
  const stat = (title: string) => {
    const p = ((overview.panels ?? []) as unknown as AnyPanel[]).find((x) => x.title === title);
    return substituteGrafanaVariables(p!.targets![0].expr!);
  };

  it('should weigh every event alike, so a quiet failing pod cannot outweigh a busy healthy one (promtool)', () => {
    // A busy pod (1000 a minute, no failure) and a quiet pod (10 a minute, every other one failing)
    // for an hour: 600 failures in 61,200 valid events is 99.02% success. An average of the pods'
    // ratios would read 75%; one of 5m ratios over time the same for this steady load.
    const at = (pod: string, labels: string) => `{job="socket-gateway", cluster="var", namespace="var", pod="${pod}", ${labels}}`;
    const test = {
      rule_files: [],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: `socket_gateway_connections_total${at('busy', 'result="accepted", reason="none"')}`, values: '0+1000x60' },
            { series: `socket_gateway_connections_total${at('busy', 'result="rejected", reason="error"')}`, values: '0x60' },
            { series: `socket_gateway_connections_total${at('quiet', 'result="accepted", reason="none"')}`, values: '0+10x60' },
            { series: `socket_gateway_connections_total${at('quiet', 'result="rejected", reason="error"')}`, values: '0+10x60' },
            // Neither drains nor client refusals count on either side.
            { series: `socket_gateway_connections_total${at('quiet', 'result="rejected", reason="draining"')}`, values: '0+100x60' },
            { series: `socket_gateway_connections_total${at('quiet', 'result="rejected", reason="invalid_token"')}`, values: '0+100x60' },
            { series: `socket_gateway_events_total${at('busy', 'event="message:send", result="ok"')}`, values: '0+1000x60' },
            { series: `socket_gateway_events_total${at('busy', 'event="message:send", result="INTERNAL_ERROR"')}`, values: '0x60' },
            { series: `socket_gateway_events_total${at('quiet', 'event="message:send", result="ok"')}`, values: '0+10x60' },
            { series: `socket_gateway_events_total${at('quiet', 'event="message:send", result="INTERNAL_ERROR"')}`, values: '0+10x60' },
          ],
          promql_expr_test: ['Connection success', 'Message handling success'].map((title) => ({
            expr: `round((${stat(title)}) * 10000)`,
            eval_time: '60m',
            exp_samples: [{ labels: '{}', value: 9902 }],
          })),
        },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), 'sgw-slo-panels-'));
    try {
      writeFileSync(join(dir, 'slo-panels.test.yaml'), stringify(test));
      const res = runPromtool(['test', 'rules', 'slo-panels.test.yaml'], dir);
      expect({ status: res.status, output: res.status === 0 ? '' : res.output }).toEqual({ status: 0, output: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PromQL of dashboards and alerts', () => {
  it('should parse every expression with the real Prometheus parser', () => {
    const queries = allQueries();
    expect(queries.length).toBeGreaterThan(80);
    const res = parseWithPromtool(queries);
    if (res.status !== 0) throw new Error(`promtool rejected an expression:\n${res.output}`);
    expect(res.output).toContain(`SUCCESS: ${queries.length} rules found`);
  });

  it('should read only catalogue metrics, recorded series or the named external metrics', () => {
    const allowed = new Set([...gatewaySampleNames(), ...Object.keys(EXTERNAL_METRICS)]);
    expect(referencedMetricNames().filter((n) => !allowed.has(n))).toEqual([]);
  });

  it('should read only recorded series the rule file defines', () => {
    const recorded = recordedMetricNames();
    const colonNames = [...new Set(allQueries().flatMap((q) => metricNames(q.expr)))].filter((n) => n.includes(':'));
    expect(colonNames.filter((n) => !recorded.has(n))).toEqual([]);
  });

  it('should use every external metric it names, so the allow-list stays exact', () => {
    const referenced = new Set(referencedMetricNames());
    expect(Object.keys(EXTERNAL_METRICS).filter((n) => !referenced.has(n))).toEqual([]);
  });

  it('should chart every metric of the gateway catalogue somewhere', () => {
    const charted = new Set(dashboardQueries().flatMap((q) => metricNames(q.expr)));
    const uncharted = Object.entries(GATEWAY_METRICS)
      .filter(([name, type]) => (type === 'histogram' ? !['_bucket', '_sum', '_count'].some((s) => charted.has(name + s)) : !charted.has(name)))
      .map(([name]) => name);
    expect(uncharted).toEqual([]);
  });
});

describe(metricNames.name, () => {
  it('should skip functions, aggregations, keywords, label lists, strings and ranges', () => {
    expect(
      metricNames(
        'sum by (job, le) (rate(a_bucket{job="x", pod=~"$pod"}[$__rate_interval])) / on (job) group_left (foo) b offset 5m > bool 3',
      ),
    ).toEqual(['a_bucket', 'b']);
    expect(metricNames('time() - max(c) without (pod) and absent(up{job="x"} == 1) or vector(0) * 1e3 + 0x1f')).toEqual(['c', 'up']);
    expect(metricNames('{__name__="d", a="b"} # e_total in a comment\n + sum without (pod) (f)')).toEqual(['d', 'f']);
  });

  it('should list the names a /metrics page exposes', () => {
    const text = '# HELP a_total x\n# TYPE a_total counter\na_total{result="ok"} 3\nb_bucket{le="+Inf"} 1\nc 2\n';
    expect([...sampleNamesInExposition(text)].sort()).toEqual(['a_total', 'b_bucket', 'c']);
  });
});
