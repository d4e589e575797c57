import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runPromtool, PromtoolResult } from '../../alerts/lib/promtool';
import { substituteGrafanaVariables } from './promql';
import { QueryRef } from './referenced-metrics';

/**
 * Parses expressions with the real Prometheus parser. promtool has no bare-expression check, so
 * each one becomes a recording rule in a throwaway rule file; each group is named after the
 * query's origin so a failure points at the panel.
 */
export function parseWithPromtool(queries: QueryRef[]): PromtoolResult {
  const dir = mkdtempSync(join(tmpdir(), 'sgw-promql-'));
  try {
    const file = join(dir, 'queries.rules.yaml');
    const groups = queries.map((q, i) => ({
      name: `${i}: ${q.origin}`,
      rules: [{ record: `dashboard_query:parse_check:${i}`, expr: substituteGrafanaVariables(q.expr) }],
    }));
    writeFileSync(file, stringify({ groups }));
    return runPromtool(['check', 'rules', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
