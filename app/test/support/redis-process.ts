import { spawn, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { createConnection } from 'node:net';

/** One `redis-server` child (data node or sentinel) that a topology harness can SIGKILL. */
/** Thrown when a port found free was taken by another process before redis-server bound it. */
export class PortTakenError extends Error {}

/** One `redis-server` child (data node or sentinel) that a topology harness can SIGKILL. */
export class RedisProcess {
  private proc: ChildProcess | null = null;
  /** The child's last log lines, quoted when it fails to start. */
  readonly output: string[] = [];

  constructor(readonly port: number, private readonly args: string[]) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /**
   * Resolves once this very process answers on the port: a parallel suite's server that took the
   * port first would also accept connections, so the answer's process_id must be our child's.
   */
  async start(): Promise<void> {
    if (this.proc) return;
    const proc = spawn('redis-server', this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let exited = false;
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) this.output.push(line);
      if (this.output.length > 50) this.output.splice(0, this.output.length - 50);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    proc.on('exit', () => {
      exited = true;
      if (this.proc === proc) this.proc = null;
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (exited) {
        const log = this.output.join('\n');
        const Err = /address already in use/i.test(log) ? PortTakenError : Error;
        throw new Err(`redis-server on port ${this.port} exited during start-up: ${log.slice(-600)}`);
      }
      const pid = await this.admin(async (r) => /process_id:(\d+)/.exec(await r.info('server'))?.[1]).catch(() => undefined);
      if (pid === String(proc.pid)) return;
      if (pid !== undefined && Date.now() > deadline - 8_000) throw new PortTakenError(`port ${this.port} is served by another process (pid ${pid})`);
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer within 10000 ms: ${this.output.join('\n').slice(-600)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL, resolved once the process is gone. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  /** A short-lived admin connection; `fn`'s result is returned and the connection dropped. */
  async admin<T>(fn: (r: Redis) => Promise<T>, password?: string): Promise<T> {
    const r = new Redis({ host: '127.0.0.1', port: this.port, password, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      return await fn(r);
    } finally {
      r.disconnect();
    }
  }
}

/**
 * Runs a harness start, drawing new ports (by calling `start` again) when one found free was
 * taken by a parallel suite before the server bound it.
 */
export async function retryOnPortTaken<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= 3 || !(err instanceof PortTakenError)) throw err;
    }
  }
}

/** Polls `check` until it returns true; throws `what` after `timeoutMs` (no fixed sleeps in callers). */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves once something accepts TCP connections on the loopback port. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: '127.0.0.1' });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
