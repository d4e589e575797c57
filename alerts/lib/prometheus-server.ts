import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../app/test/support/free-port';

/** Finds Debian's `prometheus` on PATH; the message says how to install it rather than failing obscurely. */
export function findPrometheus(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'prometheus');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    'prometheus was not found on PATH. Install Debian\'s prometheus package: ' +
      '`apt-get install -y --no-install-recommends prometheus` (see alerts/README.md).',
  );
}

/** One scrape target and the target labels Kubernetes service discovery would have given it. */
export interface ScrapeTarget {
  address: string;
  labels: Record<string, string>;
}

export interface PrometheusOptions {
  /** Scrape job name: the rules and dashboards select `job="socket-gateway"`. */
  job: string;
  targets: ScrapeTarget[];
  /** Further scrape jobs (e.g. redis_exporter as job socket-gateway-redis). */
  extraJobs?: Array<{ job: string; targets: ScrapeTarget[] }>;
  /** Rule file content (a test copy with short `for`). */
  rules: string;
  /** Scrape and evaluation interval. @default '1s' */
  interval?: string;
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

export interface RuleStatus {
  name: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  lastEvaluation: string;
}

/**
 * A real Prometheus server on a free loopback port, with its config, rules and TSDB in a temp
 * directory that stop() removes.
 */
export class PrometheusServer {
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  readonly output: string[] = [];

  private constructor(readonly dir: string, readonly port: number) {}

  static async start(opts: PrometheusOptions): Promise<PrometheusServer> {
    const binary = findPrometheus();
    const server = new PrometheusServer(mkdtempSync(join(tmpdir(), 'sg-prometheus-')), await freePort());
    try {
      server.writeConfig(opts);
      server.spawn(binary);
      await server.waitReady(30_000);
      return server;
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private writeConfig(opts: PrometheusOptions): void {
    const interval = opts.interval ?? '1s';
    writeFileSync(join(this.dir, 'rules.yaml'), opts.rules);
    const config = {
      global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
      rule_files: [join(this.dir, 'rules.yaml')],
      scrape_configs: [
        {
          job_name: opts.job,
          // The default, spelled out: the gateway's own `job` label (maintenance jobs) must become
          // `exported_job` as it does under the Prometheus Operator, which the rules rely on.
          honor_labels: false,
          static_configs: opts.targets.map((t) => ({ targets: [t.address], labels: t.labels })),
        },
        ...(opts.extraJobs ?? []).map((j) => ({
          job_name: j.job,
          honor_labels: false,
          static_configs: j.targets.map((t) => ({ targets: [t.address], labels: t.labels })),
        })),
      ],
    };
    writeFileSync(join(this.dir, 'prometheus.yml'), stringify(config));
  }

  private spawn(binary: string): void {
    const proc = spawn(
      binary,
      [
        `--config.file=${join(this.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) this.output.push(line);
      if (this.output.length > 2000) this.output.splice(0, this.output.length - 2000);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => {
      proc.once('exit', () => {
        if (this.proc === proc) this.proc = null;
        resolve();
      });
      proc.once('error', (err) => {
        this.output.push(String(err));
        if (this.proc === proc) this.proc = null;
        resolve();
      });
    });
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.proc) throw new Error(`prometheus exited during start:\n${this.output.slice(-20).join('\n')}`);
      try {
        if ((await fetch(`${this.url}/-/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`prometheus not ready within ${timeoutMs} ms:\n${this.output.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${this.url}/api/v1/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });
    const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
    return body.data;
  }

  /** Instant query at the current time; only vector results are expected from panels. */
  async query(expr: string): Promise<Sample[]> {
    const data = await this.api<{ resultType: string; result: Sample[] | [number, string] }>('query', { query: expr });
    if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
    return data.result as Sample[];
  }

  /** Pending and firing alerts (resolved ones are not listed by the API). */
  async alerts(): Promise<ActiveAlert[]> {
    const res = await fetch(`${this.url}/api/v1/alerts`);
    return ((await res.json()) as { data: { alerts: ActiveAlert[] } }).data.alerts;
  }

  async rules(): Promise<RuleStatus[]> {
    const res = await fetch(`${this.url}/api/v1/rules`);
    const body = (await res.json()) as { data: { groups: Array<{ rules: RuleStatus[] }> } };
    return body.data.groups.flatMap((g) => g.rules);
  }

  /** Scrape health of every target, for error messages. */
  async targets(): Promise<Array<{ scrapeUrl: string; health: string; lastError: string }>> {
    const res = await fetch(`${this.url}/api/v1/targets`);
    return ((await res.json()) as { data: { activeTargets: Array<{ scrapeUrl: string; health: string; lastError: string }> } }).data.activeTargets;
  }

  /** Polls `probe` until it returns a value other than undefined; fails with `describe()` after the deadline. */
  async waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, describe?: () => Promise<string>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        const detail = describe ? `\n${await describe()}` : '';
        throw new Error(`${what}: not reached within ${timeoutMs} ms${detail}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc) {
      proc.kill('SIGKILL');
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
