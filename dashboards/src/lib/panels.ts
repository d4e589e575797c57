import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { runbookUrl } from '../../../alerts/lib/runbook-url';

/** Every panel and query reads from the data source the `datasource` variable selects. */
export const DATASOURCE: dashboard.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  expr: string;
  legend?: string;
  /** One value per series (stat, table) rather than a range. */
  instant?: boolean;
}

export interface PanelSpec {
  title: string;
  /** Shown on hover: what the panel means and what healthy looks like. */
  description: string;
  /** A Grafana unit id (`s`, `bytes`, `percentunit`, `ops`, `short`, ...). */
  unit: string;
  queries: Query[];
  /** Alert names whose runbooks this panel helps with; each becomes a panel link. */
  runbooks?: string[];
  width?: number;
  height?: number;
  min?: number;
  max?: number;
  decimals?: number;
  /** Coloured steps, first step's value is null (base colour). */
  thresholds?: Array<[number | null, string]>;
}

function targets(queries: Query[]): prometheus.DataqueryBuilder[] {
  return queries.map((q, i) => {
    const t = new prometheus.DataqueryBuilder()
      .refId(String.fromCharCode(65 + i))
      .datasource(DATASOURCE)
      .expr(q.expr);
    if (q.legend) t.legendFormat(q.legend);
    if (q.instant) t.instant();
    return t;
  });
}

function runbookLinks(alerts: string[] = []): dashboard.DashboardLinkBuilder[] {
  return alerts.map((a) => new dashboard.DashboardLinkBuilder(`Runbook: ${a}`).url(runbookUrl(a)).targetBlank(true));
}

function thresholds(steps: Array<[number | null, string]>): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

/** Settings every panel kind shares, applied through the common builder surface. */
function base<T extends timeseries.PanelBuilder | stat.PanelBuilder | table.PanelBuilder>(p: T, spec: PanelSpec): T {
  p.title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .height(spec.height ?? 8)
    .span(spec.width ?? 12)
    .links(runbookLinks(spec.runbooks));
  for (const t of targets(spec.queries)) p.withTarget(t);
  if (spec.min !== undefined) p.min(spec.min);
  if (spec.max !== undefined) p.max(spec.max);
  if (spec.decimals !== undefined) p.decimals(spec.decimals);
  if (spec.thresholds) p.thresholds(thresholds(spec.thresholds));
  return p;
}

export function timeSeries(spec: PanelSpec): cog.Builder<dashboard.Panel> {
  const p = base(new timeseries.PanelBuilder(), spec)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending))
    .lineWidth(1)
    .fillOpacity(10)
    .spanNulls(false);
  // Draw the alert thresholds on the graph itself.
  if (spec.thresholds) p.thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  return p;
}

export function statPanel(spec: PanelSpec): cog.Builder<dashboard.Panel> {
  return base(new stat.PanelBuilder(), spec)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None);
}

export function tablePanel(spec: PanelSpec): cog.Builder<dashboard.Panel> {
  const p = base(new table.PanelBuilder(), spec);
  // Instant queries in table format: one row per label set.
  p.targets(
    spec.queries.map((q, i) =>
      new prometheus.DataqueryBuilder()
        .refId(String.fromCharCode(65 + i))
        .datasource(DATASOURCE)
        .expr(q.expr)
        .instant()
        .format(prometheus.PromQueryFormat.Table),
    ),
  );
  return p;
}
