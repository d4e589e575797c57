/**
 * Work that arrives together goes to Redis together (issue 13), counted by the server's own INFO:
 * handshakes that arrive while a batch is on its way leave as one script, and a client rejoining
 * many channels at once costs one SUBSCRIBE.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { RedisServer } from '../support/redis-server';
import { startTestGateway } from '../support/gateway';
import { call, closeAll, connect, until } from '../support/clients';
import { signToken } from '../support/tokens';
import { HANDSHAKE_BATCH_LUA } from '../../src/engine/redis/handshake.lua';
import { HandshakeBatcher } from '../../src/connection/handshake-batcher';
import { ENGINE, type Engine, type HandshakeOutcome } from '../../src/engine/engine.ports';

const run = promisify(execFile);
const N = 30;

/** Counts the calls of one script (by its SHA) that Redis runs while `fn` runs, through MONITOR. */
async function scriptCalls(port: number, lua: string, fn: () => Promise<void>): Promise<number> {
  const sha = createHash('sha1').update(lua).digest('hex');
  const monitor = spawn('redis-cli', ['-p', String(port), 'MONITOR']);
  let seen = '';
  monitor.stdout.on('data', (d: Buffer) => { seen += d.toString(); });
  await until(() => seen.startsWith('OK'), 5000, 'MONITOR on');
  try {
    await fn();
    // The monitor's stream is behind the commands it reports; a PING marks its end.
    await run('redis-cli', ['-p', String(port), 'PING']);
    await until(() => seen.includes('"PING"'), 5000, 'the monitor caught up');
  } finally {
    monitor.kill();
  }
  return seen.split('\n').filter((l) => l.includes('"evalsha"') && l.includes(sha)).length;
}

async function subscribeCalls(port: number): Promise<number> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'INFO', 'commandstats']);
  return Number(/cmdstat_subscribe:calls=(\d+)/.exec(stdout)?.[1] ?? 0);
}

describe('handshake batching', () => {
  let redis: RedisServer;
  beforeAll(async () => { redis = await RedisServer.start(); });
  afterAll(async () => redis?.stop());

  it('should send the handshakes of one tick as one script, and those arriving while it is on its way as the next', async () => {
    const gw = await startTestGateway({ REDIS_URL: redis.url });
    try {
      const batcher = gw.app.get(HandshakeBatcher);
      const engine = gw.app.get<Engine>(ENGINE);
      const req = (i: number) => ({ socketKey: `${gw.config.instanceId}/hb-s${i}`, revocation: { userId: `hb-${i}`, issuedAt: Date.now() } });
      let outcomes: HandshakeOutcome[] = [];
      const sameTick = await scriptCalls(redis.port, HANDSHAKE_BATCH_LUA, async () => {
        outcomes = await Promise.all(Array.from({ length: N }, (_, i) => batcher.admit(req(i))));
      });
      expect(sameTick).toBe(1);
      const behind = await scriptCalls(redis.port, HANDSHAKE_BATCH_LUA, async () => {
        const first = batcher.admit(req(N));
        // The first batch has left (the batcher sends in the next tick); its answer cannot be back yet.
        await new Promise((r) => process.nextTick(r));
        const rest = Array.from({ length: N - 1 }, (_, i) => batcher.admit(req(N + 1 + i)));
        outcomes.push(...(await Promise.all([first, ...rest])));
      });
      expect(behind).toBe(2);
      // Every one of them was admitted and registered, each its user's first socket.
      expect(outcomes).toHaveLength(2 * N);
      for (const o of outcomes) expect(o).toMatchObject({ revoked: false, admission: { allowed: true, sockets: 0 } });
      const registered = await engine.presence.instanceSockets(gw.config.instanceId);
      expect(registered.filter((e) => e.userId.startsWith('hb-'))).toHaveLength(2 * N);
    } finally {
      await gw.close();
    }
  });
});

describe('subscriptions of channels joined together', () => {
  let redis: RedisServer;
  beforeAll(async () => { redis = await RedisServer.start(); });
  afterEach(() => closeAll());
  afterAll(async () => redis?.stop());

  it('should subscribe 30 channels joined at once with a command or two, and deliver on every one of them', async () => {
    const gw = await startTestGateway({ REDIS_URL: redis.url, RATE_LIMIT_CHANNEL_JOIN: '1000', RATE_LIMIT_MESSAGE_SEND: '1000' });
    try {
      const ids = Array.from({ length: 30 }, (_, i) => `sb-${i}`);
      const reader = await connect(gw.url, await signToken({ sub: 'sb-reader' }));
      const before = await subscribeCalls(redis.port);
      const joins = await Promise.all(ids.map((channelId) => call(reader, 'channel:join', { channelId })));
      for (const j of joins) expect(j).toMatchObject({ ok: true });
      const subscribes = (await subscribeCalls(redis.port)) - before;
      // Each join waited for its subscription: a message sent now reaches the reader on every channel.
      const got = new Set<string>();
      reader.on('message:new', (m: { channelId: string }) => void got.add(m.channelId));
      const sender = await connect(gw.url, await signToken({ sub: 'sb-sender' }));
      for (const channelId of ids) {
        expect(await call(sender, 'channel:join', { channelId })).toMatchObject({ ok: true });
        expect(await call(sender, 'message:send', { channelId, content: 'x', clientMsgId: `msg-${channelId}` })).toMatchObject({ ok: true });
      }
      await until(() => got.size === ids.length, 10_000, 'a message on each of the 30 channels');
      expect(subscribes).toBeGreaterThanOrEqual(1);
      expect(subscribes).toBeLessThanOrEqual(5);
    } finally {
      await gw.close();
    }
  });
});
