import type { SystemKind } from './protocol';

/**
 * What `npm run bench` can run. `connect` runs once per rate of `connectRates` (each its own
 * study); `fanout` is the fixed-rate fan-out with the join/presence/rejoin probes alongside, then
 * the saturated fan-out, in the same round.
 */
export type Scenario = 'connect' | 'memory' | 'fanout' | 'storm' | 'fanout-ratio' | 'wait-replicas';
export const SCENARIOS: readonly Scenario[] = ['connect', 'memory', 'fanout', 'storm', 'fanout-ratio', 'wait-replicas'];
/** Studies whose instances need no shared state, so the gateway can run them on the memory engine. */
export const MEMORY_ENGINE_SCENARIOS: readonly Scenario[] = ['connect', 'memory', 'storm'];

/** Every knob of `npm run bench`; each is a CLI flag `--kebab-name` or an env var `BENCH_SNAKE_NAME`. */
export interface BenchOptions {
  /** pairs of rounds per study (gateway, baseline, alternating; plus the control's rounds) @default 3 */
  rounds: number;
  /** also run a second, identical baseline in every pair: its ratio to the baseline is the noise floor @default true */
  control: boolean;
  /** handshake rates of the connect studies, one study per rate @default 500,1000,2000 */
  connectRates: number[];
  /** seconds of handshakes per connect round (rate × seconds sockets, over two instances) @default 4 */
  connectSeconds: number;
  /**
   * before each measured connect round, warm the fresh processes up with the same handshakes at the
   * same rate, closed again (a long-running server is past its JIT warm-up; the cold round's CPU is
   * reported too) @default true
   */
  connectWarmup: boolean;
  /**
   * sockets per instance in the memory study, and the most any round puts on one instance
   * (larger layouts are scaled down to fit) @default 10000
   */
  perInstance: number;
  /** handshakes/s when connecting is set-up, not the figure (memory, fan-out, storm, fanout-ratio, wait-replicas) @default 1000 */
  setupRate: number;
  /** fan-out channels @default 1000 */
  channels: number;
  /** members per fan-out channel @default 10 */
  members: number;
  /** published messages per second in the fixed-rate fan-out, spread over both instances @default 1000 */
  rate: number;
  /** seconds of the fixed-rate fan-out (and of the probes) @default 15 */
  duration: number;
  /** seconds of the saturated fan-out (closed loop, `window` sends in flight per publisher); 0 = skip @default 10 */
  saturateDuration: number;
  /** @default 1 */
  window: number;
  /** sockets running channel:join (a new channel) and presence:get round trips during the fixed-rate fan-out @default 10 */
  probes: number;
  /** round trips of each kind per probe socket per second @default 5 */
  probeRate: number;
  /** sockets that reconnect and rejoin `rejoinChannels` channels over and over during the fixed-rate fan-out @default 5 */
  rejoinProbes: number;
  /** channels each rejoin probe is in @default 30 */
  rejoinChannels: number;
  /** seconds between a rejoin probe's cycles @default 1 */
  rejoinPause: number;
  /** clients (both instances together) in the reconnect storm; the dead instance's half reconnect to the survivor @default 8000 */
  stormClients: number;
  /** seconds the storm waits for clients to come back @default 30 */
  stormDeadline: number;
  /** instances in the fanout-ratio study @default 4 */
  ratioInstances: number;
  /** channels in the fanout-ratio study (channel c's members all on instance c mod instances) @default 1000 */
  ratioChannels: number;
  /** members per channel in the fanout-ratio study @default 4 */
  ratioMembers: number;
  /** messages/s in the fanout-ratio study @default 500 */
  ratioRate: number;
  /** seconds of publishing in the fanout-ratio study @default 10 */
  ratioDuration: number;
  /** rounds per system in the fanout-ratio study (message counts, not timings: no pairs needed) @default 1 */
  ratioRounds: number;
  /** channels of the wait-replicas study's fixed-rate fan-out @default 200 */
  waitChannels: number;
  /** members per channel in the wait-replicas study @default 10 */
  waitMembers: number;
  /** messages/s in the wait-replicas study @default 500 */
  waitRate: number;
  /** seconds of publishing in the wait-replicas study @default 10 */
  waitDuration: number;
  /** sockets per load-generator process (each far below its open-file limit) @default 5000 */
  perGenerator: number;
  /**
   * the gateway's engine: `memory` runs it with ENGINE=memory (no Redis; each instance on its own
   * state), which only the connect, memory and storm studies can use @default redis
   */
  gatewayEngine: 'redis' | 'memory';
  /** which systems the gateway-vs-baseline studies run @default gateway,baseline */
  systems: SystemKind[];
  /** which studies to run @default connect,memory,fanout,storm,fanout-ratio,wait-replicas */
  scenarios: Scenario[];
  /** where latest.md, latest.json and the dated copies go; empty = do not write @default app/bench/results */
  out: string;
  /** the runbook page whose bench table is filled; empty = leave it alone @default runbooks/scaling-and-capacity.md */
  runbook: string;
  /** directory for CPU profiles of the instances during each connect and fan-out round (`<study>-<arm>-<round>-<phase>-<instance>.cpuprofile`); empty = no profiling @default "" */
  profile: string;
  /** seconds of idle after connecting before memory is sampled (after a full GC) @default 3 */
  settle: number;
}

export const DEFAULTS: BenchOptions = {
  rounds: 3,
  control: true,
  connectRates: [500, 1000, 2000],
  connectSeconds: 4,
  connectWarmup: true,
  perInstance: 10_000,
  setupRate: 1000,
  channels: 1000,
  members: 10,
  rate: 1000,
  duration: 15,
  saturateDuration: 10,
  window: 1,
  probes: 10,
  probeRate: 5,
  rejoinProbes: 5,
  rejoinChannels: 30,
  rejoinPause: 1,
  stormClients: 8000,
  stormDeadline: 30,
  ratioInstances: 4,
  ratioChannels: 1000,
  ratioMembers: 4,
  ratioRate: 500,
  ratioDuration: 10,
  ratioRounds: 1,
  waitChannels: 200,
  waitMembers: 10,
  waitRate: 500,
  waitDuration: 10,
  perGenerator: 5000,
  gatewayEngine: 'redis',
  systems: ['gateway', 'baseline'],
  scenarios: [...SCENARIOS],
  out: 'app/bench/results',
  runbook: 'runbooks/scaling-and-capacity.md',
  profile: '',
  settle: 3,
};

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const snake = (k: string) => `BENCH_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** Must be above 0 (the others may be 0, which skips or disables what they size). */
const POSITIVE = new Set<keyof BenchOptions>([
  'rounds', 'rate', 'setupRate', 'perGenerator', 'window', 'members', 'probeRate', 'connectSeconds', 'perInstance', 'channels',
  'rejoinChannels', 'ratioInstances', 'ratioChannels', 'ratioMembers', 'ratioRate', 'ratioDuration', 'ratioRounds',
  'waitChannels', 'waitMembers', 'waitRate', 'waitDuration', 'duration',
]);

export class UsageError extends Error {}

/** Flags win over env, env over defaults; unknown flags and bad values are refused with every problem listed. */
export function parseOptions(argv: string[], env: Record<string, string | undefined>): BenchOptions {
  const raw = new Map<keyof BenchOptions, string>();
  for (const key of Object.keys(DEFAULTS) as Array<keyof BenchOptions>) {
    const v = env[snake(key)];
    if (v !== undefined && v !== '') raw.set(key, v);
  }
  const problems: string[] = [];
  const byFlag = new Map((Object.keys(DEFAULTS) as Array<keyof BenchOptions>).map((k) => [`--${kebab(k)}`, k]));
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const key = byFlag.get(flag);
    if (!key) {
      problems.push(`unknown flag ${flag}`);
      if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) i++;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) problems.push(`${flag} needs a value`);
    else raw.set(key, value);
  }
  const out: BenchOptions = { ...DEFAULTS };
  for (const [key, value] of raw) {
    const def = DEFAULTS[key];
    const list = value.split(',').map((v) => v.trim()).filter(Boolean);
    if (key === 'systems') {
      if (list.length === 0 || list.some((s) => s !== 'gateway' && s !== 'baseline')) problems.push(`--systems takes gateway and/or baseline (got "${value}")`);
      else out.systems = list as SystemKind[];
    } else if (key === 'scenarios') {
      if (list.some((v) => !SCENARIOS.includes(v as Scenario))) problems.push(`--scenarios takes ${SCENARIOS.join(', ')} (got "${value}")`);
      else out.scenarios = list as Scenario[];
    } else if (key === 'connectRates') {
      const rates = list.map(Number);
      if (rates.length === 0 || rates.some((n) => !Number.isFinite(n) || n <= 0)) problems.push(`--connect-rates takes positive numbers separated by commas (got "${value}")`);
      else out.connectRates = rates;
    } else if (key === 'gatewayEngine') {
      if (value !== 'redis' && value !== 'memory') problems.push(`--gateway-engine takes redis or memory (got "${value}")`);
      else out.gatewayEngine = value;
    } else if (key === 'control' || key === 'connectWarmup') {
      if (!/^(true|false|1|0|yes|no)$/i.test(value)) problems.push(`--${kebab(key)} takes true or false (got "${value}")`);
      else out[key] = /^(true|1|yes)$/i.test(value);
    } else if (typeof def === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0 || (POSITIVE.has(key) && n <= 0)) {
        problems.push(`--${kebab(key)} must be a positive number (got "${value}")`);
      } else (out as unknown as Record<string, number>)[key] = n;
    } else (out as unknown as Record<string, string>)[key] = value;
  }
  if (out.gatewayEngine === 'memory') {
    // Two memory-engine instances share no state: fan-out across them would lose every remote delivery.
    const shared = out.scenarios.filter((s) => !MEMORY_ENGINE_SCENARIOS.includes(s));
    if (!raw.has('scenarios')) out.scenarios = out.scenarios.filter((s) => MEMORY_ENGINE_SCENARIOS.includes(s));
    else if (shared.length) problems.push(`--gateway-engine memory runs only ${MEMORY_ENGINE_SCENARIOS.join(', ')} (got ${shared.join(', ')})`);
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  return out;
}

export function usage(): string {
  const lines = (Object.keys(DEFAULTS) as Array<keyof BenchOptions>).map((k) => {
    const d = DEFAULTS[k];
    return `  --${kebab(k).padEnd(22)} ${snake(k).padEnd(28)} default ${Array.isArray(d) ? d.join(',') : JSON.stringify(d)}`;
  });
  return `npm run bench -- [flags]   (flag, or env var, default)\n${lines.join('\n')}`;
}
