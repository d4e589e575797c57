import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../../app/test/support/free-port';

export const ALERTMANAGER_CONFIG = join(__dirname, '..', 'alertmanager.yaml');

const INSTALL_HINT = 'Install Debian\'s prometheus-alertmanager package: `apt-get install -y --no-install-recommends prometheus-alertmanager` (see alerts/README.md).';

/** Finds a binary on PATH, or fails with the Debian package that provides it. */
function onPath(names: string[]): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of names) {
      if (!dir) continue;
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  throw new Error(`${names[0]} was not found on PATH. ${INSTALL_HINT}`);
}

/** `stdout` alone holds the answer: amtool warns on stderr whenever --config.file is given. */
export function runAmtool(args: string[]): { status: number; stdout: string; output: string } {
  const res = spawnSync(onPath(['amtool']), args, { encoding: 'utf8', timeout: 60_000 });
  if (res.error) throw res.error;
  return { status: res.status ?? -1, stdout: res.stdout, output: `${res.stdout}${res.stderr}` };
}

export interface AmAlert {
  labels: Record<string, string>;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[]; silencedBy: string[] };
}

/** Debian's Alertmanager binary (`prometheus-alertmanager`, or `alertmanager` elsewhere). */
export const alertmanagerBinary = () => onPath(['prometheus-alertmanager', 'alertmanager']);

/** A real Alertmanager (Debian's prometheus-alertmanager) on a free loopback port, clustering off. */
export class AlertmanagerServer {
  private proc: ChildProcess | null = null;
  readonly output: string[] = [];

  private constructor(readonly dir: string, readonly port: number) {}

  static async start(configFile = ALERTMANAGER_CONFIG): Promise<AlertmanagerServer> {
    const binary = alertmanagerBinary();
    const am = new AlertmanagerServer(mkdtempSync(join(tmpdir(), 'sg-alertmanager-')), await freePort());
    am.proc = spawn(binary, [
      `--config.file=${configFile}`,
      `--storage.path=${am.dir}`,
      `--web.listen-address=127.0.0.1:${am.port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [am.proc.stdout!, am.proc.stderr!]) s.on('data', (c: Buffer) => am.output.push(c.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ready = await fetch(`${am.url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) return am;
      if (Date.now() > deadline || am.proc.exitCode !== null) {
        await am.stop();
        throw new Error(`alertmanager did not become ready:\n${am.output.join('')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async post(alerts: Array<Record<string, string>>): Promise<void> {
    const res = await fetch(`${this.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts.map((labels) => ({ labels, startsAt: new Date().toISOString() }))),
    });
    if (!res.ok) throw new Error(`POST /api/v2/alerts: HTTP ${res.status} ${await res.text()}`);
  }

  async alerts(): Promise<AmAlert[]> {
    return (await fetch(`${this.url}/api/v2/alerts`)).json() as Promise<AmAlert[]>;
  }

  /** Notification groups as Alertmanager forms them (one notification per group and receiver). */
  async groups(): Promise<Array<{ labels: Record<string, string>; receiver: { name: string }; alerts: AmAlert[] }>> {
    return (await fetch(`${this.url}/api/v2/alerts/groups`)).json() as Promise<Array<{ labels: Record<string, string>; receiver: { name: string }; alerts: AmAlert[] }>>;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
