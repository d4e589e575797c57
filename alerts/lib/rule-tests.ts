import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { TESTS_DIR } from './rules';

export interface ExpectedAlert {
  exp_labels?: Record<string, string>;
  exp_annotations?: Record<string, string>;
}

export interface AlertRuleTest {
  alertname: string;
  eval_time: string;
  exp_alerts?: ExpectedAlert[];
}

export interface RuleTestGroup {
  name?: string;
  alert_rule_test?: AlertRuleTest[];
}

export interface RuleTestFile {
  path: string;
  group_eval_order?: string[];
  tests: RuleTestGroup[];
}

export function ruleTestFiles(dir = TESTS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

export function loadRuleTests(dir = TESTS_DIR): RuleTestFile[] {
  return ruleTestFiles(dir).map((path) => ({ path, ...(parse(readFileSync(path, 'utf8')) as Omit<RuleTestFile, 'path'>) }));
}

/** promtool durations as used in eval_time ("1h1m", "45s", "3m") in seconds. */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let total = 0;
  const re = /(\d+)(ms|s|m|h|d|w|y)/g;
  let consumed = '';
  for (let match = re.exec(text); match; match = re.exec(text)) {
    total += Number(match[1]) * units[match[2]];
    consumed += match[0];
  }
  if (consumed !== text) throw new Error(`not a duration: ${text}`);
  return total;
}
