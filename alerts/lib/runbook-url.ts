/**
 * The one place the runbook base URL is defined. The rule file spells it out in every
 * `runbook_url` (plain Prometheus rule files have no variables); deployments that host the
 * runbooks elsewhere rewrite that prefix with {@link rebaseRunbookUrls}, and the dashboards link
 * to the same base.
 */
export const DEFAULT_RUNBOOK_BASE_URL = 'https://github.com/example/socket-gateway/blob/main/runbooks/';

/** @example runbookUrl('SocketGatewayRedisDown') // .../runbooks/SocketGatewayRedisDown.md */
export function runbookUrl(page: string, base = DEFAULT_RUNBOOK_BASE_URL): string {
  return `${withTrailingSlash(base)}${page}.md`;
}

/** Rewrites every runbook link of a rule file to another base (a fork, an internal wiki mirror). */
export function rebaseRunbookUrls(rulesText: string, base: string): string {
  return rulesText.split(DEFAULT_RUNBOOK_BASE_URL).join(withTrailingSlash(base));
}

function withTrailingSlash(base: string): string {
  return base.endsWith('/') ? base : `${base}/`;
}
