import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { runbookUrl } from '../../../alerts/lib/runbook-url';
import { DATASOURCE } from './panels';

export const TITLE_PREFIX = 'Socket Gateway / ';
export const TAG = 'socket-gateway';

export interface Section {
  row: string;
  panels: Array<cog.Builder<dashboard.Panel>>;
}

export interface DashboardSpec {
  /** Stable uid: links and bookmarks survive regeneration. */
  uid: string;
  /** Shown after the common prefix. */
  title: string;
  description: string;
  sections: Section[];
}

function variables(): Array<cog.Builder<dashboard.VariableModel>> {
  return [
    new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
    // A Prometheus that scrapes one cluster usually has no cluster label: "All" (.*) then matches.
    new dashboard.QueryVariableBuilder('cluster')
      .label('Cluster')
      .datasource(DATASOURCE)
      .query('label_values(socket_gateway_build_info{job="socket-gateway"}, cluster)')
      .definition('label_values(socket_gateway_build_info{job="socket-gateway"}, cluster)')
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .includeAll(true)
      .allValue('.*'),
    new dashboard.QueryVariableBuilder('namespace')
      .label('Namespace')
      .datasource(DATASOURCE)
      .query('label_values(socket_gateway_build_info{job="socket-gateway", cluster=~"$cluster"}, namespace)')
      .definition('label_values(socket_gateway_build_info{job="socket-gateway", cluster=~"$cluster"}, namespace)')
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc),
    new dashboard.QueryVariableBuilder('pod')
      .label('Pod')
      .datasource(DATASOURCE)
      .query('label_values(socket_gateway_build_info{job="socket-gateway", cluster=~"$cluster", namespace="$namespace"}, pod)')
      .definition('label_values(socket_gateway_build_info{job="socket-gateway", cluster=~"$cluster", namespace="$namespace"}, pod)')
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue('.*'),
  ];
}

/** The frame every Socket Gateway dashboard shares: prefix, tag, variables, links, time. */
export function gatewayDashboard(spec: DashboardSpec): dashboard.Dashboard {
  const b = new dashboard.DashboardBuilder(`${TITLE_PREFIX}${spec.title}`)
    .uid(spec.uid)
    .description(spec.description)
    .tags([TAG])
    // Provisioned from ConfigMaps: change the TypeScript source, not the UI.
    .readonly()
    .timezone('browser')
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(
      new dashboard.DashboardLinkBuilder('Socket Gateway')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    )
    .link(
      new dashboard.DashboardLinkBuilder('Runbooks')
        .type(dashboard.DashboardLinkType.Link)
        .url(runbookUrl('README'))
        .targetBlank(true),
    );
  for (const v of variables()) b.withVariable(v);
  for (const section of spec.sections) {
    b.withRow(new dashboard.RowBuilder(section.row));
    for (const p of section.panels) b.withPanel(p);
  }
  const built = b.build();
  // Stable panel ids in reading order, so links to a panel (viewPanel=N) survive regeneration.
  (built.panels ?? []).forEach((p, i) => {
    (p as { id?: number }).id = i + 1;
  });
  return built;
}
