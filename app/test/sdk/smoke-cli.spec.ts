import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startTestGateway } from '../support/gateway';
import { freePort } from '../support/free-port';
import { signToken } from '../support/tokens';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'app', 'src', 'client', 'smoke.cli.js');

/** Runs the compiled CLI the way on-call does (`npm run smoke -- ...` runs exactly this file). */
function smoke(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('smoke CLI', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000' });
  }, 180_000);
  afterAll(async () => {
    await gw?.close();
  });

  it('should round-trip a message and print the latency', async () => {
    const r = await smoke(['--url', gw.url, '--token', await signToken({ sub: 'oncall', channels: ['smoke-*'] })]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^connected to http:\/\/127\.0\.0\.1:\d+ as oncall \(instance .+\) in [\d.]+ ms$/m);
    expect(r.stdout).toMatch(/^joined smoke-[0-9a-f]{8}, sent and received seq 1$/m);
    expect(r.stdout).toMatch(/^ok: round-trip latency \d+\.\d ms$/m);
  });

  it('should fail with a clear message for a bad token', async () => {
    const r = await smoke(['--url', gw.url, '--token', await signToken({ sub: 'oncall' }, 'another-secret-that-is-long-enough-0123456789')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^smoke FAILED \[AUTH_FAILED\]: connect failed: connection refused \(AUTH_FAILED\)/);
    expect(r.stderr).toMatch(/hint: the gateway refused the token/);
  });

  it('should fail with a clear message for a token without a grant for the channel', async () => {
    const r = await smoke(['--url', gw.url, '--token', await signToken({ sub: 'oncall', channels: ['general'] }), '--channel', 'smoke-denied']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^smoke FAILED \[FORBIDDEN\]: join smoke-denied failed: no grant for channel smoke-denied/);
  });

  it('should fail with a clear message for an unreachable URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await smoke(['--url', url, '--token', 'x', '--timeout-ms', '1500']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`smoke FAILED [TIMEOUT]: connect failed: could not connect to ${url} within 1500 ms (last error: cannot reach ${url}`);
    expect(r.stderr).toMatch(/hint: is the URL right and the gateway up\?/);
  });

  it('should explain its usage when arguments are missing', async () => {
    const r = await smoke(['--url', gw.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--url and --token are required\nusage: npm run smoke -- --url URL --token TOKEN/);
  });
});
