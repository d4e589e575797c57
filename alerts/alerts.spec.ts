import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { DEFAULT_RUNBOOK_BASE_URL, rebaseRunbookUrls, runbookUrl } from './lib/runbook-url';
import { DEFAULT_DASHBOARD_BASE_URL, dashboardUrl, rebaseDashboardUrls } from './lib/dashboard-url';
import { allDashboards } from '../dashboards/src';
import { alertNames, alertingRules, loadRuleGroups, RULES_FILE, ALERTS_DIR } from './lib/rules';
import { durationSeconds, loadRuleTests, ruleTestFiles } from './lib/rule-tests';
import { runPromtool } from './lib/promtool';
import { rulesWithFor } from './lib/test-copy';

const groups = loadRuleGroups();
const alerts = alertingRules(groups);
const ruleTests = loadRuleTests();
const dashboardUids = allDashboards().map((d) => d.uid!);
const allAlertTests = ruleTests.flatMap((f) => f.tests.flatMap((t) => t.alert_rule_test ?? []));

describe('alert rules', () => {
  it('should pass promtool check rules', () => {
    const res = runPromtool(['check', 'rules', RULES_FILE]);
    expect(res.output).toContain('SUCCESS');
    expect(res.status).toBe(0);
  });

  it('should pass every promtool unit test', () => {
    const files = ruleTestFiles().map((f) => relative(ALERTS_DIR, f));
    expect(files.length).toBeGreaterThan(0);
    const res = runPromtool(['test', 'rules', ...files], ALERTS_DIR);
    if (res.status !== 0) throw new Error(`promtool test rules failed:\n${res.output}`);
    expect(res.output).not.toContain('FAILED');
  });

  it.each(alerts.map((a) => [a.alert, a.labels.severity, a] as const))(
    'should give %s (%s) a severity, summary, description, its runbook_url and a dashboard_url',
    (name, _severity, rule) => {
      expect(name).toMatch(/^SocketGateway[A-Z][A-Za-z0-9]*$/);
      expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
      expect(rule.annotations.summary?.trim()).toBeTruthy();
      expect(rule.annotations.description?.trim()).toBeTruthy();
      expect(rule.annotations.runbook_url).toBe(runbookUrl(name));
      // A generated dashboard, opened on the alert's namespace.
      const uid = dashboardUids.find((u) => rule.annotations.dashboard_url === `${dashboardUrl(u)}?var-namespace={{ $labels.namespace }}`);
      expect({ dashboard_url: rule.annotations.dashboard_url, uid }).toEqual({ dashboard_url: rule.annotations.dashboard_url, uid: expect.any(String) });
      // absent() has neither a meaningful value nor labels to quote.
      if (!rule.expr.includes('absent(')) expect(rule.annotations.description).toMatch(/\{\{ \$(value|labels)/);
    },
  );

  it.each(alertNames(groups))('should test %s quiet just before it fires and firing with exact annotations', (name) => {
    const cases = allAlertTests.filter((t) => t.alertname === name);
    const firing = cases.filter((t) => (t.exp_alerts ?? []).length > 0);
    const quiet = cases.filter((t) => (t.exp_alerts ?? []).length === 0);
    expect(firing.length).toBeGreaterThan(0);
    expect(quiet.length).toBeGreaterThan(0);
    for (const f of firing) {
      for (const expected of f.exp_alerts ?? []) {
        expect(Object.keys(expected.exp_annotations ?? {}).sort()).toEqual(['dashboard_url', 'description', 'runbook_url', 'summary']);
      }
    }
    // Every severity tier of the alert fires in some test, with its own labels.
    for (const rule of alerts.filter((a) => a.alert === name)) {
      const tierFires = firing.some((f) =>
        (f.exp_alerts ?? []).some((e) => Object.entries(rule.labels).every(([k, v]) => e.exp_labels?.[k] === String(v))),
      );
      expect({ tier: rule.labels, fires: tierFires }).toEqual({ tier: rule.labels, fires: true });
    }
    // The earliest firing case has a quiet case before it, at most one evaluation interval earlier.
    const firstFiring = Math.min(...firing.map((f) => durationSeconds(f.eval_time)));
    const quietBefore = quiet.map((q) => durationSeconds(q.eval_time)).filter((t) => t < firstFiring);
    expect(quietBefore.length).toBeGreaterThan(0);
    expect(firstFiring - Math.max(...quietBefore)).toBeLessThanOrEqual(60);
  });

  it.each(ruleTests.map((f) => [basename(f.path), f] as const))(
    'should evaluate every rule group in a fixed order and name each test with a sentence in %s',
    (_file, testFile) => {
      expect([...(testFile.group_eval_order ?? [])].sort()).toEqual(groups.map((g) => g.name).sort());
      // Recording rules first, so alerts read values of the same evaluation.
      const order = testFile.group_eval_order ?? [];
      const lastRecording = Math.max(...groups.filter((g) => g.name.endsWith('.rules')).map((g) => order.indexOf(g.name)));
      const firstAlerting = Math.min(...groups.filter((g) => g.name.endsWith('.alerts')).map((g) => order.indexOf(g.name)));
      expect(lastRecording).toBeLessThan(firstAlerting);
      for (const t of testFile.tests) expect(t.name?.split(' ').length ?? 0).toBeGreaterThanOrEqual(5);
    },
  );
});

describe('runbook base URL', () => {
  it('should appear in the rule file only as the prefix of runbook_url', () => {
    const text = readFileSync(RULES_FILE, 'utf8');
    const uses = text.split(DEFAULT_RUNBOOK_BASE_URL).length - 1;
    expect(uses).toBe(alerts.length);
  });

  it('should be rewritten in one step for another host', () => {
    const text = readFileSync(RULES_FILE, 'utf8');
    const rebased = rebaseRunbookUrls(text, 'https://wiki.example.org/sgw');
    expect(rebased).not.toContain(DEFAULT_RUNBOOK_BASE_URL);
    expect(rebased).toContain('runbook_url: https://wiki.example.org/sgw/SocketGatewayRedisDown.md');
  });
});

describe('dashboard base URL', () => {
  it('should appear in the rule file only as the prefix of dashboard_url and be rewritten in one step', () => {
    const text = readFileSync(RULES_FILE, 'utf8');
    expect(text.split(DEFAULT_DASHBOARD_BASE_URL).length - 1).toBe(alerts.length);
    const rebased = rebaseDashboardUrls(text, 'https://grafana.internal/d');
    expect(rebased).not.toContain(DEFAULT_DASHBOARD_BASE_URL);
    expect(rebased).toContain('dashboard_url: https://grafana.internal/d/socket-gateway-redis-fanout?var-namespace=');
  });
});

describe(rulesWithFor.name, () => {
  it('should give every alert the short for and stay a valid rule file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgw-rules-'));
    try {
      const file = join(dir, 'short.rules.yaml');
      writeFileSync(file, rulesWithFor('10s'));
      const short = alertingRules(loadRuleGroups(file));
      expect(short.map((r) => r.for)).toEqual(alerts.map(() => '10s'));
      expect(short.map((r) => r.expr)).toEqual(alerts.map((r) => r.expr));
      expect(runPromtool(['check', 'rules', file]).status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
