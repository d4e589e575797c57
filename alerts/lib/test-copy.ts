import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { RULES_FILE, RuleGroup } from './rules';

/**
 * The rule file with every alert's `for` replaced, for end-to-end runs against a real Prometheus
 * that cannot wait minutes. Expressions, labels and annotations stay as they are.
 */
export function rulesWithFor(forDuration: string, file = RULES_FILE): string {
  const doc = parse(readFileSync(file, 'utf8')) as { groups: RuleGroup[] };
  for (const group of doc.groups) {
    for (const rule of group.rules) {
      if ('alert' in rule) rule.for = forDuration;
    }
  }
  return stringify(doc, { lineWidth: 0 });
}
