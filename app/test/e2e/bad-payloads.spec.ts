import { startTestGateway } from '../support/gateway';
import { call, closeAll, collect, connect, next } from '../support/clients';
import { signToken } from '../support/tokens';

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const proto = JSON.parse('{"channelId":"bad","__proto__":{"admin":true}}');
const ctor = { channelId: 'bad', constructor: { prototype: { polluted: true } } };
let deep: unknown = 'x';
for (let i = 0; i < 200; i++) deep = { a: deep };

/** [event, payload] pairs that must all be refused with INVALID_PAYLOAD. */
const BAD: Array<[string, unknown]> = [
  ['channel:join', undefined],
  ['channel:join', null],
  ['channel:join', 'general'],
  ['channel:join', []],
  ['channel:join', { channelId: 'ok', sinceSeq: -1 }],
  ['channel:join', { channelId: 'ok', sinceSeq: 1.5 }],
  ['channel:join', { channelId: 'ok', sinceSeq: '3' }],
  // Just under the default MAX_HTTP_BUFFER_SIZE (64 KB); over it, the connection is closed (raw-frames.spec).
  ['channel:join', { channelId: 'ok', extra: 'x'.repeat(60_000) }],
  ['channel:join', proto],
  ['channel:join', ctor],
  ['channel:join', deep],
  ['channel:leave', {}],
  ['message:send', { channelId: 'bad', content: 'x' }],
  ['message:send', { channelId: 'bad', content: '', clientMsgId: 'abcdefgh' }],
  ['message:send', { channelId: 'bad', content: 'x'.repeat(4001), clientMsgId: 'abcdefgh' }],
  ['message:send', { channelId: 'bad', content: 'lone \ud800 surrogate', clientMsgId: 'abcdefgh' }],
  ['message:send', { channelId: 'bad', content: 42, clientMsgId: 'abcdefgh' }],
  ['message:send', { channelId: 'bad', content: { nested: true }, clientMsgId: 'abcdefgh' }],
  ['message:send', { channelId: 'bad', content: 'x', clientMsgId: 'short' }],
  ['message:send', { channelId: 'bad', content: 'x', clientMsgId: 'abcdefgh', threadId: '' }],
  ['message:send', { channelId: 'bad', content: 'x', clientMsgId: 'abcdefgh', isAdmin: true }],
  ['message:edit', { channelId: 'bad', messageId: 'm-x-1' }],
  ['message:delete', { channelId: 'bad' }],
  ['message:history', { channelId: 'bad', limit: 0 }],
  ['message:history', { channelId: 'bad', limit: 'all' }],
  ['auth:refresh', {}],
  ['auth:refresh', { token: 'x'.repeat(9000) }],
];

describe('bad input', () => {
  let gw: Gw;
  beforeAll(async () => { gw = await startTestGateway({ RATE_LIMIT_DEFAULT: '100000', RATE_LIMIT_CHANNEL_JOIN: '100000', RATE_LIMIT_CONNECT_PER_IP: '100000' }); });
  afterEach(() => closeAll());
  afterAll(async () => gw.close());

  it.each(BAD.map(([e, p], i) => [i, e, p]))('should answer case %i (%s) with INVALID_PAYLOAD and keep serving', async (_i, event, payload) => {
    const s = await connect(gw.url, await signToken({ sub: 'fuzzer' }));
    const ack = await call(s, event as string, payload);
    expect(ack).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.any(String) } });
    expect(JSON.stringify(ack)).not.toMatch(/\bat \S+ \(|node_modules/);
    expect(await call(s, 'channel:join', { channelId: 'still-alive' })).toMatchObject({ ok: true });
  });

  it('should send {entity}:error when a bad event comes without an ack callback, and broadcast nothing', async () => {
    const bad = await connect(gw.url, await signToken({ sub: 'noack' }));
    const watcher = await connect(gw.url, await signToken({ sub: 'watcher' }));
    await call(watcher, 'channel:join', { channelId: 'quiet' });
    await call(bad, 'channel:join', { channelId: 'quiet' });
    const seen = collect(watcher, 'message:new');
    const err = next(bad, 'message:error');
    (bad as any).emit('message:send', { channelId: 'quiet', content: 42 });
    expect(await err).toMatchObject({ code: 'INVALID_PAYLOAD', event: 'message:send' });
    const chErr = next(bad, 'channel:error');
    (bad as any).emit('channel:join', 'nonsense');
    expect(await chErr).toMatchObject({ code: 'INVALID_PAYLOAD', event: 'channel:join' });
    expect(seen).toEqual([]);
  });

  it('should ignore unknown events without crashing', async () => {
    const s = await connect(gw.url, await signToken({ sub: 'curious' }));
    (s as any).emit('admin:shutdown', { now: true });
    expect(await call(s, 'channel:join', { channelId: 'fine' })).toMatchObject({ ok: true });
  });

  it('should count refused events by error code in socket_gateway_errors_total', async () => {
    const text = await gw.metrics.registry.getSingleMetricAsString('socket_gateway_errors_total');
    // Every code is exported at 0 from start-up: only a positive count proves the refusals were counted.
    expect(text).toMatch(/socket_gateway_errors_total\{code="INVALID_PAYLOAD"\} [1-9]/);
    const events = await gw.metrics.registry.getSingleMetricAsString('socket_gateway_events_total');
    expect(events).toMatch(/event="message:send",result="INVALID_PAYLOAD"\} [1-9]/);
  });
});
