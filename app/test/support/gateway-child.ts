import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './free-port';
import { TEST_SECRET } from './tokens';

const MAIN = join(__dirname, '..', '..', '..', 'dist', 'app', 'src', 'main.js');

/**
 * One gateway as a separate OS process (compiled dist/, see global-setup.ts), so tests can
 * SIGKILL or SIGTERM it like Kubernetes would. Ports are chosen up front and kept across restarts.
 */
export class GatewayChild {
  private proc: ChildProcess | null = null;
  readonly output: string[] = [];
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(readonly port: number, readonly metricsPort: number, readonly env: Record<string, string>) {}

  static async start(env: Record<string, string> = {}): Promise<GatewayChild> {
    // A port found free can be taken by a parallel suite before the child binds it: draw again.
    for (let attempt = 1; ; attempt++) {
      const child = new GatewayChild(await freePort(), await freePort(), env);
      try {
        await child.restart();
        return child;
      } catch (err) {
        if (attempt >= 3 || !child.output.some((l) => l.includes('EADDRINUSE'))) throw err;
      }
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async restart(): Promise<void> {
    if (this.proc) return;
    const proc = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        JWT_SECRET: TEST_SECRET,
        LOG_LEVEL: 'info',
        PORT: String(this.port),
        METRICS_PORT: String(this.metricsPort),
        // Suites reuse a few user ids from one address across many cases; the limits have their
        // own suite (security/connection-limits.spec.ts), which sets them.
        RATE_LIMIT_CONNECT_PER_IP: '100000',
        RATE_LIMIT_CONNECT_PER_USER: '100000',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    this.exitCode = null;
    this.exitSignal = null;
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) this.output.push(line);
      if (this.output.length > 5000) this.output.splice(0, this.output.length - 5000);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        if (this.proc === proc) this.proc = null;
        resolve();
      });
    });
    // Generous: several suites start gateways at once on a 2-core machine; healthy usually comes in ~1 s.
    await this.waitHealthy(30_000);
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.proc) throw new Error(`gateway exited during start:\n${this.output.slice(-20).join('\n')}`);
      try {
        const res = await fetch(`${this.url}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`gateway not healthy within ${timeoutMs} ms:\n${this.output.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal; resolves when the process has exited. */
  async signal(sig: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    proc.kill(sig);
    await this.exited;
  }

  /** Sends a signal without waiting (for drain tests that watch the exit). */
  send(sig: NodeJS.Signals): Promise<void> {
    this.proc?.kill(sig);
    return this.exited;
  }

  async readyz(): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.url}/readyz`);
    return { status: res.status, body: await res.json() };
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
  }

  async stop(): Promise<void> {
    await this.signal('SIGKILL');
  }
}
