/**
 * Just enough PromQL lexing to list the metric names an expression reads. promtool has no
 * expression-level output, so names are found here and the syntax is checked by promtool.
 */

const KEYWORDS = new Set([
  'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'atan2', 'inf', 'nan',
]);
/** Aggregations may put their `by`/`without` clause before the parenthesised argument. */
const AGGREGATIONS = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile',
]);
/** Keywords followed by a parenthesised list of label names, not expressions. */
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** Grafana's built-in interval variables, and a value for any other `$var`, so the text is PromQL. */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '5m')
    .replace(/\$__interval|\$\{__interval\}/g, '1m')
    .replace(/\$__range|\$\{__range\}/g, '1h')
    .replace(/\$\{(\w+)(:\w+)?\}|\$(\w+)/g, 'var');
}

/** The selector inside a Grafana `label_values(selector, label)` variable query, if any. */
export function labelValuesSelector(query: string): string | undefined {
  const m = /^\s*label_values\((.*),\s*\w+\s*\)\s*$/s.exec(query);
  return m?.[1];
}

function skipString(expr: string, i: number): number {
  const quote = expr[i];
  for (let j = i + 1; j < expr.length; j++) {
    if (quote !== '`' && expr[j] === '\\') j++;
    else if (expr[j] === quote) return j + 1;
  }
  throw new Error(`unterminated string in: ${expr}`);
}

function skipBalanced(expr: string, i: number, open: string, close: string): number {
  let depth = 0;
  for (let j = i; j < expr.length; j++) {
    const c = expr[j];
    if (c === '"' || c === "'" || c === '`') {
      j = skipString(expr, j) - 1;
    } else if (c === open) depth++;
    else if (c === close && --depth === 0) return j + 1;
  }
  throw new Error(`unbalanced ${open}${close} in: ${expr}`);
}

/** Metric names read by a PromQL expression (Grafana variables allowed), sorted and distinct. */
export function metricNames(rawExpr: string): string[] {
  const expr = substituteGrafanaVariables(rawExpr);
  const names = new Set<string>();
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '#') {
      const eol = expr.indexOf('\n', i);
      i = eol < 0 ? expr.length : eol;
    } else if (c === '"' || c === "'" || c === '`') {
      i = skipString(expr, i);
    } else if (c === '{') {
      const end = skipBalanced(expr, i, '{', '}');
      const byName = /__name__\s*=\s*"([^"]+)"/.exec(expr.slice(i, end));
      if (byName) names.add(byName[1]);
      i = end;
    } else if (c === '[') {
      i = skipBalanced(expr, i, '[', ']');
    } else if (/[0-9.]/.test(c)) {
      // Numbers, hex, durations after offset: none of them is a name.
      const m = /^[0-9.]+(e[+-]?[0-9]+)?[a-zA-Z0-9]*/i.exec(expr.slice(i));
      i += m ? m[0].length : 1;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const word = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))![0];
      i += word.length;
      const rest = expr.slice(i);
      const next = /^\s*(.)/.exec(rest)?.[1];
      const nextWord = /^\s*([a-zA-Z_]+)/.exec(rest)?.[1]?.toLowerCase();
      const lower = word.toLowerCase();
      if (LABEL_LIST_KEYWORDS.has(lower)) {
        if (next === '(') i = skipBalanced(expr, i + rest.indexOf('('), '(', ')');
      } else if (KEYWORDS.has(lower) || next === '(' || (AGGREGATIONS.has(lower) && (nextWord === 'by' || nextWord === 'without'))) {
        // An operator, or a function / aggregation call.
      } else {
        names.add(word);
      }
    } else {
      i++;
    }
  }
  return [...names].sort();
}
