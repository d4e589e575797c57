/**
 * The stage (scripts/stage/) as the suite drives it: through its command line, exactly as the
 * README and runbooks quote it, with STAGE_DIR pointing at a temporary directory of its own.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readReceived, type ReceivedRequest } from '../../../scripts/stage/receiver';
import { readState, receiverLog, REPO_ROOT, type StageState } from '../../../scripts/stage/state';
import type { ChartValues } from '../../../scripts/stage/chart-env';

const run = promisify(execFile);

export class StageUnderTest {
  /** Every stage command run, as written. */
  readonly commands: string[] = [];
  private constructor(readonly dir: string, private readonly env: Record<string, string>) {}

  /** `scripts/stage/stage up` in a new directory, with chart values over the stage's own. */
  static async start(values: ChartValues, scrapeInterval: string): Promise<StageUnderTest> {
    // A port found free can be taken by a parallel suite before the stage binds it: start again on new ones.
    for (let attempt = 1; ; attempt++) {
      try {
        return await StageUnderTest.startOnce(values, scrapeInterval);
      } catch (err) {
        if (attempt >= 3 || !/address already in use|EADDRINUSE/i.test((err as Error).message)) throw err;
      }
    }
  }

  private static async startOnce(values: ChartValues, scrapeInterval: string): Promise<StageUnderTest> {
    const dir = mkdtempSync(join(tmpdir(), 'sg-stage-'));
    // Outside the stage directory: `stage up` starts from an empty one.
    const valuesDir = mkdtempSync(join(tmpdir(), 'sg-stage-values-'));
    const valuesFile = join(valuesDir, 'values.json');
    writeFileSync(valuesFile, JSON.stringify(values));
    const stage = new StageUnderTest(dir, { STAGE_DIR: dir, STAGE_VALUES: valuesFile, STAGE_SCRAPE_INTERVAL: scrapeInterval });
    try {
      await stage.run('scripts/stage/stage up', 120_000);
    } catch (err) {
      await stage.stop();
      throw err;
    } finally {
      rmSync(valuesDir, { recursive: true, force: true });
    }
    return stage;
  }

  /** Runs a documented command as written (in the repository root) against this stage; resolves with its output. */
  async run(command: string, timeoutMs = 90_000): Promise<string> {
    this.commands.push(command);
    try {
      const { stdout } = await run('sh', ['-c', command], { cwd: REPO_ROOT, env: { ...process.env, ...this.env }, timeout: timeoutMs, maxBuffer: 16 << 20 });
      return stdout;
    } catch (err) {
      const e = err as Error & { stdout?: string; stderr?: string };
      throw new Error(`${command} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
  }

  get state(): StageState {
    const s = readState(this.dir);
    if (!s) throw new Error(`no stage state in ${this.dir}`);
    return s;
  }

  get ingress(): string {
    return `http://127.0.0.1:${this.state.ingressPort}`;
  }

  received(): ReceivedRequest[] {
    return readReceived(receiverLog(this.dir));
  }

  /** `scripts/stage/stage down`, then the directory goes. */
  async stop(): Promise<void> {
    try {
      await this.run('scripts/stage/stage down', 60_000);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
