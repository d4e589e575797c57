/**
 * The benchmark's studies: for each, the arms it compares, its sizes, the figures it publishes
 * and what one round does on a fresh rig (bench.ts). rounds.ts runs them in alternating pairs.
 */
import {
  busyDelta, connectPhase, fanoutPhase, joinPhase, memoryPhase, probePhase, profiled, redisCounters, rejoinPhase, sleep, stormPhase, withRig,
  type ConnectFigures, type Log, type Rig, type RigSpec,
} from './bench';
import type { BenchOptions, Scenario } from './options';
import type { Layout, SystemKind } from './protocol';
import type { Arm, FigureDef, Figures, StudyPlan } from './rounds';

interface SystemArm extends Arm { kind: SystemKind; env?: Record<string, string>; engine?: 'redis' | 'memory' }

const GATEWAY: SystemArm = { id: 'gateway', label: 'gateway', kind: 'gateway' };
const BASELINE: SystemArm = { id: 'baseline', label: 'baseline', kind: 'baseline' };
const CONTROL: SystemArm = { id: 'baseline-2', label: 'baseline (control)', kind: 'baseline' };

const fmt = (n: number) => n.toLocaleString('en-US');
const pct = (v: number) => Math.round(v * 10_000) / 100;
const r3 = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v * 1000) / 1000);

/** Subject, reference and control among the systems asked for (`--systems`, `--control`). */
function systemArms(opts: BenchOptions, withControl: boolean): Pick<StudyPlan, 'subject' | 'reference' | 'control'> {
  const g = opts.systems.includes('gateway');
  const b = opts.systems.includes('baseline');
  const gateway: SystemArm = opts.gatewayEngine === 'memory' ? { ...GATEWAY, label: 'gateway (memory engine)', engine: 'memory' } : GATEWAY;
  if (g && b) return { subject: gateway, reference: BASELINE, control: withControl && opts.control ? CONTROL : null };
  return { subject: g ? gateway : BASELINE, reference: null, control: null };
}

/** Every study the options ask for, in run order. */
export function plans(opts: BenchOptions, log: Log): StudyPlan[] {
  const out: StudyPlan[] = [];
  const want = (s: Scenario) => opts.scenarios.includes(s);
  if (want('connect')) opts.connectRates.forEach((rate, i) => out.push(connectStudy(opts, rate, i === 0, log)));
  if (want('memory')) out.push(memoryStudy(opts));
  if (want('fanout')) out.push(fanoutStudy(opts, log));
  if (want('storm')) out.push(stormStudy(opts));
  if (want('fanout-ratio')) out.push(ratioStudy(opts));
  if (want('wait-replicas')) out.push(waitStudy(opts));
  return out;
}

const cap = (opts: BenchOptions, instances: number) => opts.perInstance * instances;

function spec(arm: Arm, sockets: number, extra: Partial<RigSpec> = {}): RigSpec {
  const a = arm as SystemArm;
  return { kind: a.kind, env: a.env, engine: a.engine, instances: 2, sockets, ...extra };
}

export const CONNECT_FIGURES: FigureDef[] = [
  { key: 'connect_p99_ms', label: 'connect time p99 (ms)' },
  { key: 'connect_p50_ms', label: 'connect time p50 (ms)' },
  { key: 'connected_pct', label: 'connected (%)' },
  { key: 'cpu_ms_per_handshake', label: 'CPU of the instances per handshake (ms)' },
  { key: 'cpu_ms_per_handshake_cold', label: 'CPU per handshake of fresh processes, the warm-up round (ms)' },
  // Counts near 0 for the baseline: compared as absolute figures, not as a ratio.
  { key: 'redis_round_trips_per_handshake', label: 'Redis round trips per handshake (INFO total_reads_processed)', compare: false },
  { key: 'redis_commands_per_handshake', label: 'Redis commands per handshake (INFO total_commands_processed)', compare: false },
  { key: 'generator_elu', label: "busiest load generator's event-loop use (0–1)", compare: false },
];

function connectStudy(opts: BenchOptions, rate: number, countRedis: boolean, log: Log): StudyPlan {
  const sockets = Math.max(2, Math.min(Math.round(rate * opts.connectSeconds), cap(opts, 2)));
  return {
    id: `connect-${rate}`,
    title: `Connect at ${fmt(rate)} handshakes/s`,
    setup: `${fmt(sockets)} sockets over two instances, opened at ${fmt(rate)} handshakes/s (open loop)${opts.connectWarmup ? ', after a warm-up round of the same handshakes on the fresh processes, closed again' : ''}${countRedis ? `; Redis INFO counters over the handshakes minus an idle window of the same length just before them` : ''}.`,
    ...systemArms(opts, true),
    pairs: opts.rounds,
    figures: countRedis ? CONNECT_FIGURES : CONNECT_FIGURES.filter((f) => !f.key.startsWith('redis_')),
    labelFor: (key) => (key.startsWith('redis_calls.') ? `Redis \`${key.slice('redis_calls.'.length).toUpperCase()}\` calls per handshake` : key),
    run: (arm, name) => withRig(spec(arm, sockets), opts, async (rig) => {
      const cold = opts.connectWarmup ? await warmUp(rig, rate) : null;
      let idle: [Awaited<ReturnType<typeof redisCounters>>, Awaited<ReturnType<typeof redisCounters>>] | null = null;
      if (countRedis) {
        // Start-up work (first maintenance run, presence heartbeat) settles before the idle window.
        await sleep(1000);
        const a = await redisCounters(rig.redisUrl);
        await sleep((sockets / rate) * 1000);
        idle = [a, await redisCounters(rig.redisUrl)];
      }
      const c = await profiled(rig.sut, opts, `${name}-connect`, () => connectPhase(rig, rate), log);
      const figures: Figures = {
        connect_p99_ms: c.latencyMs.p99,
        connect_p50_ms: c.latencyMs.p50,
        connected_pct: pct(c.successRate),
        cpu_ms_per_handshake: c.cpuMsPerHandshake,
        ...(cold ? { cpu_ms_per_handshake_cold: cold.cpuMsPerHandshake } : {}),
        generator_elu: c.generatorElu,
      };
      if (idle && c.connected > 0) {
        const d = busyDelta(idle[0], idle[1], idle[1], await redisCounters(rig.redisUrl));
        figures.redis_round_trips_per_handshake = r3(d.reads / c.connected);
        figures.redis_commands_per_handshake = r3(d.commands / c.connected);
        for (const [cmd, n] of Object.entries(d.calls).sort((x, y) => y[1] - x[1])) {
          if (n / c.connected >= 0.01) figures[`redis_calls.${cmd}`] = r3(n / c.connected);
        }
      }
      return { figures, errors: c.errors };
    }),
  };
}

/**
 * The same handshakes on the fresh processes, then closed: the measured round meets a server past
 * its JIT warm-up, as a long-running one is. Returns the warm-up round's own figures.
 */
async function warmUp(rig: Rig, rate: number): Promise<ConnectFigures> {
  const cold = await connectPhase(rig, rate);
  await rig.pool.all<number>({ cmd: 'trim', keep: 0 });
  // The servers' disconnect work (presence offline, coalesced announcements) settles first.
  await sleep(2000);
  return cold;
}

function memoryStudy(opts: BenchOptions): StudyPlan {
  const sockets = cap(opts, 2);
  const arms = systemArms(opts, false);
  return {
    id: 'memory',
    title: 'Memory per idle connection',
    setup: `${fmt(sockets)} idle authenticated sockets (${fmt(opts.perInstance)} per instance), connected at ${fmt(opts.setupRate)}/s; RSS and V8 heap after a full GC, before connecting and ${opts.settle} s after.`,
    ...arms,
    pairs: 1,
    figures: [
      { key: 'rss_kb_per_connection', label: 'RSS per idle connection (KB)' },
      { key: 'heap_kb_per_connection', label: 'V8 heap per idle connection (KB)' },
      { key: 'connected_pct', label: 'connected (%)', compare: false },
    ],
    notes: ['One round per system at full size: memory per connection is a slope over thousands of sockets, steady from round to round, and this round is the longest to set up.'],
    run: (arm) => withRig(spec(arm, sockets), opts, async (rig) => {
      const m = await memoryPhase(rig, opts);
      return { figures: { rss_kb_per_connection: m.rssPerConnKb, heap_kb_per_connection: m.heapPerConnKb, connected_pct: pct(m.connect.successRate) }, errors: m.connect.errors };
    }),
  };
}

/** Layout that fits the per-instance cap with the probe sockets beside it. */
function fitLayout(channels: number, members: number, room: number): Layout {
  const fit = Math.max(1, Math.min(channels, Math.floor(room / members)));
  return { channels: fit, members };
}

export const FANOUT_FIGURES: FigureDef[] = [
  { key: 'p99_ms', label: 'end-to-end delivery p99 (ms)' },
  { key: 'p50_ms', label: 'end-to-end delivery p50 (ms)' },
  { key: 'deliveries_per_cpu_s', label: 'deliveries per CPU-second of the instances' },
  { key: 'send_ack_p99_ms', label: 'send ack p99 (ms)' },
  { key: 'send_ack_p50_ms', label: 'send ack p50 (ms)' },
  { key: 'delivered_per_s', label: 'deliveries/s' },
  { key: 'cpu_cores', label: 'CPU of the instances (cores)' },
  { key: 'lost', label: 'lost deliveries (of acked messages)', compare: false },
  { key: 'duplicated', label: 'duplicated deliveries', compare: false },
  { key: 'join_p99_ms', label: '`channel:join` (new channel) p99 under load (ms)' },
  { key: 'presence_get_p99_ms', label: '`presence:get` p99 under load (ms)' },
  { key: 'rejoin_p99_ms', label: 'rejoin of 30 channels after a reconnect, p99 (ms)' },
  { key: 'rejoin_p50_ms', label: 'rejoin of 30 channels after a reconnect, p50 (ms)' },
  { key: 'rejoin_reconnect_p99_ms', label: "rejoin probes' reconnect until usable, p99 (ms)" },
  { key: 'rejoin_cycles', label: 'reconnect-and-rejoin cycles measured', compare: false },
  { key: 'probe_failures', label: 'failed probe round trips', compare: false },
  { key: 'generator_elu', label: "busiest load generator's event-loop use (0–1)", compare: false },
  { key: 'sat_published_per_s', label: 'saturated: messages published (acked)/s' },
  { key: 'sat_delivered_per_s', label: 'saturated: deliveries/s' },
  { key: 'sat_deliveries_per_cpu_s', label: 'saturated: deliveries per CPU-second of the instances' },
  { key: 'sat_p99_ms', label: 'saturated: end-to-end p99 (ms)' },
  { key: 'sat_lost', label: 'saturated: lost deliveries', compare: false },
  { key: 'sat_generator_elu', label: "saturated: busiest load generator's event-loop use (0–1)", compare: false },
];

function fanoutStudy(opts: BenchOptions, log: Log): StudyPlan {
  const extra = opts.probes + opts.rejoinProbes;
  const layout = fitLayout(opts.channels, opts.members, cap(opts, 2) - extra);
  const first = layout.channels * layout.members;
  const sockets = first + extra;
  const probeSlots = Array.from({ length: opts.probes }, (_, j) => first + j);
  const rejoinSlots = Array.from({ length: opts.rejoinProbes }, (_, j) => first + opts.probes + j);
  const notes = layout.channels < opts.channels ? [`--per-instance ${opts.perInstance} left room for ${fmt(layout.channels)} of the ${fmt(opts.channels)} channels asked for.`] : [];
  return {
    id: 'fanout',
    title: `Fan-out at ${fmt(opts.rate)} msg/s`,
    setup: `${fmt(layout.channels)} channels × ${layout.members} members over two instances (members alternate instances; one publisher per channel), ${fmt(opts.rate)} messages/s for ${opts.duration} s; meanwhile ${opts.probes} sockets time \`channel:join\` (a new channel) and \`presence:get\` at ${opts.probeRate}/s each, and ${opts.rejoinProbes} sockets in ${opts.rejoinChannels} channels each reconnect every ${opts.rejoinPause} s and rejoin them all at once (with epoch and last seq, as the SDK does)` +
      (opts.saturateDuration > 0 ? `; then saturated for ${opts.saturateDuration} s (${opts.window} send in flight per publisher).` : '.'),
    ...systemArms(opts, true),
    pairs: opts.rounds,
    figures: FANOUT_FIGURES,
    notes,
    run: (arm, name) => withRig(spec(arm, sockets), opts, async (rig) => {
      const c = await connectPhase(rig, opts.setupRate);
      const j = await joinPhase(rig, layout);
      if (j.joined < j.attempted) log(`[fanout] ${name}: ${j.joined}/${j.attempted} joined (${JSON.stringify(j.errors)})`);
      const [f, probes, rejoin] = await profiled(rig.sut, opts, `${name}-rate`, () => Promise.all([
        fanoutPhase(rig, layout, 1, 'rate', { rate: opts.rate, seconds: opts.duration, window: opts.window }),
        probePhase(rig, probeSlots, layout.channels, opts.probeRate, opts.duration),
        rejoinPhase(rig, rejoinSlots, opts.rejoinChannels, opts.rejoinPause, opts.duration),
      ]), log);
      const figures: Figures = {
        p99_ms: f.latencyMs.p99,
        p50_ms: f.latencyMs.p50,
        deliveries_per_cpu_s: f.deliveriesPerCpuSec,
        send_ack_p99_ms: f.ackLatencyMs.p99,
        send_ack_p50_ms: f.ackLatencyMs.p50,
        delivered_per_s: f.deliveredPerSec,
        cpu_cores: f.cpuCores,
        lost: f.lost,
        duplicated: f.duplicated,
        join_p99_ms: probes.joinMs.p99,
        presence_get_p99_ms: probes.presenceGetMs.p99,
        rejoin_p99_ms: rejoin.rejoinMs.p99,
        rejoin_p50_ms: rejoin.rejoinMs.p50,
        rejoin_reconnect_p99_ms: rejoin.reconnectMs.p99,
        rejoin_cycles: rejoin.cycles,
        probe_failures: probes.failed + rejoin.failed,
        generator_elu: f.generatorElu,
      };
      if (opts.saturateDuration > 0) {
        const s = await profiled(rig.sut, opts, `${name}-saturate`, () => fanoutPhase(rig, layout, 2, 'saturate', { rate: opts.rate, seconds: opts.saturateDuration, window: opts.window }), log);
        Object.assign(figures, {
          sat_published_per_s: s.publishedPerSec,
          sat_delivered_per_s: s.deliveredPerSec,
          sat_deliveries_per_cpu_s: s.deliveriesPerCpuSec,
          sat_p99_ms: s.latencyMs.p99,
          sat_lost: s.lost,
          sat_generator_elu: s.generatorElu,
        });
      }
      return { figures, errors: mergeErrors(c.errors, j.errors, f.errors, probes.errors, rejoin.errors) };
    }),
  };
}

function stormStudy(opts: BenchOptions): StudyPlan {
  // The survivor ends up holding every client: the per-instance cap bounds the whole storm.
  const sockets = Math.max(2, Math.min(opts.stormClients, cap(opts, 1)));
  return {
    id: 'storm',
    title: 'Reconnect storm',
    setup: `${fmt(sockets)} clients over two instances; one instance is SIGKILLed and its ${fmt(Math.floor(sockets / 2))} clients reconnect to the survivor with the SDK's default backoff (full jitter, 500 ms doubling to 10 s).`,
    ...systemArms(opts, true),
    pairs: opts.rounds,
    figures: [
      { key: 'ms_to_999', label: 'time until 99.9% are back (ms)' },
      { key: 'ms_to_99', label: 'time until 99% are back (ms)' },
      { key: 'ms_to_50', label: 'time until 50% are back (ms)' },
      { key: 'peak_reconnects_per_s', label: 'peak reconnects/s on the survivor' },
      { key: 'back_pct', label: 'back within the deadline (%)', compare: false },
    ],
    run: (arm) => withRig(spec(arm, sockets), opts, async (rig) => {
      const c = await connectPhase(rig, opts.setupRate);
      const s = await stormPhase(rig, opts.stormDeadline);
      return {
        figures: { ms_to_999: s.msTo999, ms_to_99: s.msTo99, ms_to_50: s.msTo50, peak_reconnects_per_s: s.peakHandshakesPerSec, back_pct: pct(s.successRate) },
        errors: mergeErrors(c.errors, s.errors),
      };
    }),
  };
}

function ratioStudy(opts: BenchOptions): StudyPlan {
  const n = opts.ratioInstances;
  const layout = fitLayout(opts.ratioChannels, opts.ratioMembers, cap(opts, n));
  const sockets = layout.channels * layout.members;
  const arms = systemArms(opts, false);
  const figures: FigureDef[] = [
    { key: 'max_ratio', label: 'messages received from Redis ÷ messages for its own channels, worst instance' },
    { key: 'mean_ratio', label: 'the same, mean over instances' },
    ...Array.from({ length: n }, (_, i) => ({ key: `ratio_${i}`, label: `instance ${i + 1}: received ÷ own` })),
    { key: 'received', label: 'messages received from Redis, all instances', compare: false },
    { key: 'own', label: 'messages for channels with a local member, all instances', compare: false },
    { key: 'lost', label: 'lost deliveries', compare: false },
  ];
  return {
    id: 'fanout-ratio',
    title: 'Per-instance bus traffic',
    setup: `${n} instances on one Redis; ${fmt(layout.channels)} channels × ${layout.members} members, every member of channel c on instance c mod ${n} (so each instance holds its own share of the channels); ${fmt(opts.ratioRate)} messages/s for ${opts.ratioDuration} s. Received: the gateway's \`socket_gateway_bus_messages_received_total\`; the baseline's count of messages on its adapter's subscriber connection (the classic all-to-all adapter).`,
    ...arms,
    pairs: opts.ratioRounds,
    figures,
    notes: ['Message counts, not timings: one round per system unless `--ratio-rounds` asks for more.'],
    run: (arm) => withRig(spec(arm, sockets, { instances: n, placement: { mode: 'by-channel', layout } }), opts, async (rig) => {
      const c = await connectPhase(rig, opts.setupRate);
      const j = await joinPhase(rig, layout);
      const f = await fanoutPhase(rig, layout, 1, 'rate', { rate: opts.ratioRate, seconds: opts.ratioDuration, window: 1 });
      const own = Array.from({ length: n }, () => 0);
      for (const [ch, count] of Object.entries(f.ackedPerChannel)) own[Number(ch) % n] += count;
      const ratios = f.busMessages.map((received, i) => (received === null || own[i] === 0 ? null : received / own[i]));
      const known = ratios.filter((x): x is number => x !== null);
      const out: Figures = {
        max_ratio: known.length ? r3(Math.max(...known)) : null,
        mean_ratio: known.length ? r3(known.reduce((a, b) => a + b, 0) / known.length) : null,
        received: f.busMessages.every((x) => x !== null) ? f.busMessages.reduce((a, b) => a! + b!, 0) : null,
        own: own.reduce((a, b) => a + b, 0),
        lost: f.lost,
      };
      ratios.forEach((x, i) => (out[`ratio_${i}`] = r3(x)));
      return { figures: out, errors: mergeErrors(c.errors, j.errors, f.errors) };
    }),
  };
}

function waitStudy(opts: BenchOptions): StudyPlan {
  const layout = fitLayout(opts.waitChannels, opts.waitMembers, cap(opts, 2));
  const sockets = layout.channels * layout.members;
  const wait = (id: string, label: string, replicas: number): SystemArm => ({ id, label, kind: 'gateway', env: { REDIS_WAIT_REPLICAS: String(replicas) } });
  return {
    id: 'wait-replicas',
    title: 'REDIS_WAIT_REPLICAS latency cost',
    setup: `The gateway on a Redis primary with one replica (same machine); ${fmt(layout.channels)} channels × ${layout.members} members at ${fmt(opts.waitRate)} messages/s for ${opts.waitDuration} s, with \`REDIS_WAIT_REPLICAS=1\` against \`0\`${opts.control ? ' (control: a second `0`)' : ''}.`,
    subject: wait('wait-1', 'REDIS_WAIT_REPLICAS=1', 1),
    reference: wait('wait-0', 'REDIS_WAIT_REPLICAS=0', 0),
    control: opts.control ? wait('wait-0-2', 'REDIS_WAIT_REPLICAS=0 (control)', 0) : null,
    pairs: opts.rounds,
    figures: [
      { key: 'send_ack_p50_ms', label: 'send ack p50 (ms)' },
      { key: 'send_ack_p99_ms', label: 'send ack p99 (ms)' },
      { key: 'p99_ms', label: 'end-to-end delivery p99 (ms)' },
      { key: 'p50_ms', label: 'end-to-end delivery p50 (ms)' },
      { key: 'failed_sends', label: 'sends not acked', compare: false },
      { key: 'lost', label: 'lost deliveries', compare: false },
    ],
    run: (arm) => withRig(spec(arm, sockets, { replica: true }), opts, async (rig) => {
      const c = await connectPhase(rig, opts.setupRate);
      const j = await joinPhase(rig, layout);
      const f = await fanoutPhase(rig, layout, 1, 'rate', { rate: opts.waitRate, seconds: opts.waitDuration, window: 1 });
      return {
        figures: { send_ack_p50_ms: f.ackLatencyMs.p50, send_ack_p99_ms: f.ackLatencyMs.p99, p99_ms: f.latencyMs.p99, p50_ms: f.latencyMs.p50, failed_sends: f.failed, lost: f.lost },
        errors: mergeErrors(c.errors, j.errors, f.errors),
      };
    }),
  };
}

function mergeErrors(...parts: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p)) out[k] = (out[k] ?? 0) + v;
  return out;
}

