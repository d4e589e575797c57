import type { SystemKind } from './protocol';

/** `fanout` is the fixed-rate fan-out with the join/presence probes alongside. */
export type Scenario = 'fanout' | 'saturate' | 'storm';
const SCENARIOS: readonly Scenario[] = ['fanout', 'saturate', 'storm'];

/** Every knob of `npm run bench`; each is a CLI flag `--kebab-name` or an env var `BENCH_SNAKE_NAME`. */
export interface BenchOptions {
  /** sockets per instance in the connect scenario (two instances) @default 10000 */
  perInstance: number;
  /**
   * handshakes started per second, all generators together (open loop). The default is a steady
   * rate this 2-core machine sustains with the generators on it; overload is the storm's job.
   * @default 500
   */
  connectRate: number;
  /** fan-out channels @default 1000 */
  channels: number;
  /** members per fan-out channel (channels × members sockets take part) @default 10 */
  members: number;
  /** published messages per second in the fixed-rate fan-out, spread over both instances @default 1000 */
  rate: number;
  /** seconds of the fixed-rate fan-out @default 20 */
  duration: number;
  /** seconds of the saturated fan-out (closed loop, `window` sends in flight per publisher) @default 10 */
  saturateDuration: number;
  /** @default 1 */
  window: number;
  /** clients (both instances together) kept for the reconnect storm; the survivor then holds them all, so it stays below the 20,000 open files of one process @default 18000 */
  stormClients: number;
  /** seconds the storm waits for clients to come back @default 30 */
  stormDeadline: number;
  /** sockets running channel:join and presence:get round trips during the fixed-rate fan-out @default 10 */
  probes: number;
  /** round trips of each kind per probe socket per second @default 5 */
  probeRate: number;
  /** sockets per load-generator process (each far below its open-file limit) @default 5000 */
  perGenerator: number;
  /** which systems to run @default gateway,baseline */
  systems: SystemKind[];
  /** which scenarios to run after connecting (connect always runs) @default fanout,saturate,storm */
  scenarios: Scenario[];
  /** where latest.md, latest.json and the dated copies go; empty = do not write @default app/bench/results */
  out: string;
  /** the runbook page whose bench table is filled; empty = leave it alone @default runbooks/scaling-and-capacity.md */
  runbook: string;
  /** directory for CPU profiles of both instances during connect and each fan-out phase (`<system>-<phase>-<instance>.cpuprofile`, open in Chrome DevTools); empty = no profiling @default "" */
  profile: string;
  /** seconds of idle after connecting before memory is sampled (after a full GC) @default 3 */
  settle: number;
}

export const DEFAULTS: BenchOptions = {
  perInstance: 10_000,
  connectRate: 500,
  channels: 1000,
  members: 10,
  rate: 1000,
  duration: 20,
  saturateDuration: 10,
  window: 1,
  stormClients: 18_000,
  stormDeadline: 30,
  probes: 10,
  probeRate: 5,
  perGenerator: 5000,
  systems: ['gateway', 'baseline'],
  scenarios: ['fanout', 'saturate', 'storm'],
  out: 'app/bench/results',
  runbook: 'runbooks/scaling-and-capacity.md',
  profile: '',
  settle: 3,
};

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const snake = (k: string) => `BENCH_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

export class UsageError extends Error {}

/** Flags win over env, env over defaults; unknown flags and bad numbers are refused with every problem listed. */
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
    if (key === 'systems') {
      const systems = value.split(',').map((s) => s.trim()).filter(Boolean);
      if (systems.length === 0 || systems.some((s) => s !== 'gateway' && s !== 'baseline')) problems.push(`--systems takes gateway and/or baseline (got "${value}")`);
      else out.systems = systems as SystemKind[];
    } else if (key === 'scenarios') {
      const list = value.split(',').map((v) => v.trim()).filter(Boolean);
      if (list.some((v) => !SCENARIOS.includes(v as Scenario))) problems.push(`--scenarios takes ${SCENARIOS.join(', ')} (got "${value}")`);
      else out.scenarios = list as Scenario[];
    } else if (typeof def === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0 || ((key === 'rate' || key === 'connectRate' || key === 'perGenerator' || key === 'window' || key === 'members' || key === 'probeRate') && n <= 0)) {
        problems.push(`--${kebab(key)} must be a positive number (got "${value}")`);
      } else (out as unknown as Record<string, number>)[key] = n;
    } else (out as unknown as Record<string, string>)[key] = value;
  }
  if (out.channels * out.members > out.perInstance * 2) {
    problems.push(`--channels × --members (${out.channels * out.members}) must not exceed the sockets connected (2 × --per-instance = ${out.perInstance * 2})`);
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
