/**
 * Turns the measured figures into what people read: gateway/baseline ratios, the issue's targets
 * as pass/miss, a markdown table (README, results/latest.md) and the capacity table of the
 * scaling runbook.
 */
import type { BenchOptions } from './options';
import type { LatencySummary } from './histogram';
import type { FanoutFigures, MachineInfo, StormFigures, SystemResult } from './bench';

export interface TargetCheck {
  target: string;
  measured: string;
  /** null when the figure was not measured (e.g. the baseline was not run) */
  pass: boolean | null;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  machine: MachineInfo;
  options: BenchOptions;
  results: Partial<Record<'gateway' | 'baseline', SystemResult>>;
  /** gateway ÷ baseline */
  ratios: Record<string, number | null>;
  targets: TargetCheck[];
  notes: string[];
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : Math.round((a / b) * 100) / 100;

export function buildReport(args: { startedAt: Date; finishedAt: Date; machine: MachineInfo; options: BenchOptions; results: BenchReport['results']; notes?: string[] }): BenchReport {
  const g = args.results.gateway;
  const b = args.results.baseline;
  const ratios: Record<string, number | null> = {
    rssPerConnection: ratio(g?.connect.rssPerConnKb, b?.connect.rssPerConnKb),
    heapPerConnection: ratio(g?.connect.heapPerConnKb, b?.connect.heapPerConnKb),
    connectP99: ratio(g?.connect.latencyMs.p99, b?.connect.latencyMs.p99),
    fanoutDeliveryP99: ratio(g?.fanout?.latencyMs.p99, b?.fanout?.latencyMs.p99),
    fanoutCpu: ratio(g?.fanout?.cpuCores, b?.fanout?.cpuCores),
    saturatedThroughput: ratio(g?.saturated?.deliveredPerSec, b?.saturated?.deliveredPerSec),
    // Deliveries per CPU-second of the two instances: what the throughput would compare to if the
    // load generators (which share the machine) were not the first thing to saturate.
    saturatedThroughputPerCore: ratio(perCore(g?.saturated), perCore(b?.saturated)),
    stormTo999: ratio(g?.storm?.msTo999, b?.storm?.msTo999),
    joinP99: ratio(g?.probes?.joinMs.p99, b?.probes?.joinMs.p99),
    presenceGetP99: ratio(g?.probes?.presenceGetMs.p99, b?.probes?.presenceGetMs.p99),
  };
  const o = args.options;
  const targets: TargetCheck[] = [];
  if (g) {
    const rss = g.connect.rssPerConnKb;
    const rssRatio = ratios.rssPerConnection;
    targets.push({
      target: 'memory per idle authenticated connection ≤ 20 KB RSS and ≤ 1.3× baseline',
      measured: `${fmt(rss)} KB (${rssRatio === null ? 'no baseline' : `${rssRatio}× baseline`})`,
      pass: rss === null ? null : rss <= 20 && (rssRatio === null ? true : rssRatio <= 1.3),
    });
    const sat = g.saturated;
    if (sat) {
      const raw = ratios.saturatedThroughput;
      const core = ratios.saturatedThroughputPerCore;
      targets.push({
        target: 'fan-out throughput ≥ 0.7× baseline (saturated deliveries/s, and per CPU-second of the instances)',
        measured: raw === null || core === null ? `${fmt(sat.deliveredPerSec)}/s, no baseline` : `${raw}× (${core}× per core)`,
        pass: raw === null || core === null ? null : raw >= 0.7 && core >= 0.7,
      });
    }
    const fan = g.fanout;
    if (fan) {
      const atTarget = o.channels * o.members >= 10_000 && o.rate >= 1000;
      targets.push({
        target: 'p99 delivery < 100 ms at 10,000 connections with 1,000 messages/s fanned out',
        measured: `${fmt(fan.latencyMs.p99)} ms at ${fmt(o.channels * o.members)} fan-out sockets (${fmt(o.perInstance * 2)} connected), ${fmt(o.rate)} msg/s${atTarget ? '' : ' (smaller than the target configuration)'}`,
        pass: fan.latencyMs.p99 === null ? null : fan.latencyMs.p99 < 100 && fan.lost === 0,
      });
    }
    targets.push({
      target: 'connect p99 < 1 s',
      measured: `${fmt(g.connect.latencyMs.p99)} ms at ${fmt(o.connectRate)} handshakes/s (${pct(g.connect.successRate)} connected)`,
      pass: g.connect.latencyMs.p99 === null ? null : g.connect.latencyMs.p99 < 1000 && g.connect.successRate >= 0.999,
    });
    const storm = g.storm;
    if (storm) {
      targets.push({
        target: 'reconnect storm back to 99.9% within 10 s',
        measured: storm.msTo999 === null ? `not reached (${storm.back}/${storm.clients} back)` : `${fmt(storm.msTo999)} ms for ${fmt(storm.clients)} clients`,
        pass: storm.msTo999 !== null && storm.msTo999 <= 10_000,
      });
    }
    const phases = [fan, sat].filter((f): f is FanoutFigures => f !== null);
    if (phases.length) {
      const lost = phases.reduce((n, f) => n + f.lost, 0);
      targets.push({
        target: 'zero lost acked messages',
        measured: `${lost} lost, ${phases.reduce((n, f) => n + f.duplicated, 0)} duplicated of ${fmt(phases.reduce((n, f) => n + f.expected, 0))} expected deliveries`,
        pass: lost === 0,
      });
    }
  }
  return {
    startedAt: args.startedAt.toISOString(),
    finishedAt: args.finishedAt.toISOString(),
    durationSec: Math.round((args.finishedAt.getTime() - args.startedAt.getTime()) / 1000),
    machine: args.machine,
    options: args.options,
    results: args.results,
    ratios,
    targets,
    notes: args.notes ?? [],
  };
}

function perCore(f: FanoutFigures | null | undefined): number | null {
  return f && f.cpuCores > 0 ? f.deliveredPerSec / f.cpuCores : null;
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 10) / 10);
}

function pct(v: number): string {
  return `${Math.round(v * 1000) / 10}%`;
}

function lat(l: LatencySummary, withMax = false): string {
  return l.count === 0 ? '–' : `${fmt(l.p50)} / ${fmt(l.p99)}${withMax ? ` / ${fmt(l.max)}` : ''} ms`;
}

function r(v: number | null): string {
  return v === null ? '–' : `${v}×`;
}

function fanoutRows(label: string, gf: FanoutFigures | null | undefined, bf: FanoutFigures | null | undefined): string[] {
  if (!gf && !bf) return [];
  const cell = (x: FanoutFigures | null | undefined, f: (x: FanoutFigures) => string) => (x ? f(x) : '–');
  return [
    `| ${label} | published (acked) / s | ${cell(gf, (x) => fmt(x.publishedPerSec))} | ${cell(bf, (x) => fmt(x.publishedPerSec))} | ${r(ratio(gf?.publishedPerSec, bf?.publishedPerSec))} |`,
    `| ${label} | deliveries / s | ${cell(gf, (x) => fmt(x.deliveredPerSec))} | ${cell(bf, (x) => fmt(x.deliveredPerSec))} | ${r(ratio(gf?.deliveredPerSec, bf?.deliveredPerSec))} |`,
    `| ${label} | end-to-end latency p50 / p99 / max | ${cell(gf, (x) => lat(x.latencyMs, true))} | ${cell(bf, (x) => lat(x.latencyMs, true))} | ${r(ratio(gf?.latencyMs.p99, bf?.latencyMs.p99))} (p99) |`,
    `| ${label} | lost / duplicated deliveries | ${cell(gf, (x) => `${x.lost} / ${x.duplicated} of ${fmt(x.expected)}`)} | ${cell(bf, (x) => `${x.lost} / ${x.duplicated} of ${fmt(x.expected)}`)} | |`,
    `| ${label} | CPU of both instances | ${cell(gf, (x) => `${x.cpuCores} cores`)} | ${cell(bf, (x) => `${x.cpuCores} cores`)} | ${r(ratio(gf?.cpuCores, bf?.cpuCores))} |`,
    `| ${label} | deliveries per CPU-second of the instances | ${cell(gf, (x) => fmt(perCore(x)))} | ${cell(bf, (x) => fmt(perCore(x)))} | ${r(ratio(perCore(gf), perCore(bf)))} |`,
    `| ${label} | busiest load generator's event-loop use | ${cell(gf, (x) => pct(x.generatorElu))} | ${cell(bf, (x) => pct(x.generatorElu))} | |`,
  ];
}

export function markdown(rep: BenchReport): string {
  const g = rep.results.gateway;
  const b = rep.results.baseline;
  const o = rep.options;
  const m = rep.machine;
  const cell = (s: SystemResult | undefined, f: (x: SystemResult) => string) => (s ? f(s) : '–');
  const lines = [
    `Measured ${rep.finishedAt.slice(0, 10)} with \`npm run bench\` on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB RAM, Node ${m.node}` +
      ` (load average ${m.loadAvgAtStart.join(' / ')} at start; the load generators, Redis and both instances share this machine).`,
    `Two instances on one Redis; ${fmt(o.perInstance * 2)} sockets (${fmt(o.perInstance)} per instance) connected at ${fmt(o.connectRate)} handshakes/s; fan-out ${fmt(o.channels)} channels × ${o.members} members` +
      ` at ${fmt(o.rate)} messages/s for ${o.duration} s, then saturated for ${o.saturateDuration} s (${o.window} send in flight per publisher);` +
      ` reconnect storm: one instance SIGKILLed with ${fmt(g?.storm?.clients ?? b?.storm?.clients ?? 0)} clients, which reconnect to the survivor with the SDK's full-jitter backoff.` +
      ` Baseline: plain Socket.IO, same version and Redis adapter, no auth, validation, metrics or history.`,
    '',
    '| Scenario | Figure | Gateway | Baseline | Gateway / baseline |',
    '|---|---|---|---|---|',
    `| Connect | connected | ${cell(g, (x) => `${fmt(x.connect.connected)} (${pct(x.connect.successRate)})`)} | ${cell(b, (x) => `${fmt(x.connect.connected)} (${pct(x.connect.successRate)})`)} | |`,
    `| Connect | connect time p50 / p99 | ${cell(g, (x) => lat(x.connect.latencyMs))} | ${cell(b, (x) => lat(x.connect.latencyMs))} | ${r(rep.ratios.connectP99)} (p99) |`,
    `| Connect | CPU of the instances per handshake | ${cell(g, (x) => `${fmt(x.connect.cpuMsPerHandshake)} ms`)} | ${cell(b, (x) => `${fmt(x.connect.cpuMsPerHandshake)} ms`)} | ${r(ratio(g?.connect.cpuMsPerHandshake, b?.connect.cpuMsPerHandshake))} |`,
    `| Connect | RSS per idle connection | ${cell(g, (x) => `${fmt(x.connect.rssPerConnKb)} KB`)} | ${cell(b, (x) => `${fmt(x.connect.rssPerConnKb)} KB`)} | ${r(rep.ratios.rssPerConnection)} |`,
    `| Connect | heap per idle connection | ${cell(g, (x) => `${fmt(x.connect.heapPerConnKb)} KB`)} | ${cell(b, (x) => `${fmt(x.connect.heapPerConnKb)} KB`)} | ${r(rep.ratios.heapPerConnection)} |`,
    ...fanoutRows(`Fan-out at ${fmt(o.rate)} msg/s`, g?.fanout, b?.fanout),
    ...fanoutRows('Fan-out saturated', g?.saturated, b?.saturated),
    ...(g?.storm || b?.storm
      ? [
          `| Reconnect storm | back / clients | ${stormCell(g, (s) => `${fmt(s.back)} / ${fmt(s.clients)} (${pct(s.successRate)})`)} | ${stormCell(b, (s) => `${fmt(s.back)} / ${fmt(s.clients)} (${pct(s.successRate)})`)} | |`,
          `| Reconnect storm | time to 50% / 99% / 99.9% back | ${stormCell(g, stormTimes)} | ${stormCell(b, stormTimes)} | ${r(rep.ratios.stormTo999)} (99.9%) |`,
          `| Reconnect storm | peak reconnects / s on the survivor | ${stormCell(g, (s) => fmt(s.peakHandshakesPerSec))} | ${stormCell(b, (s) => fmt(s.peakHandshakesPerSec))} | |`,
        ]
      : []),
    ...(g?.probes || b?.probes
      ? [
          `| Under load | \`channel:join\` (new channel) p50 / p99 | ${cell(g, (x) => (x.probes ? lat(x.probes.joinMs) : '–'))} | ${cell(b, (x) => (x.probes ? lat(x.probes.joinMs) : '–'))} | ${r(rep.ratios.joinP99)} (p99) |`,
          `| Under load | \`presence:get\` p50 / p99 | ${cell(g, (x) => (x.probes ? lat(x.probes.presenceGetMs) : '–'))} | ${cell(b, (x) => (x.probes ? `${lat(x.probes.presenceGetMs)} (fetchSockets)` : '–'))} | ${r(rep.ratios.presenceGetP99)} (p99) |`,
        ]
      : []),
    '',
    '| Target | Measured | Result |',
    '|---|---|---|',
    ...rep.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.pass === null ? 'not measured' : t.pass ? 'pass' : '**miss**'} |`),
    '',
    'One process may hold at most 20,000 open files on this machine, so the benchmark stops at 10,000 sockets per instance' +
      ' (and keeps the storm below 20,000 on the survivor); larger fleets are extrapolated from the measured per-connection memory and CPU, not measured.',
  ];
  const clientBound = [g?.saturated, b?.saturated].some((f) => f && f.generatorElu >= 0.9);
  if (clientBound) {
    lines.push('', 'Saturated fan-out: the load generators, on the same cores, were the first to saturate, so deliveries/s are a lower bound for both systems; deliveries per CPU-second of the instances compare their efficiency.');
  }
  if (rep.notes.length) lines.push('', ...rep.notes.map((n) => `Note: ${n}`));
  return `${lines.join('\n')}\n`;
}

function stormCell(x: SystemResult | undefined, f: (s: StormFigures) => string): string {
  return x?.storm ? f(x.storm) : '–';
}

function stormTimes(s: StormFigures): string {
  const t = (v: number | null) => (v === null ? 'not reached' : `${(v / 1000).toFixed(2)} s`);
  return `${t(s.msTo50)} / ${t(s.msTo99)} / ${t(s.msTo999)}`;
}

/** The rows of the scaling runbook's capacity table (between its bench markers). */
export function runbookTable(rep: BenchReport): string {
  const g = rep.results.gateway;
  const o = rep.options;
  const when = `\`npm run bench\`, ${rep.finishedAt.slice(0, 10)}, ${rep.machine.cores} cores (${rep.machine.cpuModel})`;
  if (!g) return '| Figure | Value | Measured with |\n|---|---|---|\n| (gateway not benchmarked) | | |\n';
  const perPod = (v: number) => fmt(v / 2);
  const fan = g.fanout;
  const sat = g.saturated;
  const storm = g.storm;
  const cpuPerK = fan && fan.publishedPerSec > 0 ? Math.round((fan.cpuCores / 2 / (fan.publishedPerSec / 2 / 1000)) * 100) / 100 : null;
  const p99 = fan?.latencyMs.p99 ?? null;
  const rows = [
    ['Connected sockets per pod at p99 delivery < 100 ms', p99 === null ? '–' : p99 < 100 ? `${fmt(o.perInstance)} (the most measured; p99 ${fmt(p99)} ms)` : `below ${fmt(o.perInstance)} (p99 ${fmt(p99)} ms at ${fmt(o.perInstance)})`, `${fmt(o.perInstance)} sockets per pod, ${fmt(o.rate)} msg/s fanned out to ${o.members} members`],
    ['Resident memory per connected socket', `${fmt(g.connect.rssPerConnKb)} KB RSS (${fmt(g.connect.heapPerConnKb)} KB heap)`, `${fmt(o.perInstance)} idle authenticated sockets per pod`],
    [`Messages per second per pod (fan-out to ${o.members} sockets)`, sat ? `${sat.generatorElu >= 0.9 ? 'at least ' : ''}${perPod(sat.publishedPerSec)} published, ${perPod(sat.deliveredPerSec)} deliveries${sat.generatorElu >= 0.9 ? ' (the load generators saturated first)' : ''}` : '–', `saturated: ${fmt(o.channels)} channels, ${o.window} send in flight per publisher`],
    ['Message delivery p99 latency', `${fmt(p99)} ms at ${fmt(o.rate)} msg/s${sat ? `; ${fmt(sat.latencyMs.p99)} ms saturated` : ''}`, 'sender to receiver, end to end'],
    ['CPU per 1,000 messages per second', cpuPerK === null ? '–' : `${cpuPerK} cores per pod (fan-out to ${o.members})`, `${fmt(o.rate)} msg/s over 2 pods`],
    ['Handshakes per second per pod (reconnect storm capacity)', storm ? `${fmt(storm.peakHandshakesPerSec)} (99.9% of ${fmt(storm.clients)} back in ${storm.msTo999 === null ? 'not reached' : `${(storm.msTo999 / 1000).toFixed(1)} s`})` : '–', 'one pod SIGKILLed, clients reconnect to the survivor'],
  ];
  return ['| Figure | Value | Measured with |', '|---|---|---|', ...rows.map((row) => `| ${row[0]} | ${row[1]} | ${row[2]} |`), `\nSource: ${when}; full table and baseline comparison in \`app/bench/results/latest.md\`.`].join('\n') + '\n';
}

/** Replaces what sits between the bench markers of the runbook page, keeping the markers. */
export function fillBetweenMarkers(page: string, content: string): string {
  const start = page.indexOf('<!-- bench:start');
  const end = page.indexOf('<!-- bench:end -->');
  if (start < 0 || end < start) throw new Error('bench markers not found');
  const afterStart = page.indexOf('\n', start) + 1;
  return `${page.slice(0, afterStart)}${content}${page.slice(end)}`;
}
