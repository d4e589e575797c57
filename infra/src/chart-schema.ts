/**
 * Chart values checked against the chart's own values.schema.json before the program creates
 * anything, so a bad `values` override fails `pulumi preview` with every problem listed instead
 * of half-way through `pulumi up`.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { mergeValues, type ChartValues } from './chart-values';
import { StackConfigError } from './config';

const CHART_DIR = path.join(__dirname, '..', '..', 'helm', 'socket-gateway');

/**
 * Problems of the chart values under the schema, each naming the value's path; [] when valid.
 * Like helm, the schema judges the chart's defaults with these values merged over them.
 */
export function chartValueProblems(values: ChartValues): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(path.join(CHART_DIR, 'values.schema.json'), 'utf8')));
  const defaults = parse(readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8')) as ChartValues;
  if (validate(mergeValues(defaults, values))) return [];
  // A bad property name is reported twice (the inner check, then propertyNames): keep the inner one, named.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'propertyNames');
  return errors.map((e) => {
    const at = `values${e.instancePath.replace(/\//g, '.')}${e.propertyName ? `.${e.propertyName}` : ''}`;
    if (e.propertyName && e.keyword === 'not') return `${at}: the chart sets this variable itself (from its own value) or reads it from the Secret (helm/socket-gateway/values.schema.json)`;
    const extra = e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : '';
    return `${at} ${e.message}${extra} (helm/socket-gateway/values.schema.json)`;
  });
}

export function assertValidChartValues(values: ChartValues): void {
  const problems = chartValueProblems(values);
  if (problems.length) throw new StackConfigError(problems);
}
