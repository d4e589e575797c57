/**
 * The benchmark's scenarios, run against one system (the gateway or the bare baseline) at a
 * time on a fresh Redis: (1) connect, (2) fan-out at a fixed rate with (4) join/presence probes
 * alongside, then saturated, (3) reconnect storm after a SIGKILL. Results are plain data; the
 * report module compares them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { RedisServer } from '../test/support/redis-server';
import { GeneratorPool } from './generator-pool';
import { Histogram, type HistogramData, type LatencySummary } from './histogram';
import type { BenchOptions, Scenario } from './options';
import type {
  ConnectResult, CountsResult, JoinResult, Layout, ProbeResult, PublishResult, StormReport, SystemKind, VerifyResult,
} from './protocol';
import { BaselineSystem, GatewaySystem, type InstanceSample, type SystemUnderTest } from './systems';

export type Log = (line: string) => void;

export interface ConnectFigures {
  attempted: number;
  connected: number;
  successRate: number;
  errors: Record<string, number>;
  latencyMs: LatencySummary;
  /** per instance: RSS and heap before and after, and per connected socket */
  instances: Array<{ sockets: number; rssBeforeMb: number; rssAfterMb: number; heapBeforeMb: number | null; heapAfterMb: number | null }>;
  rssPerConnKb: number | null;
  heapPerConnKb: number | null;
  /** CPU milliseconds of the instances per accepted handshake */
  cpuMsPerHandshake: number | null;
  /** busiest load generator's event-loop utilization while connecting */
  generatorElu: number;
}

export interface FanoutFigures {
  mode: 'rate' | 'saturate';
  channels: number;
  members: number;
  /** target publish rate (rate mode) */
  ratePerSec: number | null;
  seconds: number;
  sent: number;
  acked: number;
  failed: number;
  errors: Record<string, number>;
  publishedPerSec: number;
  expected: number;
  delivered: number;
  deliveredPerSec: number;
  lost: number;
  duplicated: number;
  misrouted: number;
  latencyMs: LatencySummary;
  ackLatencyMs: LatencySummary;
  /** CPU seconds per second of both instances together */
  cpuCores: number;
  unexpectedDisconnects: number;
  /** busiest load generator's event-loop utilization while publishing (near 1 = the client side limits) */
  generatorElu: number;
}

export interface StormFigures {
  clients: number;
  back: number;
  successRate: number;
  msTo50: number | null;
  msTo99: number | null;
  msTo999: number | null;
  /** the most reconnects completed in any one second, on the surviving instance */
  peakHandshakesPerSec: number;
  attempts: number;
  failedAttempts: number;
  errors: Record<string, number>;
}

export interface ProbeFigures {
  joinMs: LatencySummary;
  presenceGetMs: LatencySummary;
  failed: number;
  errors: Record<string, number>;
}

/** A scenario left out with `--scenarios` is null. */
export interface SystemResult {
  kind: SystemKind;
  connect: ConnectFigures;
  join: { attempted: number; joined: number; errors: Record<string, number>; latencyMs: LatencySummary } | null;
  fanout: FanoutFigures | null;
  saturated: FanoutFigures | null;
  probes: ProbeFigures | null;
  storm: StormFigures | null;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
  loadAvgAtStart: number[];
  loadAvgAtEnd?: number[];
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAvgAtStart: loadAvg(),
  };
}

export function loadAvg(): number[] {
  return loadavg().map((v) => Math.round(v * 100) / 100);
}

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

function sumErrors(parts: Array<{ errors: Record<string, number> }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) for (const [k, n] of Object.entries(p.errors)) out[k] = (out[k] ?? 0) + n;
  return out;
}

const merged = (parts: HistogramData[]) => Histogram.from(parts).summary();

/** Runs every scenario against one system on its own fresh Redis, and always cleans up. */
export async function runSystem(kind: SystemKind, opts: BenchOptions, log: Log): Promise<SystemResult> {
  const redis = await RedisServer.start();
  let sut: SystemUnderTest | null = null;
  let pool: GeneratorPool | null = null;
  try {
    const total = opts.perInstance * 2;
    sut = kind === 'gateway'
      ? await GatewaySystem.start({ redisUrl: redis.url, maxConnections: total + 1000 })
      : await BaselineSystem.start({ redisUrl: redis.url });
    const generators = Math.max(2, Math.ceil(total / opts.perGenerator));
    pool = await GeneratorPool.start({ kind, urls: sut.urls, total, generators, jwtSecret: sut.jwtSecret });
    log(`[${kind}] 2 instances, ${generators} load generators, ${total} sockets`);

    const connect = await connectScenario(sut, pool, opts, log);
    const run = (s: Scenario) => opts.scenarios.includes(s);
    const layout: Layout = { channels: opts.channels, members: opts.members };
    let join: SystemResult['join'] = null;
    if (run('fanout') || run('saturate')) {
      const joins = await pool.all<JoinResult>({ cmd: 'join', layout, concurrency: 50, timeoutMs: 20_000 });
      join = { attempted: sum(joins, 'attempted'), joined: sum(joins, 'joined'), errors: sumErrors(joins), latencyMs: merged(joins.map((j) => j.latency)) };
      log(`[${kind}] joined ${join.joined}/${join.attempted} sockets to ${layout.channels} channels`);
    }
    let fanout: FanoutFigures | null = null;
    let probes: ProbeFigures | null = null;
    if (run('fanout')) {
      const [f, probeParts] = await Promise.all([
        fanoutScenario(sut, pool, opts, layout, 1, 'rate', log),
        pool.all<ProbeResult>({ cmd: 'probe', slots: probeSockets(opts, total), channels: opts.channels, opsPerSec: opts.probeRate, durationMs: opts.duration * 1000, timeoutMs: 10_000 }),
      ]);
      fanout = f;
      probes = {
        joinMs: merged(probeParts.map((p) => p.join)),
        presenceGetMs: merged(probeParts.map((p) => p.presence)),
        failed: sum(probeParts, 'failed'),
        errors: sumErrors(probeParts),
      };
    }
    const saturated = run('saturate') ? await fanoutScenario(sut, pool, opts, layout, 2, 'saturate', log) : null;
    const storm = run('storm') ? await stormScenario(sut, pool, opts, log) : null;
    return { kind, connect, join, fanout, saturated, probes, storm };
  } finally {
    await pool?.close().catch(() => pool?.kill());
    await sut?.stop().catch(() => undefined);
    await redis.stop();
  }
}

function sum<T>(parts: T[], key: keyof T): number {
  return parts.reduce((n, p) => n + Number(p[key]), 0);
}

/** Probe sockets come from outside the fan-out when there are spare ones, so they measure a bystander's view. */
function probeSockets(opts: BenchOptions, total: number): number[] {
  const first = opts.channels * opts.members;
  const start = first + opts.probes <= total ? first : Math.max(0, total - opts.probes);
  return Array.from({ length: Math.min(opts.probes, total) }, (_, j) => start + j);
}

async function samples(sut: SystemUnderTest, gc = false): Promise<InstanceSample[]> {
  if (gc) await Promise.all([sut.collectGarbage(0), sut.collectGarbage(1)]);
  return Promise.all([sut.sample(0), sut.sample(1)]);
}

function startProfiles(sut: SystemUnderTest, opts: BenchOptions): Promise<Array<() => Promise<string>>> | null {
  return opts.profile ? Promise.all([sut.profile(0), sut.profile(1)]) : null;
}

async function writeProfiles(sut: SystemUnderTest, opts: BenchOptions, phase: string, stops: Array<() => Promise<string>> | null, log: Log): Promise<void> {
  if (!stops) return;
  const dir = resolve(opts.profile);
  mkdirSync(dir, { recursive: true });
  for (const [n, stop] of stops.entries()) writeFileSync(join(dir, `${sut.kind}-${phase}-${n}.cpuprofile`), await stop());
  log(`[${sut.kind}] CPU profiles of the ${phase} phase written to ${dir}`);
}

async function connectScenario(sut: SystemUnderTest, pool: GeneratorPool, opts: BenchOptions, log: Log): Promise<ConnectFigures> {
  const before = await samples(sut, true);
  const stopProfiles = await startProfiles(sut, opts);
  const parts = await pool.all<ConnectResult>({ cmd: 'connect', ratePerSec: opts.connectRate / pool.size, timeoutMs: 20_000 });
  const connectedCpu = await samples(sut);
  await writeProfiles(sut, opts, 'connect', stopProfiles, log);
  // Idle sockets only: memory is read once the handshakes' follow-up work is done and after a full GC.
  await sleep(opts.settle * 1000);
  const after = await samples(sut, true);
  const attempted = sum(parts, 'attempted');
  const connected = sum(parts, 'connected');
  const perInstance = [0, 1].map((n) => parts.reduce((a, p) => a + p.perInstance[n], 0));
  const instances = [0, 1].map((n) => ({
    sockets: perInstance[n],
    rssBeforeMb: mb(before[n].rssBytes),
    rssAfterMb: mb(after[n].rssBytes),
    heapBeforeMb: before[n].heapUsedBytes === null ? null : mb(before[n].heapUsedBytes!),
    heapAfterMb: after[n].heapUsedBytes === null ? null : mb(after[n].heapUsedBytes!),
  }));
  const per = (pick: (s: InstanceSample) => number | null): number | null => {
    const values = [0, 1].filter((n) => perInstance[n] > 0 && pick(before[n]) !== null && pick(after[n]) !== null)
      .map((n) => (pick(after[n])! - pick(before[n])!) / perInstance[n] / 1024);
    return values.length ? round(values.reduce((a, b) => a + b, 0) / values.length) : null;
  };
  const figures: ConnectFigures = {
    attempted,
    connected,
    successRate: attempted ? connected / attempted : 0,
    errors: sumErrors(parts),
    latencyMs: merged(parts.map((p) => p.latency)),
    instances,
    rssPerConnKb: per((s) => s.rssBytes),
    heapPerConnKb: per((s) => s.heapUsedBytes),
    cpuMsPerHandshake: connected ? round(((connectedCpu[0].cpuSec + connectedCpu[1].cpuSec - before[0].cpuSec - before[1].cpuSec) * 1000) / connected, 2) : null,
    generatorElu: round(Math.max(...parts.map((p) => p.elu)), 2),
  };
  log(`[${sut.kind}] connect: ${connected}/${attempted}, p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms, ${figures.rssPerConnKb} KB RSS and ${figures.heapPerConnKb} KB heap per connection, ${figures.cpuMsPerHandshake} ms CPU per handshake, generator ELU ${figures.generatorElu}`);
  return figures;
}

async function fanoutScenario(
  sut: SystemUnderTest, pool: GeneratorPool, opts: BenchOptions, layout: Layout, phase: number, mode: 'rate' | 'saturate', log: Log,
): Promise<FanoutFigures> {
  const seconds = mode === 'rate' ? opts.duration : opts.saturateDuration;
  const stopProfiles = await startProfiles(sut, opts);
  const cpuBefore = await samples(sut);
  const startAt = now() + 500;
  const parts = await pool.all<PublishResult>({
    cmd: 'publish', layout, phase, mode, ratePerSec: opts.rate, window: opts.window, startAt, durationMs: seconds * 1000, ackTimeoutMs: 10_000,
  });
  const acked: Record<number, number[]> = {};
  for (const p of parts) Object.assign(acked, p.ackedSeqs);
  const ackedCount = sum(parts, 'acked');
  const expected = ackedCount * layout.members;
  // Wait (bounded) until every acked message reached every member, or deliveries stop progressing.
  let last = -1;
  let counts: CountsResult[] = [];
  for (let stalled = 0, n = 0; n < 150 && stalled < 20; n++) {
    counts = await pool.all<CountsResult>({ cmd: 'counts' });
    const received = sum(counts, 'received');
    if (received >= expected) break;
    stalled = received === last ? stalled + 1 : 0;
    last = received;
    await sleep(100);
  }
  const cpuAfter = await samples(sut);
  await writeProfiles(sut, opts, mode, stopProfiles, log);
  const elapsed = Math.max(...parts.map((p) => p.elapsedMs)) / 1000;
  const verified = await pool.all<VerifyResult>({ cmd: 'verify', phase, acked });
  const delivered = sum(verified, 'delivered');
  const figures: FanoutFigures = {
    mode,
    channels: layout.channels,
    members: layout.members,
    ratePerSec: mode === 'rate' ? opts.rate : null,
    seconds: round(elapsed, 2),
    sent: sum(parts, 'sent'),
    acked: ackedCount,
    failed: sum(parts, 'failed'),
    errors: sumErrors(parts),
    publishedPerSec: round(ackedCount / elapsed),
    expected: sum(verified, 'expected'),
    delivered,
    deliveredPerSec: round(delivered / elapsed),
    lost: sum(verified, 'lost'),
    duplicated: sum(verified, 'duplicated'),
    misrouted: sum(verified, 'misrouted'),
    latencyMs: merged(verified.map((v) => v.latency)),
    ackLatencyMs: merged(parts.map((p) => p.ackLatency)),
    cpuCores: round((cpuAfter[0].cpuSec + cpuAfter[1].cpuSec - cpuBefore[0].cpuSec - cpuBefore[1].cpuSec) / elapsed, 2),
    unexpectedDisconnects: sum(counts, 'unexpectedDisconnects'),
    generatorElu: round(Math.max(...parts.map((p) => p.elu)), 2),
  };
  log(`[${sut.kind}] fan-out (${mode}): ${figures.acked} acked, ${figures.deliveredPerSec} deliveries/s, p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms, max ${figures.latencyMs.max} ms, lost ${figures.lost}, duplicated ${figures.duplicated}, ${figures.cpuCores} cores, generator ELU ${figures.generatorElu}`);
  return figures;
}

async function stormScenario(sut: SystemUnderTest, pool: GeneratorPool, opts: BenchOptions, log: Log): Promise<StormFigures> {
  // The survivor ends up with every kept client: it must stay under its own open-file limit.
  const keep = Math.min(opts.stormClients, opts.perInstance * 2);
  await pool.all<number>({ cmd: 'trim', keep });
  // The SDK's default backoff (full jitter, 500 ms doubling to 10 s), so both systems see the same herd.
  await pool.all<number>({ cmd: 'arm-storm', deadInstance: 1, deadlineMs: opts.stormDeadline * 1000, backoffBaseMs: 500, backoffMaxMs: 10_000 });
  const killAt = now();
  await sut.kill(1);
  const deadline = killAt + opts.stormDeadline * 1000;
  let reports: StormReport[] = [];
  for (let n = 0; n < 10_000; n++) {
    reports = await pool.all<StormReport>({ cmd: 'storm-report', killAt });
    if (sum(reports, 'back') >= sum(reports, 'armed') || now() > deadline) break;
    await sleep(200);
  }
  const clients = sum(reports, 'armed');
  const times = reports.flatMap((r) => r.backAfterMs).sort((a, b) => a - b);
  const at = (q: number) => {
    const need = Math.ceil(q * clients);
    return need > 0 && times.length >= need ? times[need - 1] : null;
  };
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  const figures: StormFigures = {
    clients,
    back: times.length,
    successRate: clients ? times.length / clients : 0,
    msTo50: at(0.5),
    msTo99: at(0.99),
    msTo999: at(0.999),
    peakHandshakesPerSec: peak,
    attempts: sum(reports, 'attempts'),
    failedAttempts: sum(reports, 'failedAttempts'),
    errors: sumErrors(reports),
  };
  log(`[${sut.kind}] storm: ${figures.back}/${clients} back, 50% in ${figures.msTo50} ms, 99.9% in ${figures.msTo999} ms, peak ${peak} handshakes/s`);
  return figures;
}
