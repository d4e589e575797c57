import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort } from '../../app/test/support/free-port';

/** Debian's redis_exporter (`prometheus-redis-exporter`) on PATH. */
export function findExporter(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['prometheus-redis-exporter', 'redis_exporter']) {
      if (!dir) continue;
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  throw new Error(
    'prometheus-redis-exporter was not found on PATH. Install Debian\'s package: ' +
      '`apt-get install -y --no-install-recommends prometheus-redis-exporter` (see alerts/README.md).',
  );
}

/** Debian's redis_exporter on a free loopback port, scraping one Redis (as the chart's sidecar would). */
export class RedisExporter {
  private constructor(private readonly proc: ChildProcess, readonly port: number) {}

  static async start(redisUrl: string): Promise<RedisExporter> {
    const port = await freePort();
    const proc = spawn(findExporter(), [`--redis.addr=${redisUrl}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    const exporter = new RedisExporter(proc, port);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.ok, () => false);
      if (ok) return exporter;
      if (Date.now() > deadline || proc.exitCode !== null) {
        await exporter.stop();
        throw new Error(`redis_exporter did not answer on port ${port}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
  }
}
