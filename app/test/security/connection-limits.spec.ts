import type { Server } from 'socket.io';
import { Broadcaster } from '../../src/socket/broadcaster';
import { startTestGateway } from '../support/gateway';
import { RedisServer } from '../support/redis-server';
import { call, closeAll, connect, connectRefused, next } from '../support/clients';
import { signToken } from '../support/tokens';
import { pollingHandshake } from '../support/from-address';
import { HeldClock } from '../support/held-clock';

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const clock = new HeldClock();

/** Engine.IO sessions open on the gateway (read from the one Socket.IO server). */
function engineSessions(gw: Gw): number {
  return (gw.app.get(Broadcaster) as unknown as { server: Server }).server.engine.clientsCount;
}

const metric = async (gw: Gw, series: string): Promise<number> => {
  const text = await gw.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`series ${series} missing`);
  return Number(line.slice(series.length + 1));
};

afterEach(() => {
  closeAll();
  clock.release();
});

describe('per-user connection limit (RATE_LIMIT_CONNECT_PER_USER) across instances', () => {
  let redis: RedisServer;
  let gws: Gw[];
  beforeAll(async () => {
    redis = await RedisServer.start();
    // An empty value means the documented default (10), overriding the test harness's own.
    const env = { REDIS_URL: redis.url, RATE_LIMIT_CONNECT_PER_USER: '' };
    gws = [await startTestGateway(env, undefined, clock), await startTestGateway(env, undefined, clock)];
  });
  afterAll(async () => {
    for (const gw of gws ?? []) await gw.close();
    await redis?.stop();
  });

  it('should refuse the 11th connection of a user within a minute, whichever instance it reaches, and nobody else', async () => {
    expect(gws[0].config.rateLimits.connectPerUser).toBe(10);
    const token = await signToken({ sub: 'roamer' });
    clock.hold();
    for (let i = 0; i < 10; i++) {
      const s = await connect(gws[i % 2].url, token);
      s.disconnect();
    }
    for (const gw of gws) {
      const err = await connectRefused(gw.url, token);
      expect(err.data).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
      expect(err.data!.retryAfterMs!).toBeGreaterThan(0);
    }
    // Another user from the same address is untouched.
    await connect(gws[1].url, await signToken({ sub: 'neighbour' }));
    expect(await metric(gws[0], 'socket_gateway_auth_failures_total{reason="rate_limited"}')).toBe(1);
  });
});

describe('per-IP flood guard (RATE_LIMIT_CONNECT_PER_IP) in allowRequest', () => {
  let gw: Gw;
  afterEach(async () => gw?.close());

  it('should refuse a flood from one address with 403 RATE_LIMITED before a session exists, log it once, and serve other addresses', async () => {
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '3', LOG_LEVEL: 'warn' }, undefined, clock);
    clock.hold();
    const accepted = [];
    for (let i = 0; i < 3; i++) accepted.push(await pollingHandshake(gw.url, '127.0.0.3'));
    expect(accepted.map((r) => r.status)).toEqual([200, 200, 200]);
    const sessions = engineSessions(gw);
    const refused = await Promise.all(Array.from({ length: 20 }, () => pollingHandshake(gw.url, '127.0.0.3')));
    for (const r of refused) expect(r).toEqual({ status: 403, body: '{"code":4,"message":"RATE_LIMITED"}' });
    expect(engineSessions(gw)).toBe(sessions);
    // Another address, and a full Socket.IO client from yet another one, are not affected.
    expect((await pollingHandshake(gw.url, '127.0.0.4')).status).toBe(200);
    expect(engineSessions(gw)).toBe(sessions + 1);
    expect(await metric(gw, 'socket_gateway_auth_failures_total{reason="ip_flood"}')).toBe(20);
    expect(await metric(gw, 'socket_gateway_connections_total{result="rejected",reason="ip_flood"}')).toBe(20);
    const logged = gw.logs.parsed().filter((l) => l.event === 'connection.refused');
    expect(logged).toEqual([expect.objectContaining({ level: 'warn', metadata: expect.objectContaining({ reason: 'ip_flood', ip: '127.0.0.3', code: 'RATE_LIMITED' }) })]);
  });

  it('should let 600 handshakes a minute from one address through by default (a NAT), and refuse the 601st', async () => {
    gw = await startTestGateway({}, undefined, clock);
    clock.hold();
    expect(gw.config.rateLimits.connectPerIp).toBe(600);
    const statuses: number[] = [];
    for (let batch = 0; batch < 12; batch++) {
      statuses.push(...(await Promise.all(Array.from({ length: 50 }, () => pollingHandshake(gw.url, '127.0.0.8')))).map((r) => r.status));
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(600);
    expect((await pollingHandshake(gw.url, '127.0.0.8')).status).toBe(403);
  });
});

describe('per-IP flood guard on a fleet', () => {
  let redis: RedisServer;
  const gws: Gw[] = [];
  beforeAll(async () => { redis = await RedisServer.start(); });
  afterAll(async () => {
    await Promise.all(gws.map((g) => g.close()));
    await redis?.stop();
  });

  it('should hold one address to its budget across two instances, sequential or in bursts, though most handshakes skip the wait', async () => {
    const env = { REDIS_URL: redis.url, RATE_LIMIT_CONNECT_PER_IP: '200', LOG_LEVEL: 'warn' };
    gws.push(await startTestGateway(env, undefined, clock), await startTestGateway(env, undefined, clock));
    clock.hold();
    const statuses: number[] = [];
    // Bursts of 20 alternating between the instances, then one at a time near the limit.
    for (let i = 0; i < 9; i++) {
      statuses.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => pollingHandshake(gws[j % 2].url, '127.0.0.12')))).map((r) => r.status));
    }
    for (let i = 0; i < 30; i++) statuses.push((await pollingHandshake(gws[i % 2].url, '127.0.0.12')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(200);
    expect(statuses.slice(200).every((s) => s === 403)).toBe(true);
  });
});

describe('invalid frames (MAX_INVALID_FRAMES_PER_MINUTE)', () => {
  let gw: Gw;
  beforeAll(async () => { gw = await startTestGateway({ LOG_LEVEL: 'warn' }, undefined, clock); });
  afterAll(async () => gw?.close());

  it('should answer each invalid frame, then disconnect the socket at the 10th in a minute, counting and logging it', async () => {
    expect(gw.config.maxInvalidFramesPerMinute).toBe(10);
    const token = await signToken({ sub: 'sloppy' });
    const sloppy = await connect(gw.url, token);
    const sibling = await connect(gw.url, token);
    clock.hold();
    for (let i = 0; i < 5; i++) expect(await call(sloppy, 'channel:join', { channel: 'typo' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    for (let i = 0; i < 4; i++) (sloppy as unknown as { emit(e: string, p: unknown): void }).emit('channel:subscribe', { channelId: 'x' });
    // Nine invalid frames: still served (a valid call is answered; it does not count).
    expect(await call(sloppy, 'channel:join', { channelId: 'fine' })).toMatchObject({ ok: true });
    expect(sloppy.connected).toBe(true);
    const gone = next<string>(sloppy, 'disconnect');
    expect(await call(sloppy, 'message:send', { channelId: 'fine' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await gone).toBe('io server disconnect');
    // The user's other socket is not touched.
    expect(await call(sibling, 'channel:join', { channelId: 'fine' })).toMatchObject({ ok: true });
    expect(await metric(gw, 'socket_gateway_invalid_frames_total{kind="invalid_payload"}')).toBe(6);
    expect(await metric(gw, 'socket_gateway_invalid_frames_total{kind="unknown_event"}')).toBe(4);
    expect(await metric(gw, 'socket_gateway_invalid_frame_disconnects_total')).toBe(1);
    expect(gw.logs.parsed().filter((l) => l.event === 'connection.invalid_frames')).toEqual([
      expect.objectContaining({ level: 'warn', userId: 'sloppy', metadata: expect.objectContaining({ invalidFrames: 10, lastKind: 'invalid_payload' }) }),
    ]);
  });
});
