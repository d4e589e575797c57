import { markdownPages, readPage } from './runbook-pages';

export interface RunbookCommand {
  file: string;
  line: number;
  text: string;
}

/** Every command a page quotes: inline code spans and lines of fenced blocks that start with a tool. */
export function runbookCommands(pages: string[] = markdownPages()): RunbookCommand[] {
  const out: RunbookCommand[] = [];
  for (const file of pages) {
    let fenced = false;
    readPage(file)
      .split('\n')
      .forEach((lineText, i) => {
        if (lineText.trim().startsWith('```')) {
          fenced = !fenced;
          return;
        }
        const candidates = fenced ? [lineText.trim()] : [...lineText.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
        for (const text of candidates) if (/^(kubectl|npm run|amtool|\/app\/bin)\b/.test(text)) out.push({ file, line: i + 1, text });
      });
  }
  return out;
}

/** The ops CLI arguments of a quoted `/app/bin/ops …` or `npm run ops -- …`, or null. */
export function opsArgs(text: string): string[] | null {
  const m = /(?:\/app\/bin\/ops|npm run ops --)\s+(.*)$/.exec(text);
  return m ? m[1].trim().split(/\s+/) : null;
}

/**
 * The part after `kubectl … logs …` of a log query on the gateway's pods (`| grep …`), or null for
 * any other command. Logs of other workloads (ingress-nginx, Redis) are not the gateway's output.
 */
export function gatewayLogPipeline(text: string): string | null {
  const m = /^kubectl -n socket-gateway logs (-l app\.kubernetes\.io\/name=socket-gateway|<pod>) -c gateway [^|]*\|(.*)$/.exec(text);
  return m ? m[2].trim() : null;
}

/** A Loki query a page quotes: its stream selector and its `| json | label op "value"` stages. */
export interface LogQlQuery {
  file: string;
  line: number;
  text: string;
  selector: Record<string, string>;
  filters: Array<{ label: string; op: '=' | '!=' | '=~' | '!~'; value: string }>;
}

/**
 * Every LogQL query quoted inline (`{…} | json | …`). Only the subset the runbooks use is accepted:
 * an equality stream selector, `json`, and label filters; anything else is reported by the caller
 * as unparsed rather than silently skipped.
 */
export function logQlQueries(pages: string[] = markdownPages()): Array<LogQlQuery | { file: string; line: number; text: string; error: string }> {
  const out: Array<LogQlQuery | { file: string; line: number; text: string; error: string }> = [];
  for (const file of pages) {
    readPage(file)
      .split('\n')
      .forEach((lineText, i) => {
        for (const m of lineText.matchAll(/`(\{[^`]+)`/g)) out.push(parseLogQl(file, i + 1, m[1]));
      });
  }
  return out;
}

function parseLogQl(file: string, line: number, text: string): LogQlQuery | { file: string; line: number; text: string; error: string } {
  const m = /^\{([^}]*)\}\s*((?:\|.*)?)$/.exec(text);
  if (!m) return { file, line, text, error: 'not a stream selector followed by stages' };
  const selector: Record<string, string> = {};
  for (const part of m[1].split(',').map((p) => p.trim()).filter(Boolean)) {
    const s = /^([a-z_]+)="([^"]*)"$/.exec(part);
    if (!s) return { file, line, text, error: `unsupported selector ${part}` };
    selector[s[1]] = s[2];
  }
  // Stages are separated by ' | '; a bare '|' belongs to a regex alternation.
  const stages = m[2].replace(/^\|\s*/, '').split(/\s+\|\s+/).map((s) => s.trim()).filter(Boolean);
  if (stages[0] !== 'json') return { file, line, text, error: 'the first stage must be json' };
  const filters: LogQlQuery['filters'] = [];
  for (const stage of stages.slice(1)) {
    const f = /^([a-z_]+)\s*(=~|!~|!=|=)\s*"([^"]*)"$/.exec(stage);
    if (!f) return { file, line, text, error: `unsupported stage ${stage}` };
    filters.push({ label: f[1], op: f[2] as LogQlQuery['filters'][number]['op'], value: f[3] });
  }
  return { file, line, text, selector, filters };
}

/** Loki's `| json`: nested keys joined with `_`; only string, number and boolean leaves become labels. */
export function jsonLabels(logLine: string): Record<string, string> | null {
  let doc: unknown;
  try {
    doc = JSON.parse(logLine);
  } catch {
    return null;
  }
  const labels: Record<string, string> = {};
  const walk = (v: unknown, prefix: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, c] of Object.entries(v)) walk(c, prefix ? `${prefix}_${k}` : k);
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') labels[prefix] = String(v);
  };
  walk(doc, '');
  return labels;
}

/** Whether a log line passes a query's label filters (regex matchers are anchored, as in Loki). */
export function logQlMatches(q: LogQlQuery, logLine: string): boolean {
  const labels = jsonLabels(logLine);
  if (!labels) return false;
  return q.filters.every(({ label, op, value }) => {
    const v = labels[label] ?? '';
    if (op === '=') return v === value;
    if (op === '!=') return v !== value;
    const re = new RegExp(`^(?:${value})$`);
    return op === '=~' ? re.test(v) : !re.test(v);
  });
}
