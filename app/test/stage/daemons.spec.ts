import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { pidFile, runningPid, startDaemon, stopDaemon } from '../../../scripts/stage/daemons';

/** The stage's pid files: what `make stage-down` may signal, and what it must leave alone. */
describe('stage daemons (scripts/stage/daemons.ts)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sg-daemons-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should start a detached process with a pid file and a log, stop it, and stop nothing the second time', async () => {
    const pid = startDaemon(dir, { name: 'sleeper', command: 'sh', args: ['-c', 'echo started; exec sleep 60'] });
    expect(runningPid(dir, 'sleeper')).toBe(pid);
    expect(() => startDaemon(dir, { name: 'sleeper', command: 'sleep', args: ['60'] })).toThrow(/already runs/);
    await stopDaemon(dir, 'sleeper', 5000);
    expect(runningPid(dir, 'sleeper')).toBeNull();
    expect(readFileSync(join(dir, 'logs', 'sleeper.log'), 'utf8')).toBe('started\n');
    await expect(stopDaemon(dir, 'sleeper', 5000)).resolves.toBeUndefined();
  });

  it('should never signal a process that merely reuses a recorded pid', async () => {
    // Another process (not the stage's) under a pid the file names, with another start time.
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    const exited = new Promise((r) => other.once('exit', r));
    mkdirSync(join(dir, 'pids'));
    writeFileSync(pidFile(dir, 'gone'), `${other.pid} 1\n`);
    expect(runningPid(dir, 'gone')).toBeNull();
    await stopDaemon(dir, 'gone', 1000);
    // A signal, had one been sent, would have ended it by now (proving a non-event needs a short wait).
    await new Promise((r) => setTimeout(r, 300));
    expect(other.exitCode).toBeNull();
    expect(other.signalCode).toBeNull();
    other.kill('SIGKILL');
    await exited;
  });
});
