/**
 * The measuring phases of the benchmark, run on one "rig": fresh redis-server(s), fresh
 * instances of one system (the gateway or the bare baseline) and their load generators. A round
 * (rounds.ts) starts a rig, runs its study's phases (studies.ts) and always tears it down.
 * Results are plain figures; the report module compares them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { RedisServer } from '../test/support/redis-server';
import { GeneratorPool } from './generator-pool';
import { Histogram, type HistogramData, type LatencySummary } from './histogram';
import type { BenchOptions } from './options';
import type {
  ConnectResult, CountsResult, GeneratorInit, JoinResult, Layout, ProbeResult, PublishResult, RejoinResult, StormReport, SystemKind, VerifyResult,
} from './protocol';
import { BaselineSystem, GatewaySystem, type InstanceSample, type SystemUnderTest } from './systems';

export type Log = (line: string) => void;

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

export const now = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

export function sumErrors(parts: Array<{ errors: Record<string, number> }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) for (const [k, n] of Object.entries(p.errors)) out[k] = (out[k] ?? 0) + n;
  return out;
}

export const merged = (parts: HistogramData[]): LatencySummary => Histogram.from(parts).summary();

export function sum<T>(parts: T[], key: keyof T): number {
  return parts.reduce((n, p) => n + Number(p[key]), 0);
}

/** What a round runs against: one system, optionally with extra env, on one Redis or a primary with one replica. */
export interface RigSpec {
  kind: SystemKind;
  instances: number;
  /** sockets the load generators own */
  sockets: number;
  placement?: GeneratorInit['placement'];
  /** gateway only: extra environment (e.g. REDIS_WAIT_REPLICAS) */
  env?: Record<string, string>;
  /** a replica attached to the primary before the system starts */
  replica?: boolean;
  /** gateway only: its engine (memory = no Redis) @default redis */
  engine?: 'redis' | 'memory';
}

export interface Rig {
  sut: SystemUnderTest;
  pool: GeneratorPool;
  redisUrl: string;
}

/** Starts fresh Redis, system and generators, runs `fn`, and always tears everything down. */
export async function withRig<T>(spec: RigSpec, opts: BenchOptions, fn: (rig: Rig) => Promise<T>): Promise<T> {
  const redis = await RedisServer.start();
  const replica = spec.replica ? await RedisServer.start() : null;
  let sut: SystemUnderTest | null = null;
  let pool: GeneratorPool | null = null;
  try {
    if (replica) await attachReplica(replica.url, redis.url, redis.port);
    sut = spec.kind === 'gateway'
      ? await GatewaySystem.start({ redisUrl: redis.url, maxConnections: spec.sockets + 1000, instances: spec.instances, env: spec.env, engine: spec.engine })
      : await BaselineSystem.start({ redisUrl: redis.url, instances: spec.instances });
    const generators = Math.max(2, Math.ceil(spec.sockets / opts.perGenerator));
    pool = await GeneratorPool.start({ kind: spec.kind, urls: sut.urls, total: spec.sockets, generators, jwtSecret: sut.jwtSecret, placement: spec.placement });
    return await fn({ sut, pool, redisUrl: redis.url });
  } finally {
    await pool?.close().catch(() => pool?.kill());
    await sut?.stop().catch(() => undefined);
    await redis.stop();
    await replica?.stop();
  }
}

/** REPLICAOF, then waits (bounded) until the replica's link is up and the first sync is done. */
async function attachReplica(replicaUrl: string, primaryUrl: string, primaryPort: number): Promise<void> {
  const primary = new Redis(primaryUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await primary.connect();
    // Diskless sync waits 5 s by default for more replicas to share the transfer; there is one.
    await primary.config('SET', 'repl-diskless-sync-delay', '0');
  } finally {
    primary.disconnect();
  }
  const r = new Redis(replicaUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    await r.call('REPLICAOF', '127.0.0.1', String(primaryPort));
    const deadline = now() + 15_000;
    while (now() < deadline) {
      const info = await r.info('replication');
      if (/master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info)) return;
      await sleep(50);
    }
    throw new Error('replica did not sync with its primary within 15 s');
  } finally {
    r.disconnect();
  }
}

async function samples(sut: SystemUnderTest, gc = false): Promise<InstanceSample[]> {
  const all = sut.urls.map((_, n) => n);
  if (gc) await Promise.all(all.map((n) => sut.collectGarbage(n)));
  return Promise.all(all.map((n) => sut.sample(n)));
}

const cpuOf = (s: InstanceSample[]) => s.reduce((a, x) => a + x.cpuSec, 0);

/** CPU profiles of every instance while `fn` runs (`--profile`), written as `<name>-<instance>.cpuprofile`. */
export async function profiled<T>(sut: SystemUnderTest, opts: BenchOptions, name: string, fn: () => Promise<T>, log: Log): Promise<T> {
  if (!opts.profile) return fn();
  const stops = await Promise.all(sut.urls.map((_, n) => sut.profile(n)));
  try {
    return await fn();
  } finally {
    const dir = resolve(opts.profile);
    mkdirSync(dir, { recursive: true });
    for (const [n, stop] of stops.entries()) writeFileSync(join(dir, `${name}-${n}.cpuprofile`), await stop());
    log(`CPU profiles ${name}-*.cpuprofile written to ${dir}`);
  }
}

/** Redis's own counters: INFO `total_reads_processed`, `total_commands_processed` and `commandstats` calls. */
export interface RedisCounters {
  at: number;
  reads: number;
  commands: number;
  calls: Record<string, number>;
}

export async function redisCounters(url: string): Promise<RedisCounters> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    // One command for everything, so the sampling itself costs the same in every window.
    const info = await r.info('everything');
    const num = (field: string) => Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
    const calls: Record<string, number> = {};
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[m[1]] = Number(m[2]);
    return { at: now(), reads: num('total_reads_processed'), commands: num('total_commands_processed'), calls };
  } finally {
    r.disconnect();
  }
}

/** Counter increase over [a, b] minus the idle rate measured over [idleA, idleB], scaled to the same length. */
export function busyDelta(idleA: RedisCounters, idleB: RedisCounters, a: RedisCounters, b: RedisCounters): RedisCounters {
  const scale = (b.at - a.at) / Math.max(1, idleB.at - idleA.at);
  const names = new Set([...Object.keys(a.calls), ...Object.keys(b.calls), ...Object.keys(idleA.calls), ...Object.keys(idleB.calls)]);
  const calls: Record<string, number> = {};
  for (const n of names) {
    const d = (b.calls[n] ?? 0) - (a.calls[n] ?? 0) - ((idleB.calls[n] ?? 0) - (idleA.calls[n] ?? 0)) * scale;
    if (Math.abs(d) >= 0.5) calls[n] = d;
  }
  return {
    at: b.at - a.at,
    reads: b.reads - a.reads - (idleB.reads - idleA.reads) * scale,
    commands: b.commands - a.commands - (idleB.commands - idleA.commands) * scale,
    calls,
  };
}

export interface ConnectFigures {
  attempted: number;
  connected: number;
  successRate: number;
  errors: Record<string, number>;
  latencyMs: LatencySummary;
  /** CPU milliseconds of the instances per accepted handshake */
  cpuMsPerHandshake: number | null;
  /** busiest load generator's event-loop utilization while connecting (near 1 = the client side limits) */
  generatorElu: number;
  seconds: number;
}

/** Every generator socket connects, open loop at `rate` handshakes/s in total. */
export async function connectPhase(rig: Rig, rate: number): Promise<ConnectFigures> {
  const before = await samples(rig.sut);
  const t0 = now();
  const parts = await rig.pool.all<ConnectResult>({ cmd: 'connect', ratePerSec: rate / rig.pool.size, timeoutMs: 20_000 });
  const seconds = (now() - t0) / 1000;
  const after = await samples(rig.sut);
  const attempted = sum(parts, 'attempted');
  const connected = sum(parts, 'connected');
  return {
    attempted,
    connected,
    successRate: attempted ? connected / attempted : 0,
    errors: sumErrors(parts),
    latencyMs: merged(parts.map((p) => p.latency)),
    cpuMsPerHandshake: connected ? round(((cpuOf(after) - cpuOf(before)) * 1000) / connected, 3) : null,
    generatorElu: round(Math.max(...parts.map((p) => p.elu)), 2),
    seconds,
  };
}

export interface MemoryFigures {
  rssPerConnKb: number | null;
  heapPerConnKb: number | null;
}

/** Memory of idle connected sockets: RSS and heap after a full GC, before connecting and `settle` s after. */
export async function memoryPhase(rig: Rig, opts: BenchOptions): Promise<MemoryFigures & { connect: ConnectFigures }> {
  const before = await samples(rig.sut, true);
  const connect = await connectPhase(rig, opts.setupRate);
  await sleep(opts.settle * 1000);
  const after = await samples(rig.sut, true);
  const perInstance = connect.connected / rig.sut.urls.length;
  const per = (pick: (s: InstanceSample) => number | null): number | null => {
    const n = rig.sut.urls.length;
    const deltas = Array.from({ length: n }, (_, i) => (pick(after[i]) === null || pick(before[i]) === null ? null : pick(after[i])! - pick(before[i])!));
    if (deltas.some((d) => d === null) || perInstance === 0) return null;
    return round((deltas as number[]).reduce((a, b) => a + b, 0) / n / perInstance / 1024, 2);
  };
  return { connect, rssPerConnKb: per((s) => s.rssBytes), heapPerConnKb: per((s) => s.heapUsedBytes) };
}

export interface JoinFigures { attempted: number; joined: number; errors: Record<string, number>; latencyMs: LatencySummary }

export async function joinPhase(rig: Rig, layout: Layout): Promise<JoinFigures> {
  const joins = await rig.pool.all<JoinResult>({ cmd: 'join', layout, concurrency: 50, timeoutMs: 20_000 });
  return { attempted: sum(joins, 'attempted'), joined: sum(joins, 'joined'), errors: sumErrors(joins), latencyMs: merged(joins.map((j) => j.latency)) };
}

export interface FanoutFigures {
  mode: 'rate' | 'saturate';
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
  /** CPU seconds per second of the instances together */
  cpuCores: number;
  /** deliveries per CPU-second of the instances */
  deliveriesPerCpuSec: number | null;
  unexpectedDisconnects: number;
  /** busiest load generator's event-loop utilization while publishing (near 1 = the client side limits) */
  generatorElu: number;
  /** per instance: pub/sub messages received from Redis during the phase */
  busMessages: Array<number | null>;
  /** acked messages per channel index */
  ackedPerChannel: Record<number, number>;
}

/** Publishes (fixed rate or saturated), waits (bounded) for every acked message to reach every member, verifies. */
export async function fanoutPhase(
  rig: Rig, layout: Layout, phase: number, mode: 'rate' | 'saturate', p: { rate: number; seconds: number; window: number },
): Promise<FanoutFigures> {
  const before = await samples(rig.sut);
  const startAt = now() + 500;
  const parts = await rig.pool.all<PublishResult>({
    cmd: 'publish', layout, phase, mode, ratePerSec: p.rate, window: p.window, startAt, durationMs: p.seconds * 1000, ackTimeoutMs: 10_000,
  });
  const acked: Record<number, number[]> = {};
  for (const part of parts) Object.assign(acked, part.ackedSeqs);
  const ackedCount = sum(parts, 'acked');
  const expected = ackedCount * layout.members;
  let last = -1;
  let counts: CountsResult[] = [];
  for (let stalled = 0, n = 0; n < 150 && stalled < 20; n++) {
    counts = await rig.pool.all<CountsResult>({ cmd: 'counts' });
    const received = sum(counts, 'received');
    if (received >= expected) break;
    stalled = received === last ? stalled + 1 : 0;
    last = received;
    await sleep(100);
  }
  const after = await samples(rig.sut);
  const elapsed = Math.max(...parts.map((x) => x.elapsedMs)) / 1000;
  const verified = await rig.pool.all<VerifyResult>({ cmd: 'verify', phase, acked });
  const delivered = sum(verified, 'delivered');
  const cpuCores = (cpuOf(after) - cpuOf(before)) / elapsed;
  return {
    mode,
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
    ackLatencyMs: merged(parts.map((x) => x.ackLatency)),
    cpuCores: round(cpuCores, 3),
    deliveriesPerCpuSec: cpuCores > 0 ? round(delivered / elapsed / cpuCores) : null,
    unexpectedDisconnects: sum(counts, 'unexpectedDisconnects'),
    generatorElu: round(Math.max(...parts.map((x) => x.elu)), 2),
    busMessages: before.map((b, n) => (b.busMessages === null || after[n].busMessages === null ? null : after[n].busMessages! - b.busMessages)),
    ackedPerChannel: Object.fromEntries(Object.entries(acked).map(([c, seqs]) => [c, seqs.length])),
  };
}

export interface ProbeFigures { joinMs: LatencySummary; presenceGetMs: LatencySummary; failed: number; errors: Record<string, number> }

export async function probePhase(rig: Rig, slots: number[], channels: number, opsPerSec: number, seconds: number): Promise<ProbeFigures> {
  const parts = await rig.pool.all<ProbeResult>({ cmd: 'probe', slots, channels, opsPerSec, durationMs: seconds * 1000, timeoutMs: 10_000 });
  return { joinMs: merged(parts.map((p) => p.join)), presenceGetMs: merged(parts.map((p) => p.presence)), failed: sum(parts, 'failed'), errors: sumErrors(parts) };
}

export interface RejoinFigures { cycles: number; rejoinMs: LatencySummary; reconnectMs: LatencySummary; failed: number; errors: Record<string, number> }

export async function rejoinPhase(rig: Rig, slots: number[], channels: number, pauseSec: number, seconds: number): Promise<RejoinFigures> {
  const parts = await rig.pool.all<RejoinResult>({ cmd: 'rejoin', slots, channels, pauseMs: pauseSec * 1000, durationMs: seconds * 1000, timeoutMs: 10_000 });
  return { cycles: sum(parts, 'cycles'), rejoinMs: merged(parts.map((p) => p.rejoin)), reconnectMs: merged(parts.map((p) => p.reconnect)), failed: sum(parts, 'failed'), errors: sumErrors(parts) };
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

/** SIGKILLs instance 1; its clients reconnect to instance 0 with the SDK's default backoff. */
export async function stormPhase(rig: Rig, deadlineSec: number): Promise<StormFigures> {
  // The SDK's default backoff (full jitter, 500 ms doubling to 10 s), so both systems see the same herd.
  await rig.pool.all<number>({ cmd: 'arm-storm', deadInstance: 1, deadlineMs: deadlineSec * 1000, backoffBaseMs: 500, backoffMaxMs: 10_000 });
  const killAt = now();
  await rig.sut.kill(1);
  const deadline = killAt + deadlineSec * 1000;
  let reports: StormReport[] = [];
  for (let n = 0; n < 10_000; n++) {
    reports = await rig.pool.all<StormReport>({ cmd: 'storm-report', killAt });
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
  return {
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
}
