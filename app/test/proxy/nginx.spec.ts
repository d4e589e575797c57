/**
 * Two gateways behind a real nginx (Debian package), configured by scripts/nginx/nginx-config.ts
 * from the chart's routing values, with TRUST_PROXY=1 as the chart sets it behind an ingress.
 * Clients come from distinct 127.0.0.x source addresses, as different users on the internet do.
 */
import { request } from 'node:http';
import { chartRouting } from '../../../scripts/nginx/nginx-config';
import { startTestGateway } from '../support/gateway';
import { RedisServer } from '../support/redis-server';
import { NginxServer } from '../support/nginx';
import { HeldClock } from '../support/held-clock';
import { call, next, type TestSocket } from '../support/clients';
import { signToken } from '../support/tokens';
import { clientFrom, type Outcome } from '../support/from-address';

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const BLOCKED = '127.0.0.66';
const PER_IP = 4;
const clock = new HeldClock();
const sockets: TestSocket[] = [];

const client = (url: string, from: string, token: string, opts: { transports?: string[]; xff?: string } = {}) => clientFrom(sockets, url, from, token, opts);

/** One raw HTTP request through the proxy from `from`; for the Engine.IO protocol itself. */
function raw(url: string, from: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: string; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: body === undefined ? 'GET' : 'POST', localAddress: from, agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, setCookie: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const sumMetric = async (gws: Gw[], series: string): Promise<number> => {
  let total = 0;
  for (const gw of gws) {
    const line = (await gw.metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
    total += line ? Number(line.slice(series.length + 1)) : 0;
  }
  return total;
};

describe('two gateways behind a real nginx', () => {
  let redis: RedisServer;
  let gws: Gw[];
  let nginx: NginxServer;
  const routing = chartRouting();

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, TRUST_PROXY: '1', IP_BLOCKLIST: BLOCKED, RATE_LIMIT_CONNECT_PER_IP: String(PER_IP), LOG_LEVEL: 'warn' };
    gws = [await startTestGateway({ ...env, INSTANCE_ID: 'gw-a' }, undefined, clock), await startTestGateway({ ...env, INSTANCE_ID: 'gw-b' }, undefined, clock)];
    nginx = await NginxServer.start({ ...routing, gateways: gws.map((g) => `127.0.0.1:${g.port}`) });
  }, 60_000);
  afterEach(() => {
    while (sockets.length) sockets.pop()!.disconnect();
    clock.release();
  });
  afterAll(async () => {
    await nginx?.stop();
    for (const gw of gws ?? []) await gw.close();
    await redis?.stop();
  });

  it('should spread WebSocket clients over both instances and deliver messages across them', async () => {
    const clients = [];
    for (let i = 0; i < 6; i++) clients.push(await client(nginx.url, `127.0.0.${10 + i}`, await signToken({ sub: `ws-${i}` })));
    const ok = clients.map((c) => (c.ok ? c : Promise.reject(c.error)));
    const connected = await Promise.all(ok);
    expect(new Set(connected.map((c) => c.instanceId))).toEqual(new Set(['gw-a', 'gw-b']));
    for (const c of connected) expect(await call(c.socket, 'channel:join', { channelId: 'proxy-ws' })).toMatchObject({ ok: true });
    const received = connected.slice(1).map((c) => next(c.socket, 'message:new', (m: { clientMsgId: string }) => m.clientMsgId === 'proxy-ws-1'));
    expect(await call(connected[0].socket, 'message:send', { channelId: 'proxy-ws', content: 'through nginx', clientMsgId: 'proxy-ws-1' })).toMatchObject({ ok: true });
    expect(await Promise.all(received)).toHaveLength(5);
  });

  it('should keep every request of a polling session on one instance through the affinity cookie', async () => {
    // Without the cookie, round-robin sends the session's next request to the other instance, which does not know it.
    const open = await raw(nginx.url, '127.0.0.20', '/socket.io/?EIO=4&transport=polling');
    expect(open.status).toBe(200);
    const sid = JSON.parse(open.body.slice(1)).sid as string;
    const cookie = open.setCookie.find((c) => c.startsWith(`${routing.cookieName}=`));
    expect(cookie).toMatch(new RegExp(`^${routing.cookieName}=gw[01]; Path=/; Max-Age=${routing.cookieMaxAgeSeconds}; HttpOnly; SameSite=${routing.cookieSameSite}$`));
    // The next request of the session: the Socket.IO connect packet, POSTed.
    const lost = await raw(nginx.url, '127.0.0.20', `/socket.io/?EIO=4&transport=polling&sid=${sid}`, {}, '40');
    expect(lost).toMatchObject({ status: 400, body: '{"code":1,"message":"Session ID unknown"}' });
    const kept = await raw(nginx.url, '127.0.0.20', `/socket.io/?EIO=4&transport=polling&sid=${sid}`, { cookie: cookie!.split(';')[0] }, '40');
    expect(kept).toMatchObject({ status: 200, body: 'ok' });

    // A real polling-only client: many requests per call, all on its instance.
    const polling = await client(nginx.url, '127.0.0.21', await signToken({ sub: 'poller' }), { transports: ['polling'] });
    if (!polling.ok) throw polling.error;
    expect(await call(polling.socket, 'channel:join', { channelId: 'proxy-poll' })).toMatchObject({ ok: true });
    for (let i = 0; i < 5; i++) {
      expect(await call(polling.socket, 'message:send', { channelId: 'proxy-poll', content: `p${i}`, clientMsgId: `proxy-poll-${i}` })).toMatchObject({ ok: true, seq: i + 1 });
    }
    expect(polling.socket.io.engine.transport.name).toBe('polling');
    expect(polling.socket.connected).toBe(true);

    // The default transports: polling first, then the upgrade to WebSocket on the same instance.
    const upgrading = await client(nginx.url, '127.0.0.22', await signToken({ sub: 'upgrader' }), { transports: ['polling', 'websocket'] });
    if (!upgrading.ok) throw upgrading.error;
    if (upgrading.socket.io.engine.transport.name !== 'websocket') await new Promise((r) => upgrading.socket.io.engine.once('upgrade', r));
    expect(await call(upgrading.socket, 'message:history', { channelId: 'proxy-poll' })).toMatchObject({ ok: true, messages: expect.arrayContaining([expect.objectContaining({ content: 'p4' })]) });
  });

  it('should expose only Socket.IO through the proxy, as the chart\'s Ingress does', async () => {
    for (const path of ['/healthz', '/readyz', '/api/v1/stats', '/demo']) expect((await raw(nginx.url, '127.0.0.40', path)).status).toBe(404);
    expect((await raw(`http://127.0.0.1:${gws[0].port}`, '127.0.0.40', '/healthz')).status).toBe(200);
  });

  it('should refuse a blocked client address whatever X-Forwarded-For it sends, and not block a client that names it', async () => {
    const token = await signToken({ sub: 'spoofer' });
    for (const transports of [['websocket'], ['polling']]) {
      const spoofed = await client(nginx.url, BLOCKED, token, { transports, xff: '198.51.100.7' });
      expect(spoofed).toMatchObject({ ok: false, error: { message: 'FORBIDDEN', data: { code: 'FORBIDDEN' } } });
    }
    // Writing the blocked address into the header does not get an innocent client blocked either.
    expect(await client(nginx.url, '127.0.0.67', token, { xff: BLOCKED })).toMatchObject({ ok: true });
    const refusals = gws.flatMap((g) => g.logs.parsed()).filter((l) => l.event === 'connection.refused' && (l.metadata as { reason: string }).reason === 'ip_blocked');
    expect(refusals.map((l) => (l.metadata as { ip: string }).ip)).toEqual([BLOCKED, BLOCKED]);
  });

  it('should hold one source address to the per-IP flood guard across both instances, whatever X-Forwarded-For says, and not its neighbours', async () => {
    clock.hold();
    const flood: Outcome[] = [];
    for (let i = 0; i < PER_IP + 4; i++) flood.push(await client(nginx.url, '127.0.0.30', await signToken({ sub: `nat-${i}` }), { xff: `203.0.113.${i}` }));
    const accepted = flood.filter((c): c is Extract<Outcome, { ok: true }> => c.ok);
    expect(accepted).toHaveLength(PER_IP);
    expect(new Set(accepted.map((c) => c.instanceId))).toEqual(new Set(['gw-a', 'gw-b']));
    for (const c of flood.filter((o) => !o.ok)) {
      expect(c).toMatchObject({ ok: false, error: { message: 'websocket error', description: { message: 'Unexpected server response: 400' } } });
    }
    const polled = await raw(nginx.url, '127.0.0.30', '/socket.io/?EIO=4&transport=polling', { 'x-forwarded-for': '192.0.2.44' });
    expect(polled).toMatchObject({ status: 403, body: '{"code":4,"message":"RATE_LIMITED"}' });
    const neighbours = await Promise.all(['127.0.0.31', '127.0.0.32', '127.0.0.33'].map(async (a, i) => client(nginx.url, a, await signToken({ sub: `nb-${i}` }))));
    expect(neighbours.map((n) => n.ok)).toEqual([true, true, true]);
    expect(await sumMetric(gws, 'socket_gateway_auth_failures_total{reason="ip_flood"}')).toBe(5);
    const logged = gws.flatMap((g) => g.logs.parsed()).filter((l) => (l.metadata as { reason?: string } | undefined)?.reason === 'ip_flood');
    expect(new Set(logged.map((l) => (l.metadata as { ip: string }).ip))).toEqual(new Set(['127.0.0.30']));
  });
});
