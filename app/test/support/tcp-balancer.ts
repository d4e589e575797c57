import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A gateway behind the balancer: where to forward, and where its readiness probe answers. */
export interface BalancerBackend {
  name: string;
  port: number;
  /** `http://127.0.0.1:PORT/readyz`; defaults to the backend's own port */
  readyzUrl?: string;
}

interface Backend extends BalancerBackend {
  ready: boolean;
  /** a probe is in flight: the next tick does not start another */
  probing: boolean;
}

interface Pipe {
  client: Socket;
  upstream: Socket;
  backend: string;
  close(): void;
  lifetime: NodeJS.Timeout | null;
}

export interface BalancerOptions {
  /** @default 100 */
  probeIntervalMs?: number;
}

/**
 * A TCP proxy on 127.0.0.1 standing in for a Kubernetes Service: every ~100 ms it probes each
 * backend's `/readyz`, sends each NEW connection to a ready backend (round robin) and leaves
 * existing connections piped until either side closes — so a draining or dead instance stops
 * getting clients while the ones it still holds stay where they are. `cutAll()` (or `flaky(ms)`)
 * destroys every client connection, like a network that drops them.
 */
export class TcpBalancer {
  private readonly backends: Backend[] = [];
  private readonly pipes = new Set<Pipe>();
  private next = 0;
  private probeTimer: NodeJS.Timeout | null = null;
  private flakyTimer: NodeJS.Timeout | null = null;
  /** in `each` mode: cut every connection after a random 0.5–1.5 × this */
  private lifetimeMs: number | null = null;
  /** connections accepted, refused (no ready backend or backend unreachable), cut by cutAll */
  readonly stats = { accepted: 0, refused: 0, cut: 0 };

  private constructor(private readonly server: Server, readonly port: number, private readonly probeIntervalMs: number) {}

  static async start(backends: BalancerBackend[] = [], opts: BalancerOptions = {}): Promise<TcpBalancer> {
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
    const lb = new TcpBalancer(server, port, opts.probeIntervalMs ?? 100);
    server.on('connection', (client) => lb.accept(client));
    for (const b of backends) lb.add(b);
    await lb.probeAll();
    lb.probeTimer = setInterval(() => void lb.probeAll(), lb.probeIntervalMs);
    return lb;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Adds a backend; it takes connections once its first probe says ready. */
  add(backend: BalancerBackend): void {
    this.backends.push({ ...backend, ready: false, probing: false });
  }

  /** Backends the last probes found ready. */
  readyBackends(): string[] {
    return this.backends.filter((b) => b.ready).map((b) => b.name);
  }

  /** Live piped connections per backend name. */
  connections(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.pipes) out[p.backend] = (out[p.backend] ?? 0) + 1;
    return out;
  }

  /** Destroys every current client connection (and its upstream); returns how many. */
  cutAll(): number {
    const n = this.pipes.size;
    for (const p of [...this.pipes]) p.close();
    this.stats.cut += n;
    return n;
  }

  /**
   * Until `steady()`: `all` cuts every connection at once every `everyMs`; `each` cuts each
   * connection after its own random lifetime of 0.5–1.5 × `everyMs` (cuts land at every phase of
   * the client's life: handshake, join, replay, send).
   */
  flaky(everyMs: number, mode: 'all' | 'each' = 'all'): void {
    this.steady();
    if (mode === 'all') {
      this.flakyTimer = setInterval(() => this.cutAll(), everyMs);
    } else {
      this.lifetimeMs = everyMs;
      for (const p of this.pipes) this.scheduleCut(p);
    }
  }

  steady(): void {
    if (this.flakyTimer) clearInterval(this.flakyTimer);
    this.flakyTimer = null;
    this.lifetimeMs = null;
    for (const p of this.pipes) if (p.lifetime) clearTimeout(p.lifetime);
  }

  async close(): Promise<void> {
    this.steady();
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.setNoDelay(true);
    const ready = this.backends.filter((b) => b.ready);
    if (ready.length === 0) {
      // A Service without ready endpoints: the connection fails and the client retries.
      this.stats.refused++;
      client.destroy();
      return;
    }
    const backend = ready[this.next++ % ready.length];
    const upstream = createConnection({ host: '127.0.0.1', port: backend.port });
    upstream.setNoDelay(true);
    const close = () => {
      if (pipe.lifetime) clearTimeout(pipe.lifetime);
      if (!this.pipes.delete(pipe)) return;
      client.destroy();
      upstream.destroy();
    };
    const pipe: Pipe = { client, upstream, backend: backend.name, close, lifetime: null };
    this.pipes.add(pipe);
    this.stats.accepted++;
    this.scheduleCut(pipe);
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private scheduleCut(pipe: Pipe): void {
    if (this.lifetimeMs === null) return;
    pipe.lifetime = setTimeout(() => {
      if (this.lifetimeMs === null || !this.pipes.has(pipe)) return;
      this.stats.cut++;
      pipe.close();
    }, this.lifetimeMs * (0.5 + Math.random()));
  }

  private async probeAll(): Promise<void> {
    await Promise.all(this.backends.map((b) => this.probe(b)));
  }

  private async probe(b: Backend): Promise<void> {
    if (b.probing) return;
    b.probing = true;
    try {
      const res = await fetch(b.readyzUrl ?? `http://127.0.0.1:${b.port}/readyz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      b.ready = res.status === 200;
    } catch {
      b.ready = false;
    } finally {
      b.probing = false;
    }
  }
}
