import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Command, GeneratorInit, Reply, SystemKind } from './protocol';

const GENERATOR = join(__dirname, 'generator.ts');
const REGISTER = join(__dirname, 'register-ts.js');

/** Source addresses beyond 127.0.0.1, one per generator, so no destination runs out of ephemeral ports. */
export function sourceAddress(generator: number): string {
  return `127.0.0.${10 + (generator % 240)}`;
}

/** The load-generator children of one benchmark run, and a request/reply helper over their IPC channels. */
export class GeneratorPool {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly output: string[] = [];

  private constructor(private readonly children: ChildProcess[]) {}

  /**
   * Forks `generators` children sharing `total` sockets in contiguous ranges; each signs its
   * tokens (gateway) before replying, so no later timing includes that.
   */
  static async start(opts: { kind: SystemKind; urls: string[]; total: number; generators: number; jwtSecret?: string; placement?: GeneratorInit['placement'] }): Promise<GeneratorPool> {
    const per = Math.ceil(opts.total / opts.generators);
    const children: ChildProcess[] = [];
    const pool = new GeneratorPool(children);
    const ready: Array<Promise<unknown>> = [];
    for (let g = 0; g < opts.generators; g++) {
      const first = g * per;
      const count = Math.max(0, Math.min(per, opts.total - first));
      const child = fork(GENERATOR, [], { execArgv: ['-r', REGISTER], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      children.push(child);
      const keep = (chunk: Buffer) => {
        pool.output.push(...chunk.toString().split('\n').filter(Boolean));
        if (pool.output.length > 200) pool.output.splice(0, pool.output.length - 200);
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      ready.push(new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`generator ${g} exited (${code}) during start:\n${pool.output.slice(-10).join('\n')}`)));
        child.once('message', (m: Reply) => (m.ok ? resolve(m) : reject(new Error(m.error))));
      }));
      child.on('message', (m: Reply) => {
        if (m.id === 0) return;
        const w = pool.waiting.get(m.id);
        if (!w) return;
        pool.waiting.delete(m.id);
        if (m.ok) w.resolve(m.result);
        else w.reject(new Error(m.error));
      });
      child.on('exit', (code, signal) => {
        for (const [id, w] of pool.waiting) {
          pool.waiting.delete(id);
          w.reject(new Error(`generator ${g} exited (${code ?? signal}):\n${pool.output.slice(-10).join('\n')}`));
        }
      });
      const init: GeneratorInit = { generator: g, kind: opts.kind, urls: opts.urls, first, count, localAddress: sourceAddress(g), jwtSecret: opts.jwtSecret, placement: opts.placement ?? { mode: 'alternate' } };
      child.send({ init });
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      pool.kill();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.children.length;
  }

  /** Sends the same command to every generator and resolves with their answers in order. */
  all<T>(command: Command): Promise<T[]> {
    return Promise.all(this.children.map((_, g) => this.one<T>(g, command)));
  }

  one<T>(g: number, command: Command): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.children[g].send({ id, command });
    });
  }

  /** Closes every socket, then ends the children (SIGKILL after a grace period). */
  async close(): Promise<void> {
    const exits = this.children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()))));
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([this.all({ cmd: 'close' }).catch(() => undefined), new Promise((r) => (grace = setTimeout(r, 5000)))]);
    clearTimeout(grace);
    for (const c of this.children) if (c.connected) c.disconnect();
    const timer = setTimeout(() => this.kill(), 5000);
    await Promise.all(exits);
    clearTimeout(timer);
  }

  kill(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
