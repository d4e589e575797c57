import { spawn, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { createConnection } from 'node:net';

/** One `redis-server` child (data node or sentinel) that a topology harness can SIGKILL. */
export class RedisProcess {
  private proc: ChildProcess | null = null;

  constructor(readonly port: number, private readonly args: string[]) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  async start(): Promise<void> {
    if (this.proc) return;
    const proc = spawn('redis-server', this.args, { stdio: 'ignore' });
    this.proc = proc;
    proc.on('exit', () => {
      if (this.proc === proc) this.proc = null;
    });
    await waitForPort(this.port, 10_000);
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
