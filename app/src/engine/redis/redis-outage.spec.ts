import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { RedisServer } from '../../../test/support/redis-server';
import { EngineUnavailableError } from '../../common/gateway-error';
import type { BusEvent } from '../engine.ports';
import { RedisEngine } from './redis.engine';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

/** Resolves on the engine's next status report equal to `up`. */
function nextStatus(engine: RedisEngine, up: boolean): Promise<void> {
  return new Promise((resolve) => {
    const off = engine.onStatusChange((now) => {
      if (now !== up) return;
      off();
      resolve();
    });
  });
}

describe('RedisEngine outage', () => {
  let server: RedisServer;
  let engine: RedisEngine;
  let errors: Array<{ err: Error; connection: string }>;
  let errorSeen: (connection: string) => Promise<void>;
  let commands: Array<{ command: string; ok: boolean }>;

  beforeEach(async () => {
    server = await RedisServer.start();
    errors = [];
    const waiters: Array<{ connection: string; resolve: () => void }> = [];
    errorSeen = (connection) => errors.some((e) => e.connection === connection)
      ? Promise.resolve()
      : new Promise((resolve) => waiters.push({ connection, resolve }));
    commands = [];
    engine = await RedisEngine.connect({
      url: server.url,
      keyPrefix: 'outage',
      historyMaxLen: 100,
      idempotencyTtlSec: 3600,
      engineTimeoutMs: 1000,
      rejoinGraceMs: 60_000,
      onError: (err, connection) => {
        errors.push({ err, connection });
        for (const w of waiters.splice(0)) {
          if (w.connection === connection) w.resolve();
          else waiters.push(w);
        }
      },
      commandObserver: (command, _seconds, ok) => commands.push({ command, ok }),
    });
  });

  afterEach(async () => {
    await engine.close();
    await server.stop();
  });

  const portCalls: Array<[string, () => Promise<unknown>]> = [
    ['messages.append', () => engine.messages.append({ channelId: 'c', userId: 'u', content: 'x', clientMsgId: 'm2', now: T0 })],
    ['messages.get', () => engine.messages.get('c', 1)],
    ['messages.update', () => engine.messages.update('c', 1, { content: 'y', by: 'alice', now: T0 })],
    ['messages.range', () => engine.messages.range('c', { limit: 10 })],
    ['messages.range (thread)', () => engine.messages.range('c', { limit: 10, threadId: 't' })],
    ['messages.meta', () => engine.messages.meta('c')],
    ['rateLimiter.consume', () => engine.rateLimiter.consume('k', 10, 60_000, T0)],
    ['revocations.revokeJti', () => engine.revocations.revokeJti('j', T0 + 1000, T0)],
    ['revocations.revokeUser', () => engine.revocations.revokeUser('u', T0)],
    ['revocations.isRevoked', () => engine.revocations.isRevoked({ userId: 'u', jti: 'j', issuedAt: T0 })],
    ['membership.add', () => engine.membership.add('c', 'u', 'i/s')],
    ['membership.remove', () => engine.membership.remove('c', 'u', 'i/s', T0)],
    ['membership.members', () => engine.membership.members('c', 10)],
    ['membership.isMember', () => engine.membership.isMember('c', 'u')],
    ['membership.wasRecentlyMember', () => engine.membership.wasRecentlyMember('c', 'u', 1000, T0)],
    ['membership.pruneInstance', () => engine.membership.pruneInstance('i', T0)],
    ['ipBlocks.block', () => engine.ipBlocks.block('10.0.0.1', 60, T0)],
    ['ipBlocks.unblock', () => engine.ipBlocks.unblock('10.0.0.1')],
    ['ipBlocks.list', () => engine.ipBlocks.list(T0)],
    ['ping', () => engine.ping()],
  ];

  /** Asserts the call fails as UNAVAILABLE, and within the 2 s the protocol promises. */
  async function expectUnavailableFast(name: string, call: () => Promise<unknown>): Promise<void> {
    const started = Date.now();
    const outcome = await call().then(() => 'resolved', (err: unknown) => err);
    const elapsed = Date.now() - started;
    expect({ name, unavailable: outcome instanceof EngineUnavailableError }).toEqual({ name, unavailable: true });
    expect({ name, fast: elapsed < 2000 }).toEqual({ name, fast: true });
  }

  it('should reject every port method with EngineUnavailableError within 2 s while redis is down', async () => {
    await engine.messages.append({ channelId: 'c', userId: 'u', content: 'x', clientMsgId: 'm1', now: T0 });
    const down = nextStatus(engine, false);
    await server.kill();
    await down;
    expect(engine.isUp).toBe(false);
    for (const [name, call] of portCalls) await expectUnavailableFast(name, call);
    // Reconnect failures reach the error handlers instead of being thrown as unhandled 'error' events.
    await Promise.all([errorSeen('command'), errorSeen('subscriber')]);
    expect(commands.some((c) => c.command === 'append' && !c.ok)).toBe(true);
  });

  it('should answer calls issued at the moment redis dies within 2 s', async () => {
    const dying = server.kill();
    const outcomes = await Promise.all(portCalls.map(async ([name]) => {
      const started = Date.now();
      const call = portCalls.find(([n]) => n === name)![1];
      // A call that reached redis before it died may still succeed; any failure must be UNAVAILABLE.
      const failure = await call().then(() => null, (err: unknown) => err);
      return { name, ok: failure === null || failure instanceof EngineUnavailableError, fast: Date.now() - started < 2000 };
    }));
    await dying;
    expect(outcomes).toEqual(portCalls.map(([name]) => ({ name, ok: true, fast: true })));
    await expectUnavailableFast('after death', () => engine.messages.meta('c'));
  });

  it('should work again after redis restarts, followed channels resubscribed', async () => {
    const before = await engine.messages.meta('c');
    await engine.messages.follow('c');
    const down = nextStatus(engine, false);
    await server.kill();
    await down;
    await expect(engine.ping()).rejects.toBeInstanceOf(EngineUnavailableError);

    const up = nextStatus(engine, true);
    await server.restart();
    await up;
    await expect(engine.ping()).resolves.toBeUndefined();

    const received = new Promise<BusEvent>((resolve) => engine.messages.subscribe(resolve));
    const { message } = await engine.messages.append({ channelId: 'c', userId: 'u', content: 'back', clientMsgId: 'm3', now: T0 });
    expect(await received).toEqual({ kind: 'message:new', message });
    // The restarted server kept nothing: the channel restarts at seq 1 under a new epoch.
    expect(message.seq).toBe(1);
    const after = await engine.messages.meta('c');
    expect(after.epoch).not.toBe(before.epoch);
    expect((await engine.rateLimiter.consume('k', 1, 60_000, T0)).allowed).toBe(true);
  });

  it('should reach a second instance following the channel after a restart', async () => {
    const peer = await RedisEngine.connect({
      url: server.url, keyPrefix: 'outage', historyMaxLen: 100, idempotencyTtlSec: 3600, engineTimeoutMs: 1000, rejoinGraceMs: 60_000,
    });
    try {
      await peer.messages.follow('c');
      const downs = Promise.all([nextStatus(engine, false), nextStatus(peer, false)]);
      await server.kill();
      await downs;
      const ups = Promise.all([nextStatus(engine, true), nextStatus(peer, true)]);
      await server.restart();
      await ups;
      const received = new Promise<BusEvent>((resolve) => peer.messages.subscribe(resolve));
      const { message } = await engine.messages.append({ channelId: 'c', userId: 'u', content: 'hi', clientMsgId: 'm4', now: T0 });
      expect(await received).toEqual({ kind: 'message:new', message });
    } finally {
      await peer.close();
    }
  });

  it('should give its adapter clients error handlers and close them with the engine', async () => {
    const { pubClient, subClient } = await engine.createAdapterClients();
    expect(pubClient.status).toBe('ready');
    expect(subClient.status).toBe('ready');
    const down = nextStatus(engine, false);
    await server.kill();
    await down;
    // Like the adapter, publish without waiting: the call is queued until redis is back.
    const queued = pubClient.publish('adapter-channel', 'x');
    await Promise.all([errorSeen('adapter-pub'), errorSeen('adapter-sub')]);
    const up = nextStatus(engine, true);
    await server.restart();
    await up;
    await expect(queued).resolves.toBe(0);
    await engine.close();
    expect([pubClient.status, subClient.status]).toEqual(['end', 'end']);
  });

  it('should never crash its process, adapter clients included, and leave no handle open after close', async () => {
    const child = spawn(process.execPath, ['-e', CHILD_PROGRAM, __dirname, server.url], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout });
    const stderr: string[] = [];
    const stderrWritten = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
      stderr.push(d.toString());
      resolve();
    }));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const seen: string[] = [];
    const waiters = new Map<string, () => void>();
    lines.on('line', (line) => {
      seen.push(line);
      waiters.get(line)?.();
      waiters.delete(line);
    });
    const line = (word: string) => seen.includes(word)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.set(word, resolve));
    try {
      await line('ready');
      await server.kill();
      await line('down');
      await line('unavailable');
      // Every connection has failed to reconnect at least once — through its error handler, or
      // ioredis would have printed "Unhandled error event" to stderr.
      const connections = ['command', 'subscriber', 'adapter-pub', 'adapter-sub'];
      await Promise.race([Promise.all(connections.map((c) => line(`error ${c}`))), stderrWritten]);
      await server.restart();
      await line('up');
      child.stdin.end('stop\n');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    expect(stderr.join('')).toBe('');
    expect(seen.at(-1)).toMatch(/^closed unavailable=[1-9]\d* other=0$/);
  });
});

/**
 * Runs in a child process (so that an unhandled rejection or 'error' event would really crash
 * it): loads the TypeScript engine through @swc/core, keeps calling it and publishing through
 * its adapter clients without awaiting — as the Socket.IO adapter does — and reports on stdout.
 * It exits by itself after `stop` only if close() left no handle behind.
 */
const CHILD_PROGRAM = `
const swc = require('@swc/core');
require.extensions['.ts'] = (m, file) => m._compile(swc.transformFileSync(file, {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' },
}).code, file);
const [dir, url] = process.argv.slice(1);
const { RedisEngine } = require(dir + '/redis.engine.ts');
const { EngineUnavailableError } = require(dir + '/../../common/gateway-error.ts');
const say = (line) => process.stdout.write(line + '\\n');
(async () => {
  const reported = new Set();
  const engine = await RedisEngine.connect({
    url, keyPrefix: 'child', historyMaxLen: 10, idempotencyTtlSec: 60, engineTimeoutMs: 500, rejoinGraceMs: 1000,
    onError: (err, connection) => {
      if (!reported.has(connection)) say('error ' + connection);
      reported.add(connection);
    },
  });
  const { pubClient, subClient } = await engine.createAdapterClients();
  await subClient.subscribe('adapter-channel');
  let unavailable = 0;
  let other = 0;
  const failed = (err) => {
    if (!(err instanceof EngineUnavailableError)) { other++; throw err; }
    if (unavailable++ === 0) say('unavailable');
  };
  engine.onStatusChange((up) => say(up ? 'up' : 'down'));
  let n = 0;
  const timer = setInterval(() => {
    n++;
    engine.messages.append({ channelId: 'c', userId: 'u', content: 'x', clientMsgId: String(n), now: Date.now() }).catch(failed);
    engine.rateLimiter.consume('k', 1000, 1000, Date.now()).catch(failed);
    engine.ping().catch(failed);
    pubClient.publish('adapter-channel', 'x');
  }, 20);
  process.stdin.on('data', async () => {
    clearInterval(timer);
    process.stdin.destroy();
    await engine.close();
    say('closed unavailable=' + unavailable + ' other=' + other);
  });
  say('ready');
})().catch((err) => { console.error(err); process.exit(2); });
`;
