import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo } from './bench';
import { instanceOf } from './generator';
import { Histogram } from './histogram';
import { DEFAULTS, parseOptions, UsageError, type BenchOptions } from './options';
import { buildReport, fillBetweenMarkers, markdown, runbookTable } from './report';
import { pairOrder, runStudy, summarize, type StudyResult } from './rounds';
import { plans } from './studies';

/**
 * The benchmark's harness at toy size, so it cannot rot: every study against the real gateway
 * (compiled dist/, real processes, Redis) and the baseline, one round per arm, checked for
 * well-formed figures and nothing lost. No timing is asserted: this machine is shared and the
 * numbers mean nothing here. The pairing arithmetic is checked on made-up rounds below.
 */
const SMOKE: BenchOptions = {
  ...DEFAULTS,
  rounds: 1,
  control: false,
  connectRates: [200],
  connectSeconds: 0.1,
  perInstance: 12,
  setupRate: 400,
  channels: 4,
  members: 5,
  rate: 40,
  duration: 1.5,
  saturateDuration: 1,
  probes: 2,
  probeRate: 4,
  rejoinProbes: 2,
  rejoinChannels: 3,
  rejoinPause: 0.2,
  stormClients: 12,
  stormDeadline: 20,
  ratioInstances: 4,
  ratioChannels: 8,
  ratioMembers: 2,
  ratioRate: 40,
  ratioDuration: 1,
  waitChannels: 3,
  waitMembers: 3,
  waitRate: 30,
  waitDuration: 1,
  perGenerator: 12,
  settle: 0.2,
  out: '',
  runbook: '',
};

const log = () => undefined;
const studies: StudyResult[] = [];

async function run(id: string): Promise<StudyResult> {
  const plan = plans(SMOKE, log).find((p) => p.id === id)!;
  const study = await runStudy(plan, log);
  studies.push(study);
  expect(study.rounds.map((r) => [r.arm, r.failure])).toEqual([[plan.subject!.id, undefined], [plan.reference!.id, undefined]]);
  return study;
}

/** The figure of every arm (one round each here). */
function each(study: StudyResult, key: string): number[] {
  return study.rounds.map((r) => r.figures[key] as number);
}

describe('benchmark harness (smoke)', () => {
  it('should time connects and count Redis round trips and commands per handshake', async () => {
    const s = await run('connect-200');
    expect(each(s, 'connected_pct')).toEqual([100, 100]);
    // The warm-up round (on by default) reports the fresh processes' CPU beside the measured round's.
    for (const key of ['connect_p99_ms', 'cpu_ms_per_handshake', 'cpu_ms_per_handshake_cold', 'redis_round_trips_per_handshake', 'redis_commands_per_handshake']) {
      expect(each(s, key)).toEqual([expect.any(Number), expect.any(Number)]);
    }
    // The gateway's handshake does state work in Redis; the bare baseline's does none.
    expect(s.rounds[0].figures.redis_commands_per_handshake).toBeGreaterThan(1);
    expect(Object.keys(s.rounds[0].figures).some((k) => k.startsWith('redis_calls.'))).toBe(true);
  }, 90_000);

  it('should measure memory per idle connection', async () => {
    const s = await run('memory');
    expect(each(s, 'connected_pct')).toEqual([100, 100]);
    expect(each(s, 'rss_kb_per_connection')).toEqual([expect.any(Number), expect.any(Number)]);
    expect(each(s, 'heap_kb_per_connection')).toEqual([expect.any(Number), expect.any(Number)]);
  }, 45_000);

  it('should fan out at a fixed rate and saturated with nothing lost, probing joins, presence and 30-channel rejoins alongside', async () => {
    const s = await run('fanout');
    for (const r of s.rounds) {
      expect({ arm: r.arm, lost: r.figures.lost, duplicated: r.figures.duplicated, satLost: r.figures.sat_lost, probeFailures: r.figures.probe_failures })
        .toEqual({ arm: r.arm, lost: 0, duplicated: 0, satLost: 0, probeFailures: 0 });
      for (const key of ['p99_ms', 'send_ack_p99_ms', 'deliveries_per_cpu_s', 'join_p99_ms', 'presence_get_p99_ms', 'rejoin_p99_ms', 'sat_delivered_per_s']) {
        expect({ key, value: r.figures[key] }).toEqual({ key, value: expect.any(Number) });
      }
      expect(r.figures.rejoin_cycles).toBeGreaterThan(0);
      expect(r.errors).toEqual({});
    }
  }, 60_000);

  it('should bring every client of a killed instance back to the survivor', async () => {
    const s = await run('storm');
    expect(each(s, 'back_pct')).toEqual([100, 100]);
    expect(each(s, 'ms_to_999')).toEqual([expect.any(Number), expect.any(Number)]);
  }, 45_000);

  it('should count per-instance bus traffic: each gateway instance reads only its own channels, each baseline instance all of them', async () => {
    const s = await run('fanout-ratio');
    const [gateway, baseline] = s.rounds;
    expect(gateway.figures.lost).toBe(0);
    expect(gateway.figures.own).toBeGreaterThan(0);
    // Counts, not timings: exact on any machine.
    expect([0, 1, 2, 3].map((i) => gateway.figures[`ratio_${i}`])).toEqual([1, 1, 1, 1]);
    for (let i = 0; i < 4; i++) expect(baseline.figures[`ratio_${i}`]).toBeGreaterThan(3.5);
  }, 45_000);

  it('should time sends with REDIS_WAIT_REPLICAS=1 and 0 on a primary with a replica', async () => {
    const s = await run('wait-replicas');
    expect(s.rounds.map((r) => r.arm)).toEqual(['wait-1', 'wait-0']);
    for (const r of s.rounds) {
      expect({ arm: r.arm, failed: r.figures.failed_sends, lost: r.figures.lost }).toEqual({ arm: r.arm, failed: 0, lost: 0 });
      expect(r.figures.send_ack_p99_ms).toEqual(expect.any(Number));
    }
  }, 45_000);

  it('should report every target and study as markdown and fill the runbook table', () => {
    const report = buildReport({ startedAt: new Date(0), finishedAt: new Date(60_000), machine: machineInfo(), options: SMOKE, studies });
    expect(report.targets.find((t) => t.target.startsWith('zero lost'))!.pass).toBe(true);
    expect(report.targets.find((t) => t.target.startsWith('per-instance bus traffic'))).toMatchObject({ pass: true, measured: '1 (all-to-all baseline: 4)' });
    const md = markdown(report);
    for (const st of studies) expect(md).toContain(`### ${st.title}`);
    expect(md).toContain('| Figure | gateway | baseline | gateway ÷ baseline |');
    expect(md).toContain(report.machine.cpuModel);
    expect(md).toMatch(/extrapolated/);
    const page = readFileSync(join(__dirname, '..', '..', 'runbooks', 'scaling-and-capacity.md'), 'utf8');
    const filled = fillBetweenMarkers(page, runbookTable(report));
    expect(filled).toContain('| Resident memory per connected socket |');
    expect(filled.split('<!-- bench:end -->')[1]).toBe(page.split('<!-- bench:end -->')[1]);
    expect(filled.split('<!-- bench:start')[0]).toBe(page.split('<!-- bench:start')[0]);
  });
});

describe('benchmark pairing, options and histogram', () => {
  const arm = (id: string) => ({ id, label: id });
  const plan = {
    id: 'p', title: 'P', setup: '', subject: arm('gateway'), reference: arm('baseline'), control: arm('baseline-2'), pairs: 3,
    figures: [{ key: 'p99' }, { key: 'lost', compare: false }].map((f) => ({ label: f.key, ...f })),
  };
  const round = (pair: number, a: string, p99: number) => ({ pair, arm: a, loadAvg1: 0, startedAt: '', seconds: 1, figures: { p99, lost: 0 }, errors: {} });

  it('should rotate the arm order from pair to pair', () => {
    expect([0, 1, 2].map((k) => pairOrder(['g', 'b', 'c'], k).join(''))).toEqual(['gbc', 'bcg', 'cgb']);
  });

  it('should publish medians with ranges, ratios within pairs, and "no difference" inside the control range', () => {
    const baseline = [10, 20, 40];
    const control = [9, 26, 40];
    const rounds = (gateway: number[]) => [0, 1, 2].flatMap((k) => [round(k, 'gateway', gateway[k]), round(k, 'baseline', baseline[k]), round(k, 'baseline-2', control[k])]);
    const same = summarize(plan, rounds([11, 21, 41])).figures[0];
    expect(same.arms.gateway).toEqual({ median: 21, min: 11, max: 41, n: 3 });
    expect(same.ratio).toMatchObject({ median: 1.05, min: 1.025, max: 1.1 });
    expect(same.control).toMatchObject({ min: 0.9, max: 1.3 });
    expect(same.verdict).toBe('no difference');
    expect(summarize(plan, rounds([30, 60, 120])).figures[0]).toMatchObject({ ratio: { median: 3 }, verdict: 'higher' });
    expect(summarize(plan, rounds([5, 10, 20])).figures[0].verdict).toBe('lower');
    // A failed round leaves its pair out of the ratio, not the study.
    const withFailure = rounds([11, 21, 41]).map((r) => (r.pair === 2 && r.arm === 'gateway' ? { ...r, figures: {}, failure: 'x' } : r));
    expect(summarize(plan, withFailure).figures[0].ratio).toMatchObject({ n: 2 });
    expect(summarize(plan, rounds([11, 21, 41])).figures[1]).toMatchObject({ ratio: null, verdict: null });
  });

  it('should place sockets alternately, or every member of a channel on one instance', () => {
    const urls = ['a', 'b', 'c', 'd'];
    expect([0, 1, 2, 5].map((g) => instanceOf(g, { urls, placement: { mode: 'alternate' } }))).toEqual([0, 1, 2, 1]);
    const placement = { mode: 'by-channel' as const, layout: { channels: 8, members: 2 } };
    expect([0, 1, 2, 3, 6, 7, 8, 15, 16, 17].map((g) => instanceOf(g, { urls, placement }))).toEqual([0, 0, 1, 1, 3, 3, 0, 3, 0, 1]);
  });

  it('should take flags over env over defaults, and refuse bad values listing each', () => {
    const o = parseOptions(['--per-instance', '500', '--rate=20', '--systems', 'baseline', '--connect-rates', '100,300', '--control', 'false'], { BENCH_RATE: '99', BENCH_CHANNELS: '10', BENCH_ROUNDS: '2' });
    expect(o).toMatchObject({ perInstance: 500, rate: 20, channels: 10, rounds: 2, systems: ['baseline'], connectRates: [100, 300], control: false, members: DEFAULTS.members });
    expect(() => parseOptions(['--nope', '1', '--rate', '-1'], {})).toThrow(UsageError);
    expect(() => parseOptions(['--nope', '1', '--rate', '-1'], {})).toThrow(/unknown flag --nope\n--rate must be a positive number/);
    expect(parseOptions(['--gateway-engine', 'memory'], {}).scenarios).toEqual(['connect', 'memory', 'storm']);
    expect(DEFAULTS.connectWarmup).toBe(true);
    expect(parseOptions(['--connect-warmup', 'false'], {}).connectWarmup).toBe(false);
    expect(parseOptions([], { BENCH_CONNECT_WARMUP: 'no' }).connectWarmup).toBe(false);
    expect(() => parseOptions(['--connect-warmup', 'maybe'], {})).toThrow(/--connect-warmup takes true or false \(got "maybe"\)/);
    expect(() => parseOptions(['--gateway-engine', 'memory', '--scenarios', 'connect,fanout'], {})).toThrow(/runs only connect, memory, storm \(got fanout\)/);
    expect(() => parseOptions(['--rounds', '0', '--scenarios', 'connect,nope'], {})).toThrow(/--rounds must be a positive number \(got "0"\)\n--scenarios takes/);
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
