import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo, runSystem, type FanoutFigures, type SystemResult } from './bench';
import { Histogram } from './histogram';
import { DEFAULTS, parseOptions, UsageError, type BenchOptions } from './options';
import { buildReport, fillBetweenMarkers, markdown, runbookTable } from './report';

/**
 * The benchmark's harness at toy size, so it cannot rot: every scenario against the real gateway
 * (compiled dist/, two processes, Redis) and the baseline, checked for well-formed results and
 * nothing lost. No timing is asserted: this machine is shared and the numbers mean nothing here.
 */
const SMOKE: BenchOptions = {
  ...DEFAULTS,
  perInstance: 12,
  connectRate: 200,
  channels: 4,
  members: 5,
  rate: 40,
  duration: 1.5,
  saturateDuration: 1,
  probes: 2,
  probeRate: 4,
  stormClients: 24,
  stormDeadline: 20,
  perGenerator: 12,
  settle: 0.2,
  out: '',
  runbook: '',
};

function expectClean(f: FanoutFigures | null, members: number): void {
  expect(f).not.toBeNull();
  expect(f!.acked).toBeGreaterThan(0);
  expect(f!.failed).toBe(0);
  expect(f!.expected).toBe(f!.acked * members);
  expect({ delivered: f!.delivered, lost: f!.lost, duplicated: f!.duplicated, misrouted: f!.misrouted }).toEqual({ delivered: f!.expected, lost: 0, duplicated: 0, misrouted: 0 });
  expect(f!.latencyMs.count).toBe(f!.delivered);
  expect(f!.latencyMs.p99).not.toBeNull();
}

function expectWellFormed(r: SystemResult, kind: string): void {
  expect(r.kind).toBe(kind);
  expect(r.connect).toMatchObject({ attempted: 24, connected: 24, successRate: 1, errors: {} });
  expect(r.connect.instances.map((i) => i.sockets)).toEqual([12, 12]);
  expect(r.connect.latencyMs.count).toBe(24);
  expect(r.connect.rssPerConnKb).toEqual(expect.any(Number));
  expect(r.connect.heapPerConnKb).toEqual(expect.any(Number));
  expect(r.join).toMatchObject({ attempted: 20, joined: 20 });
  expectClean(r.fanout, SMOKE.members);
  expectClean(r.saturated, SMOKE.members);
  expect(r.probes!.failed).toBe(0);
  expect(r.probes!.joinMs.count).toBeGreaterThan(0);
  expect(r.probes!.presenceGetMs.count).toBeGreaterThan(0);
  // The killed instance held every odd socket; all of them come back to the survivor.
  expect(r.storm).toMatchObject({ clients: 12, back: 12, successRate: 1 });
  expect(r.storm!.msTo999).toEqual(expect.any(Number));
}

describe('benchmark harness (smoke)', () => {
  const results: Partial<Record<'gateway' | 'baseline', SystemResult>> = {};
  const log = () => undefined;

  it('should run every scenario against the gateway with nothing lost or duplicated', async () => {
    results.gateway = await runSystem('gateway', SMOKE, log);
    expectWellFormed(results.gateway, 'gateway');
  }, 60_000);

  it('should run the same scenarios against the bare Socket.IO baseline', async () => {
    results.baseline = await runSystem('baseline', SMOKE, log);
    expectWellFormed(results.baseline, 'baseline');
  }, 60_000);

  it('should report ratios, every target and the machine, as markdown and for the runbook', () => {
    const report = buildReport({ startedAt: new Date(0), finishedAt: new Date(60_000), machine: machineInfo(), options: SMOKE, results });
    expect(Object.values(report.ratios).every((v) => typeof v === 'number')).toBe(true);
    expect(report.targets.map((t) => t.target)).toHaveLength(6);
    expect(report.targets.every((t) => typeof t.pass === 'boolean')).toBe(true);
    expect(report.targets.find((t) => t.target === 'zero lost acked messages')!.pass).toBe(true);
    const md = markdown(report);
    expect(md).toContain('| Scenario | Figure | Gateway | Baseline | Gateway / baseline |');
    expect(md).toContain(report.machine.cpuModel);
    expect(md).toMatch(/extrapolated/);
    const page = readFileSync(join(__dirname, '..', '..', 'runbooks', 'scaling-and-capacity.md'), 'utf8');
    const filled = fillBetweenMarkers(page, runbookTable(report));
    expect(filled).toContain('| Resident memory per connected socket |');
    expect(filled.split('<!-- bench:end -->')[1]).toBe(page.split('<!-- bench:end -->')[1]);
    expect(filled.split('<!-- bench:start')[0]).toBe(page.split('<!-- bench:start')[0]);
  });
});

describe('benchmark options and histogram', () => {
  it('should take flags over env over defaults, and refuse bad values listing each', () => {
    const o = parseOptions(['--per-instance', '500', '--rate=20', '--systems', 'baseline'], { BENCH_RATE: '99', BENCH_CHANNELS: '10' });
    expect(o).toMatchObject({ perInstance: 500, rate: 20, channels: 10, systems: ['baseline'], members: DEFAULTS.members });
    expect(() => parseOptions(['--nope', '1', '--rate', '-1'], {})).toThrow(UsageError);
    expect(() => parseOptions(['--nope', '1', '--rate', '-1'], {})).toThrow(/unknown flag --nope\n--rate must be a positive number/);
    expect(() => parseOptions(['--per-instance', '10'], {})).toThrow(/must not exceed the sockets connected/);
  });

  it('should give percentiles within 1% and merge across processes', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 1; i <= 1000; i++) (i % 2 ? a : b).record(i);
    const h = Histogram.from([a.toJSON(), b.toJSON()]);
    expect(h.count).toBe(1000);
    expect(h.quantile(0.5)! / 500).toBeCloseTo(1, 1);
    expect(h.quantile(0.99)! / 990).toBeCloseTo(1, 1);
    expect(h.summary().max).toBe(1000);
  });
});
