import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AlertmanagerServer, type AmAlert } from '../alerts/lib/alertmanager';
import { runbookCommands } from './lib/runbook-commands';

/**
 * The silence procedure's amtool commands, run as written, in order, against a real Alertmanager
 * (Debian's prometheus-alertmanager) holding alerts of two namespaces: the silence mutes exactly
 * what the page says, and expiring it brings the alerts back.
 */
const run = promisify(execFile);
const PAGE = 'alertmanager-silences.md';
const steps = runbookCommands([PAGE]).filter((c) => c.text.startsWith('amtool '));

describe(`${PAGE} against a real Alertmanager`, () => {
  let am: AlertmanagerServer;
  const redisEvicting = { alertname: 'SocketGatewayRedisEvictingKeys', severity: 'critical', namespace: 'socket-gateway', job: 'socket-gateway-redis', pod: 'redis-0' };
  const redisMemory = { alertname: 'SocketGatewayRedisMemoryNearLimit', severity: 'warning', namespace: 'socket-gateway', job: 'socket-gateway-redis', pod: 'redis-0' };
  // Not caused by the Redis work: must stay audible.
  const eventErrors = { alertname: 'SocketGatewayEventErrorsHigh', severity: 'warning', namespace: 'socket-gateway', job: 'socket-gateway' };
  const otherNamespace = { alertname: 'SocketGatewayRedisEvictingKeys', severity: 'critical', namespace: 'chat', job: 'socket-gateway-redis', pod: 'redis-0' };

  beforeAll(async () => {
    am = await AlertmanagerServer.start();
    await am.post([redisEvicting, redisMemory, eventErrors, otherNamespace]);
  }, 30_000);
  afterAll(async () => {
    await am?.stop();
  });

  const amtool = async (text: string, placeholders: Record<string, string> = {}) => {
    const command = Object.entries(placeholders).reduce((t, [k, v]) => t.split(k).join(v), text);
    const res = await run('bash', ['-o', 'pipefail', '-c', command], { env: { ...process.env, ALERTMANAGER_URL: am.url, USER: 'oncall' } }).then(
      (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
    );
    expect({ command, code: res.code, err: res.code === 0 ? '' : res.err }).toEqual({ command, code: 0, err: '' });
    return res.out;
  };
  const states = async () => {
    const deadline = Date.now() + 15_000;
    let alerts: AmAlert[] = [];
    do {
      alerts = await am.alerts();
      if (alerts.length === 4 && alerts.every((a) => a.status.state !== 'unprocessed')) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    const state = (labels: Record<string, string>) => alerts.find((a) => Object.entries(labels).every(([k, v]) => a.labels[k] === v))?.status.state;
    return { redisEvicting: state(redisEvicting), redisMemory: state(redisMemory), eventErrors: state(eventErrors), otherNamespace: state(otherNamespace) };
  };

  it('should quote the preview, add, query, expire and check steps', () => {
    expect(steps.map((s) => / (alert query|silence add|silence query|silence expire) /.exec(s.text)?.[1])).toEqual([
      'alert query', 'silence add', 'silence query', 'silence expire', 'alert query',
    ]);
  });

  it('should silence only the namespace\'s Redis alerts for the work, list the silence, and bring them back on expiry', async () => {
    const [preview, add, query, expire, check] = steps;
    const before = await amtool(preview.text);
    expect(before).toContain('SocketGatewayRedisEvictingKeys');
    expect(before).toContain('SocketGatewayEventErrorsHigh');

    const id = (await amtool(add.text)).trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await expect(pollStates(states, (s) => s.redisEvicting === 'suppressed')).resolves.toEqual({
      redisEvicting: 'suppressed', redisMemory: 'suppressed', eventErrors: 'active', otherNamespace: 'active',
    });
    const listed = await amtool(query.text);
    expect(listed).toContain(id);
    expect(listed).toContain('Redis upgrade, CHG-1234');
    expect(listed).toContain('oncall');

    await amtool(expire.text, { '<silence-id>': id });
    await expect(pollStates(states, (s) => s.redisEvicting === 'active')).resolves.toEqual({
      redisEvicting: 'active', redisMemory: 'active', eventErrors: 'active', otherNamespace: 'active',
    });
    expect(await amtool(check.text)).toContain('SocketGatewayRedisEvictingKeys');
  }, 60_000);
});

async function pollStates<T>(read: () => Promise<T>, done: (s: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  let s = await read();
  while (!done(s) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    s = await read();
  }
  return s;
}
