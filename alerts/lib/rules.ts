import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const ALERTS_DIR = join(__dirname, '..');
export const RULES_FILE = join(ALERTS_DIR, 'socket-gateway.rules.yaml');
export const TESTS_DIR = join(ALERTS_DIR, 'tests');

/** A CamelCase alert name with the `SocketGateway` prefix. */
export type AlertName = string;

export interface AlertingRule {
  alert: AlertName;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface RuleGroup {
  name: string;
  rules: Array<AlertingRule | RecordingRule>;
}

export function loadRuleGroups(file = RULES_FILE): RuleGroup[] {
  const doc = parse(readFileSync(file, 'utf8')) as { groups: RuleGroup[] };
  return doc.groups;
}

export function alertingRules(groups = loadRuleGroups()): AlertingRule[] {
  return groups.flatMap((g) => g.rules.filter((r): r is AlertingRule => 'alert' in r));
}

export function recordingRules(groups = loadRuleGroups()): RecordingRule[] {
  return groups.flatMap((g) => g.rules.filter((r): r is RecordingRule => 'record' in r));
}

/** Distinct alert names; one runbook page exists per name, whatever its severity tiers. */
export function alertNames(groups = loadRuleGroups()): string[] {
  return [...new Set(alertingRules(groups).map((r) => r.alert))].sort();
}
