import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { GatewayChild } from '../test/support/gateway-child';
import { TEST_SECRET } from '../test/support/tokens';
import type { SystemKind } from './protocol';

const REGISTER = join(__dirname, 'register-ts.js');
const BASELINE = join(__dirname, 'baseline-server.ts');
/** Linux reports CPU times in clock ticks of 1/100 s (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

export interface InstanceSample {
  rssBytes: number;
  heapUsedBytes: number | null;
  /** user + system CPU seconds consumed so far */
  cpuSec: number;
  /**
   * Pub/sub messages this instance received from Redis so far: the gateway's
   * `socket_gateway_bus_messages_received_total`; the baseline's count of messages on its
   * adapter's subscriber connection.
   */
  busMessages: number | null;
}

/** Instances of one system (the gateway or the baseline) sharing one Redis. */
export interface SystemUnderTest {
  readonly kind: SystemKind;
  readonly urls: string[];
  readonly pids: number[];
  /** JWT secret the generators sign tokens with (gateway only) */
  readonly jwtSecret?: string;
  sample(instance: number): Promise<InstanceSample>;
  /** Full garbage collection in one instance, so that memory figures count live objects only. */
  collectGarbage(instance: number): Promise<void>;
  /** Starts a CPU profile of one instance; call the result to stop it and get the profile. */
  profile(instance: number): Promise<() => Promise<string>>;
  /** SIGKILLs one instance and resolves once it is gone. */
  kill(instance: number): Promise<void>;
  stop(): Promise<void>;
}

/** VmRSS and CPU time straight from /proc: the same figures for both systems, no cooperation needed. */
export function procSample(pid: number): { rssBytes: number; cpuSec: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSec = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  return { rssBytes: rssKb * 1024, cpuSec };
}

/**
 * Every instance runs with `--inspect-port=0`: SIGUSR1 then opens the inspector on a free
 * 127.0.0.1 port (printed on stderr). Through it the benchmark runs full GCs before reading
 * memory and takes CPU profiles (`--profile`), the same way for both systems and without any
 * endpoint the gateway would have to grow for the benchmark.
 */
export const INSPECT_ON_SIGNAL = '--inspect-port=0';

/** A Chrome DevTools Protocol session with one process. */
export class Inspector {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      const w = msg.id === undefined ? undefined : this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id!);
      if (msg.error) w.reject(new Error(msg.error.message));
      else w.resolve(msg.result);
    });
    ws.on('close', () => {
      for (const w of this.waiting.values()) w.reject(new Error('inspector closed'));
      this.waiting.clear();
    });
  }

  static async open(pid: number, output: () => string[]): Promise<Inspector> {
    const find = () => {
      const lines = output();
      for (let i = lines.length - 1; i >= 0; i--) {
        const m = /Debugger listening on (ws:\/\/\S+)/.exec(lines[i]);
        if (m) return m[1];
      }
      return null;
    };
    let url = find();
    if (!url) {
      process.kill(pid, 'SIGUSR1');
      const deadline = Date.now() + 5000;
      while (!(url = find()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (!url) throw new Error(`inspector of process ${pid} did not open`);
    }
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Inspector(ws);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${method} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** Two full GCs (the first can leave objects whose finalizers only ran during it). */
export async function collectGarbage(pid: number, output: () => string[]): Promise<void> {
  const inspector = await Inspector.open(pid, output);
  try {
    await inspector.send('HeapProfiler.collectGarbage');
    await inspector.send('HeapProfiler.collectGarbage');
  } finally {
    inspector.close();
  }
}

/** Starts a CPU profile; the returned function stops it and resolves with the `.cpuprofile` JSON. */
export async function startCpuProfile(pid: number, output: () => string[]): Promise<() => Promise<string>> {
  const inspector = await Inspector.open(pid, output);
  await inspector.send('Profiler.enable');
  await inspector.send('Profiler.setSamplingInterval', { interval: 500 });
  await inspector.send('Profiler.start');
  return async () => {
    try {
      const { profile } = await inspector.send<{ profile: unknown }>('Profiler.stop');
      return JSON.stringify(profile);
    } finally {
      inspector.close();
    }
  };
}

export interface GatewayOptions {
  redisUrl: string;
  maxConnections: number;
  /** @default 2 */
  instances?: number;
  /** Variables beyond the benchmark's own (e.g. REDIS_WAIT_REPLICAS). */
  env?: Record<string, string>;
  /** `memory`: ENGINE=memory and no Redis at all (each instance on its own state) @default redis */
  engine?: 'redis' | 'memory';
}

/** The real compiled gateway (dist/app/src/main.js) as two child processes, production-like but unthrottled for load. */
export class GatewaySystem implements SystemUnderTest {
  readonly kind = 'gateway' as const;
  readonly jwtSecret = TEST_SECRET;

  private constructor(private readonly children: GatewayChild[]) {}

  static async start(opts: GatewayOptions): Promise<GatewaySystem> {
    const unlimited = '1000000';
    const env: Record<string, string> = {
      ...(opts.engine === 'memory' ? { ENGINE: 'memory' } : { REDIS_URL: opts.redisUrl }),
      LOG_LEVEL: 'warn',
      MAX_CONNECTIONS: String(opts.maxConnections),
      TRANSPORTS: 'websocket,polling',
      // The load is thousands of users on a handful of source addresses, far above production per-user rates.
      RATE_LIMIT_CONNECT_PER_IP: unlimited,
      RATE_LIMIT_CONNECT_PER_USER: unlimited,
      RATE_LIMIT_MESSAGE_SEND: unlimited,
      RATE_LIMIT_CHANNEL_JOIN: unlimited,
      RATE_LIMIT_CHANNEL_REJOIN: unlimited,
      RATE_LIMIT_DEFAULT: unlimited,
      NODE_OPTIONS: INSPECT_ON_SIGNAL,
      ...opts.env,
    };
    const started = await Promise.allSettled(Array.from({ length: opts.instances ?? 2 }, () => GatewayChild.start(env)));
    const children = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(children.map((c) => c.signal('SIGKILL')));
      throw failed.reason;
    }
    return new GatewaySystem(children);
  }

  get urls(): string[] {
    return this.children.map((c) => c.url);
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid!);
  }

  async sample(instance: number): Promise<InstanceSample> {
    const child = this.children[instance];
    const proc = procSample(child.pid!);
    const text = await child.metrics();
    const heap = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1];
    const bus = /^socket_gateway_bus_messages_received_total (\S+)$/m.exec(text)?.[1];
    return { ...proc, heapUsedBytes: heap === undefined ? null : Number(heap), busMessages: bus === undefined ? null : Number(bus) };
  }

  collectGarbage(instance: number): Promise<void> {
    const child = this.children[instance];
    return collectGarbage(child.pid!, () => child.output);
  }

  profile(instance: number): Promise<() => Promise<string>> {
    const child = this.children[instance];
    return startCpuProfile(child.pid!, () => child.output);
  }

  async kill(instance: number): Promise<void> {
    await this.children[instance].signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => c.signal('SIGKILL')));
  }

  tail(instance: number, lines = 20): string[] {
    return this.children[instance].output.slice(-lines);
  }
}

/** baseline-server.ts processes (two unless told) on the same Redis. */
export class BaselineSystem implements SystemUnderTest {
  readonly kind = 'baseline' as const;

  private constructor(private readonly procs: BaselineProcess[]) {}

  static async start(opts: { redisUrl: string; instances?: number }): Promise<BaselineSystem> {
    const started = await Promise.allSettled(Array.from({ length: opts.instances ?? 2 }, () => startBaseline(opts.redisUrl)));
    const procs = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      for (const p of procs) p.proc.kill('SIGKILL');
      throw failed.reason;
    }
    return new BaselineSystem(procs);
  }

  get urls(): string[] {
    return this.procs.map((p) => `http://127.0.0.1:${p.port}`);
  }

  get pids(): number[] {
    return this.procs.map((p) => p.proc.pid!);
  }

  async sample(instance: number): Promise<InstanceSample> {
    const p = this.procs[instance];
    const proc = procSample(p.proc.pid!);
    const stats = (await (await fetch(`http://127.0.0.1:${p.port}/stats`)).json()) as { heapUsed: number; busMessages: number };
    return { ...proc, heapUsedBytes: stats.heapUsed, busMessages: stats.busMessages };
  }

  collectGarbage(instance: number): Promise<void> {
    const p = this.procs[instance];
    return collectGarbage(p.proc.pid!, () => p.output);
  }

  profile(instance: number): Promise<() => Promise<string>> {
    const p = this.procs[instance];
    return startCpuProfile(p.proc.pid!, () => p.output);
  }

  async kill(instance: number): Promise<void> {
    const p = this.procs[instance];
    if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await p.exited;
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((_, i) => this.kill(i)));
  }
}

interface BaselineProcess { proc: ChildProcess; port: number; exited: Promise<void>; output: string[] }

function startBaseline(redisUrl: string): Promise<BaselineProcess> {
  const proc = spawn(process.execPath, ['-r', REGISTER, BASELINE], {
    env: { PATH: process.env.PATH ?? '', REDIS_URL: redisUrl, PORT: '0', NODE_OPTIONS: INSPECT_ON_SIGNAL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const output: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => {
    output.push(...d.toString().split('\n').filter(Boolean));
    if (output.length > 500) output.splice(0, output.length - 500);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`baseline did not start within 15 s:\n${output.join('\n')}`));
    }, 15_000);
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"port":(\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]), exited, output });
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`baseline exited during start:\n${output.join('\n')}`));
    });
  });
}
