import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { RedisProcess, retryOnPortTaken } from './redis-process';

export interface RedisServerOptions {
  /**
   * Append-only file with `appendfsync always`, so data acknowledged before a SIGKILL is there
   * after `restart()` (as with a persistent production Redis). Off by default: a restart starts empty.
   */
  persistent?: boolean;
}

/**
 * A real `redis-server` on a free port, owned by one test file, that tests can kill and restart
 * on the same port (to simulate an outage).
 */
export class RedisServer {
  private readonly dir = mkdtempSync(join(tmpdir(), 'sg-redis-'));
  private readonly process: RedisProcess;

  private constructor(readonly port: number, opts: RedisServerOptions) {
    const persistence = opts.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    this.process = new RedisProcess(port, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', this.dir, '--loglevel', 'warning']);
  }

  static start(opts: RedisServerOptions = {}): Promise<RedisServer> {
    return retryOnPortTaken(async () => {
      const server = new RedisServer(await freePort(), opts);
      try {
        await server.restart();
      } catch (err) {
        await server.stop();
        throw err;
      }
      return server;
    });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port; resolves once it accepts connections. */
  restart(): Promise<void> {
    return this.process.start();
  }

  /** SIGKILLs the server and waits until it is gone. */
  kill(): Promise<void> {
    return this.process.kill();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
