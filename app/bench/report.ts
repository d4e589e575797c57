/**
 * Turns the studies' rounds into what people read: per figure the median and range of each arm,
 * the within-pair gateway/baseline ratio next to the control's noise floor, the issues' targets
 * as pass/miss, a markdown page (results/latest.md) and the capacity table of the scaling runbook.
 */
import type { MachineInfo } from './bench';
import type { BenchOptions } from './options';
import type { FigureSummary, Stats, StudyResult } from './rounds';

export interface TargetCheck {
  target: string;
  measured: string;
  /** null when the figure was not measured (study or baseline not run, or every round failed), is only reported, or is within the noise floor */
  pass: boolean | null;
  /** set when a ratio that misses the target lies within the control's range: the run cannot tell the systems apart */
  noDifference?: boolean;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  machine: MachineInfo;
  options: BenchOptions;
  studies: StudyResult[];
  targets: TargetCheck[];
  notes: string[];
}

const find = (studies: StudyResult[], id: string, key: string): FigureSummary | null =>
  studies.find((s) => s.id === id)?.figures.find((f) => f.key === key) ?? null;

function ratioText(f: FigureSummary | null): string {
  if (!f?.ratio) return 'no baseline';
  return `${ratioCell(f.ratio)}${f.verdict === 'no difference' ? ', within the noise floor: no difference' : ''}`;
}

function x(v: number): string {
  return `${Math.round(v * 100) / 100}×`;
}

function ratioTarget(studies: StudyResult[], id: string, key: string, target: string, ok: (r: number) => boolean): TargetCheck {
  const f = find(studies, id, key);
  if (!f?.ratio) return { target, measured: f ? ratioText(f) : 'not measured', pass: null };
  if (ok(f.ratio.median)) return { target, measured: ratioText(f), pass: true };
  // Outside the target but inside the noise floor: this run cannot tell a miss from noise.
  if (f.verdict === 'no difference') return { target, measured: ratioText(f), pass: null, noDifference: true };
  return { target, measured: ratioText(f), pass: false };
}

function subjectMedian(studies: StudyResult[], id: string, key: string): number | null {
  const s = studies.find((st) => st.id === id);
  const f = find(studies, id, key);
  return s?.subject && f ? f.arms[s.subject.id]?.median ?? null : null;
}

/** The targets of issues 13 and 12, checked on medians (ratios within pairs). */
export function targets(studies: StudyResult[], opts: BenchOptions): TargetCheck[] {
  const out: TargetCheck[] = [];
  const has = (id: string) => studies.some((s) => s.id === id);
  const firstConnect = studies.find((s) => s.id.startsWith('connect-'));
  if (firstConnect) {
    out.push(ratioTarget(studies, firstConnect.id, 'cpu_ms_per_handshake', `CPU per handshake ≤ 1.3× baseline (at ${firstConnect.id.slice(8)}/s)`, (r) => r <= 1.3));
    const trips = subjectMedian(studies, firstConnect.id, 'redis_round_trips_per_handshake');
    const cmds = subjectMedian(studies, firstConnect.id, 'redis_commands_per_handshake');
    out.push({ target: 'Redis round trips per handshake ≤ 2', measured: trips === null ? 'not measured' : `${trips} round trips, ${cmds} commands`, pass: trips === null ? null : trips <= 2 });
  }
  for (const rate of opts.connectRates) {
    const id = `connect-${rate}`;
    if (!has(id)) continue;
    const p99 = subjectMedian(studies, id, 'connect_p99_ms');
    const ok = subjectMedian(studies, id, 'connected_pct');
    const measured = p99 === null ? 'not measured' : `p99 ${p99} ms, ${ok}% connected (${ratioText(find(studies, id, 'connect_p99_ms'))})`;
    if (rate === 1000) out.push({ target: 'connect p99 < 250 ms with 100% connected at 1,000 handshakes/s', measured, pass: p99 === null ? null : p99 < 250 && ok === 100 });
    else out.push({ target: `connect p99 at ${rate.toLocaleString('en-US')} handshakes/s (reported)`, measured, pass: null });
  }
  if (has('storm')) out.push(ratioTarget(studies, 'storm', 'ms_to_999', 'reconnect storm, 99.9% back ≤ 1.2× baseline', (r) => r <= 1.2));
  if (has('fanout')) {
    out.push(ratioTarget(studies, 'fanout', 'join_p99_ms', '`channel:join` p99 under load ≤ 2× baseline', (r) => r <= 2));
    out.push(ratioTarget(studies, 'fanout', 'rejoin_p99_ms', 'rejoin of 30 channels after a reconnect, p99 ≤ 2× baseline', (r) => r <= 2));
    out.push(ratioTarget(studies, 'fanout', 'p99_ms', `delivery p99 at ${opts.rate.toLocaleString('en-US')} msg/s ≤ 1.5× baseline`, (r) => r <= 1.5));
    out.push(ratioTarget(studies, 'fanout', 'deliveries_per_cpu_s', 'deliveries per CPU-second at the fixed rate ≥ 0.8× baseline', (r) => r >= 0.8));
    if (opts.saturateDuration > 0) out.push(ratioTarget(studies, 'fanout', 'sat_delivered_per_s', 'saturated fan-out ≥ 0.85× baseline', (r) => r >= 0.85));
  }
  if (has('memory')) out.push(ratioTarget(studies, 'memory', 'rss_kb_per_connection', 'memory (RSS) per idle connection ≤ 1.15× baseline', (r) => r <= 1.15));
  if (has('fanout-ratio')) {
    const s = studies.find((st) => st.id === 'fanout-ratio')!;
    const f = find(studies, 'fanout-ratio', 'max_ratio');
    const g = s.subject?.id === 'gateway' ? f?.arms.gateway ?? null : null;
    const b = f?.arms.baseline ?? null;
    out.push({
      target: 'per-instance bus traffic: received ÷ own-channel messages ≤ 1.2 (worst instance)',
      measured: g ? `${g.median} (all-to-all baseline: ${b ? b.median : 'not run'})` : 'not measured',
      pass: g ? g.median <= 1.2 : null,
    });
  }
  const lossy = studies.flatMap((s) => s.figures.filter((f) => /(^|_)lost$/.test(f.key)).map((f) => ({ s, f })));
  if (lossy.length) {
    const gatewayLost = lossy.reduce((n, { s, f }) => n + s.rounds.filter((r) => r.arm !== 'baseline' && r.arm !== 'baseline-2').reduce((m, r) => m + (r.figures[f.key] ?? 0), 0), 0);
    out.push({ target: 'zero lost acked messages (gateway, every round)', measured: `${gatewayLost} lost`, pass: gatewayLost === 0 });
  }
  return out;
}

export function buildReport(args: { startedAt: Date; finishedAt: Date; machine: MachineInfo; options: BenchOptions; studies: StudyResult[]; notes?: string[] }): BenchReport {
  return {
    startedAt: args.startedAt.toISOString(),
    finishedAt: args.finishedAt.toISOString(),
    durationSec: Math.round((args.finishedAt.getTime() - args.startedAt.getTime()) / 1000),
    machine: args.machine,
    options: args.options,
    studies: args.studies,
    targets: targets(args.studies, args.options),
    notes: args.notes ?? [],
  };
}

function resultCell(t: TargetCheck): string {
  if (t.pass === true) return 'pass';
  if (t.pass === false) return '**miss**';
  if (t.noDifference) return 'no difference (within the noise floor)';
  return t.measured === 'not measured' ? 'not measured' : 'reported';
}

function num(v: number): string {
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 100) / 100);
}

function cell(s: Stats | null | undefined): string {
  if (!s) return '–';
  return s.n > 1 && s.min !== s.max ? `${num(s.median)} (${num(s.min)}–${num(s.max)})` : num(s.median);
}

function ratioCell(s: Stats | null): string {
  if (!s) return '';
  return s.n > 1 && s.min !== s.max ? `${x(s.median)} (${x(s.min)}–${x(s.max)})` : x(s.median);
}

function studyTable(st: StudyResult): string[] {
  const arms = [st.subject, st.reference, st.control].filter((a) => a !== null);
  const withRatio = st.subject !== null && st.reference !== null;
  const head = ['Figure', ...arms.map((a) => a!.label)];
  if (withRatio) head.push(`${st.subject!.label} ÷ ${st.reference!.label}`);
  if (st.control) head.push('control ÷ baseline (noise floor)', 'verdict');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const f of st.figures) {
    const row = [f.label, ...arms.map((a) => cell(f.arms[a!.id]))];
    if (withRatio) row.push(ratioCell(f.ratio));
    if (st.control) row.push(f.control ? `${x(f.control.min)}–${x(f.control.max)}` : '', f.verdict ?? '');
    lines.push(`| ${row.join(' | ')} |`);
  }
  return lines;
}

function roundsLine(st: StudyResult): string {
  const label = (id: string) => [st.subject, st.reference, st.control].find((a) => a?.id === id)?.label ?? id;
  const parts = st.rounds.map((r) => `${label(r.arm)} ${r.loadAvg1}${r.failure ? ` (failed: ${r.failure})` : ''}`);
  return `Rounds in order, with the 1-minute load average before each: ${parts.join(', ')}.`;
}

export function markdown(rep: BenchReport): string {
  const m = rep.machine;
  const o = rep.options;
  const lines = [
    `Measured ${rep.finishedAt.slice(0, 10)} with \`npm run bench\` on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB RAM, Node ${m.node}` +
      ` (load average ${m.loadAvgAtStart.join(' / ')} at start, ${(m.loadAvgAtEnd ?? []).join(' / ')} at the end; the load generators, Redis and the instances share this machine; ${Math.round(rep.durationSec / 60)} min in all).`,
    '',
    `Method: each study runs its systems in alternating rounds — ${o.rounds} pair${o.rounds === 1 ? '' : 's'}${o.control ? ', each with a second identical baseline as the control' : ''}, the order rotating from pair to pair — and every round starts fresh processes and a fresh \`redis-server\`.` +
      ' A figure is the median over its rounds, with the range in brackets. Ratios are taken within each pair and published the same way; the control ÷ baseline range is the noise floor, and a gateway ÷ baseline median inside it reads "no difference".' +
      ' Baseline: plain Socket.IO, same version and Redis adapter, no auth, validation, metrics or history.',
    '',
    '| Target | Measured (gateway ÷ baseline: median, range) | Result |',
    '|---|---|---|',
    ...rep.targets.map((t) => `| ${t.target} | ${t.measured} | ${resultCell(t)} |`),
  ];
  for (const st of rep.studies) {
    lines.push('', `### ${st.title}`, '', st.setup, '', ...studyTable(st), '', roundsLine(st));
    const failures = st.rounds.filter((r) => Object.keys(r.errors).length > 0).map((r) => `${r.arm} pair ${r.pair + 1}: ${Object.entries(r.errors).map(([k, n]) => `${k} ×${n}`).join(', ')}`);
    if (failures.length) lines.push('', `Errors seen: ${failures.join('; ')}.`);
    for (const n of st.notes) lines.push('', `Note: ${n}`);
  }
  lines.push('', 'One process may hold at most 20,000 open files on this machine, so no round puts more than 10,000 sockets on one instance; larger fleets are extrapolated from the measured per-connection memory and CPU, not measured.');
  const sat = find(rep.studies, 'fanout', 'sat_generator_elu');
  if (sat && Object.values(sat.arms).some((a) => a && a.max >= 0.9)) {
    lines.push('', 'Saturated fan-out: the load generators, on the same cores, were the first to saturate, so deliveries/s are a lower bound for both systems; deliveries per CPU-second of the instances compare their efficiency.');
  }
  if (rep.notes.length) lines.push('', ...rep.notes.map((n) => `Note: ${n}`));
  return `${lines.join('\n')}\n`;
}

/** The rows of the scaling runbook's capacity table (between its bench markers), from the gateway's medians. */
export function runbookTable(rep: BenchReport): string {
  const o = rep.options;
  const g = (id: string, key: string) => subjectMedian(rep.studies.filter((s) => s.subject?.id === 'gateway'), id, key);
  const when = `\`npm run bench\`, ${rep.finishedAt.slice(0, 10)}, ${rep.machine.cores} cores (${rep.machine.cpuModel}), medians of ${o.rounds} rounds`;
  const v = (n: number | null, unit = '') => (n === null ? '–' : `${num(n)}${unit}`);
  const cores = g('fanout', 'cpu_cores');
  const p99 = g('fanout', 'p99_ms');
  const fanPerPod = Math.round((o.channels * o.members + o.probes + o.rejoinProbes) / 2);
  const satElu = g('fanout', 'sat_generator_elu');
  const clientBound = satElu !== null && satElu >= 0.9;
  const half = (n: number | null) => (n === null ? null : n / 2);
  const rows = [
    ['Connected sockets per pod at p99 delivery < 100 ms', p99 === null ? '–' : p99 < 100 ? `${num(fanPerPod)} (the most measured with traffic; p99 ${num(p99)} ms)` : `below ${num(fanPerPod)} (p99 ${num(p99)} ms at ${num(fanPerPod)})`, `${num(fanPerPod)} sockets per pod, ${num(o.rate)} msg/s fanned out to ${o.members} members`],
    ['Resident memory per connected socket', `${v(g('memory', 'rss_kb_per_connection'), ' KB')} RSS (${v(g('memory', 'heap_kb_per_connection'), ' KB')} heap)`, `${num(o.perInstance)} idle authenticated sockets per pod`],
    [`Messages per second per pod (fan-out to ${o.members} sockets)`, g('fanout', 'sat_published_per_s') === null ? '–' : `${clientBound ? 'at least ' : ''}${v(half(g('fanout', 'sat_published_per_s')))} published, ${v(half(g('fanout', 'sat_delivered_per_s')))} deliveries${clientBound ? ' (the load generators saturated first)' : ''}`, `saturated: ${num(o.channels)} channels, ${o.window} send in flight per publisher`],
    ['Message delivery p99 latency', `${v(p99, ' ms')} at ${num(o.rate)} msg/s; ${v(g('fanout', 'sat_p99_ms'), ' ms')} saturated`, 'sender to receiver, end to end'],
    ['CPU per 1,000 messages per second', cores === null ? '–' : `${num(cores / 2 / (o.rate / 2 / 1000))} cores per pod (fan-out to ${o.members})`, `${num(o.rate)} msg/s over 2 pods`],
    ['Handshakes per second per pod (reconnect storm capacity)', `${v(g('storm', 'peak_reconnects_per_s'))} (99.9% of ${num(Math.min(o.stormClients, o.perInstance) / 2)} back in ${v(g('storm', 'ms_to_999'), ' ms')})`, 'one pod SIGKILLed, clients reconnect to the survivor'],
    ['CPU per handshake', v(g(`connect-${o.connectRates[0]}`, 'cpu_ms_per_handshake'), ' ms'), `at ${num(o.connectRates[0])} handshakes/s`],
  ];
  return ['| Figure | Value | Measured with |', '|---|---|---|', ...rows.map((row) => `| ${row[0]} | ${row[1]} | ${row[2]} |`), `\nSource: ${when}; full tables and the baseline comparison in \`app/bench/results/latest.md\`.`].join('\n') + '\n';
}

/** Replaces what sits between the bench markers of the runbook page, keeping the markers. */
export function fillBetweenMarkers(page: string, content: string): string {
  const start = page.indexOf('<!-- bench:start');
  const end = page.indexOf('<!-- bench:end -->');
  if (start < 0 || end < start) throw new Error('bench markers not found');
  const afterStart = page.indexOf('\n', start) + 1;
  return `${page.slice(0, afterStart)}${content}${page.slice(end)}`;
}
