import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { capacityDashboard } from './capacity';
import { operationsDashboard } from './operations';
import { overviewDashboard } from './overview';
import { redisFanoutDashboard } from './redis-fanout';

/** Every dashboard, in the order the generated files are listed. */
export function allDashboards(): dashboard.Dashboard[] {
  return [overviewDashboard(), capacityDashboard(), redisFanoutDashboard(), operationsDashboard()];
}

/** File name of a dashboard under dashboards/generated/: its uid, which never changes. */
export function generatedFileName(d: dashboard.Dashboard): string {
  return `${d.uid}.json`;
}

/** The exact bytes committed for a dashboard. */
export function serialize(d: dashboard.Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
