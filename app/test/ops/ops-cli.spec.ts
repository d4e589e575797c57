import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { GatewayChild } from '../support/gateway-child';
import { closeAll, connect, connectRefused, until } from '../support/clients';
import { signToken } from '../support/tokens';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'app', 'src', 'ops', 'ops.cli.js');
const KEY = 'ops-cli-test-key-0123456789';

function ops(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('ops CLI against a live gateway', () => {
  let gw: GatewayChild;
  let env: Record<string, string>;
  beforeAll(async () => {
    gw = await GatewayChild.start({ API_KEYS: KEY, INSTANCE_ID: 'ops-test' });
    env = { GATEWAY_URL: gw.url, GATEWAY_API_KEY: KEY };
  }, 30_000);
  afterEach(() => closeAll());
  afterAll(async () => gw?.stop());

  it('status should print readiness and the instances with their connections', async () => {
    await connect(gw.url, await signToken({ sub: 'someone' }));
    const r = await ops(['status'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/readiness \(200\)/);
    expect(r.stdout).toMatch(/instances: 1, connections: 1/);
    expect(r.stdout).toMatch(/ops-test\s+connections=1/);
  });

  it('disconnect-user should cut the user\u2019s sockets, and do nothing with --dry-run', async () => {
    const s = await connect(gw.url, await signToken({ sub: 'victim' }));
    expect((await ops(['disconnect-user', 'victim', '--dry-run'], env)).stdout).toMatch(/dry run: would disconnect/);
    expect(s.connected).toBe(true);
    const r = await ops(['disconnect-user', 'victim'], env);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/disconnected 1 socket\(s\) of victim/) });
    await until(() => !s.connected, 2000, 'socket cut');
    expect((await ops(['disconnect-user', 'victim'], env)).stdout).toMatch(/disconnected 0 socket/);
  });

  it('revoke-token should revoke by jti or user and refuse bad usage with exit 2', async () => {
    expect((await ops(['revoke-token'], env)).code).toBe(2);
    expect((await ops(['revoke-token', '--jti', 'a', '--user', 'b'], env)).code).toBe(2);
    expect((await ops(['revoke-token', '--jti', 'cli-jti', '--dry-run'], env)).stdout).toMatch(/dry run/);
    await connect(gw.url, await signToken({ sub: 'holder', jti: 'cli-jti' }));
    const r = await ops(['revoke-token', '--jti', 'cli-jti'], env);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/revoked token cli-jti; disconnected 1/) });
    expect((await connectRefused(gw.url, await signToken({ sub: 'holder', jti: 'cli-jti' }))).message).toBe('AUTH_FAILED');
    expect((await ops(['revoke-token', '--user', 'holder'], env)).code).toBe(0);
  });

  it('block-ip and unblock-ip should be idempotent and validate addresses', async () => {
    expect((await ops(['block-ip', 'not-an-ip'], env)).code).toBe(2);
    expect((await ops(['block-ip', '127.0.0.0/8', '--ttl', '60', '--dry-run'], env)).stdout).toMatch(/dry run: would block 127\.0\.0\.0\/8 for 60s/);
    expect((await ops(['block-ip', '127.0.0.0/8', '--ttl', '60'], env)).stdout).toMatch(/blocked 127\.0\.0\.0\/8 for 60s/);
    expect((await ops(['block-ip', '127.0.0.0/8', '--ttl', '60'], env)).code).toBe(0);
    expect((await connectRefused(gw.url, await signToken({ sub: 'x' }))).message).toBe('FORBIDDEN');
    expect((await ops(['unblock-ip', '127.0.0.0/8'], env)).stdout).toMatch(/^unblocked/m);
    expect((await ops(['unblock-ip', '127.0.0.0/8'], env)).stdout).toMatch(/was not blocked/);
    await connect(gw.url, await signToken({ sub: 'x' }));
  });

  it('reconcile-presence should report what it would change on --dry-run and reconcile otherwise', async () => {
    await connect(gw.url, await signToken({ sub: 'present' }));
    const dry = await ops(['reconcile-presence', '--dry-run'], env);
    expect(dry).toMatchObject({ code: 0, stdout: expect.stringMatching(/^dry run: presence reconciled: .*"added":0.*"removed":0/m) });
    const real = await ops(['reconcile-presence'], env);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/presence reconciled: .*"instances":1/);
    const presence = await fetch(`${gw.url}/api/v1/users/present/presence`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(await presence.json()).toMatchObject({ ok: true, userId: 'present', status: 'online' });
  });

  it('run-maintenance should run every job or one, and fail on an unknown job', async () => {
    const all = await ops(['run-maintenance'], env);
    expect(all.code).toBe(0);
    for (const job of ['history-trim', 'key-expiry', 'orphan-cleanup', 'presence-prune', 'inbox-expiry']) expect(all.stdout).toMatch(new RegExp(`^${job}: success`, 'm'));
    expect((await ops(['run-maintenance', 'history-trim'], env)).stdout).toMatch(/^history-trim: success/);
    const bad = await ops(['run-maintenance', 'no-such-job'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/NOT_FOUND/);
    const preview = await ops(['run-maintenance', 'history-trim', '--dry-run'], env);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/^dry run: would run history-trim$/m);
    expect((await ops(['run-maintenance', 'no-such-job', '--dry-run'], env)).code).toBe(2);
  });

  it('connection-reset should count on --dry-run and reset gradually otherwise', async () => {
    const s = await connect(gw.url, await signToken({ sub: 'resettable' }));
    expect((await ops(['connection-reset', '--window', '1', '--dry-run'], env)).stdout).toMatch(/dry run: would reset 1 connection\(s\) on 1 instance\(s\) over 1s/);
    expect(s.connected).toBe(true);
    expect((await ops(['connection-reset', '--window', '1'], env)).code).toBe(0);
    await until(() => !s.connected, 3000, 'reset');
  });

  it('should exit non-zero with a clear message on a wrong key, an unreachable gateway or an unknown command', async () => {
    const wrong = await ops(['status'], { GATEWAY_URL: gw.url, GATEWAY_API_KEY: 'wrong-key-0123456789' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/FORBIDDEN \(HTTP 403\)/);
    const down = await ops(['status', '--url', 'http://127.0.0.1:9', '--api-key', KEY]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/UNREACHABLE/);
    expect((await ops(['frobnicate'], env)).code).toBe(2);
    const noKey = await ops(['status', '--url', gw.url]);
    expect(noKey.stderr).toMatch(/no API key/);
  });
});
