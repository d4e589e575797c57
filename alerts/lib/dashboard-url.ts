/**
 * The one place the Grafana base URL of the alerts' `dashboard_url` is defined. Like the runbook
 * base, the rule file spells it out and deployments rewrite the prefix (chart value
 * `monitoring.grafanaBaseUrl`, or {@link rebaseDashboardUrls}).
 */
export const DEFAULT_DASHBOARD_BASE_URL = 'https://grafana.example.com/d/';

/** @example dashboardUrl('socket-gateway-overview') // https://grafana.example.com/d/socket-gateway-overview */
export function dashboardUrl(uid: string, base = DEFAULT_DASHBOARD_BASE_URL): string {
  return `${base.endsWith('/') ? base : `${base}/`}${uid}`;
}

export function rebaseDashboardUrls(text: string, base: string): string {
  return text.split(DEFAULT_DASHBOARD_BASE_URL).join(base.endsWith('/') ? base : `${base}/`);
}
