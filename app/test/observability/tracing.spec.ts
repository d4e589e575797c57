import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { enableSpans } from '../../src/tracing/spans';
import { tracingConfigured } from '../../src/tracing/tracing';
import { startTestGateway } from '../support/gateway';
import { RedisServer } from '../support/redis-server';
import { call, closeAll, connect, until } from '../support/clients';
import { signToken } from '../support/tokens';

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager();
  let redis: RedisServer;
  let gw: Awaited<ReturnType<typeof startTestGateway>>;

  beforeAll(async () => {
    // What NodeSDK.start() does in the app: a global provider and an AsyncLocalStorage context.
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
    enableSpans(true);
    redis = await RedisServer.start();
    gw = await startTestGateway({ REDIS_URL: redis.url });
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    await gw.close();
    await redis.stop();
    enableSpans(false);
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  it('should be off unless an OTEL exporter is configured', () => {
    expect(tracingConfigured({})).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });

  it('should trace the handshake, a message:send handler and the Redis commands under it', async () => {
    exporter.reset();
    const s = await connect(gw.url, await signToken({ sub: 'traced' }));
    await call(s, 'channel:join', { channelId: 'trace' });
    const ack = await call(s, 'message:send', { channelId: 'trace', content: 'hello', clientMsgId: 'trace-msg-1' });
    expect(ack.ok).toBe(true);
    await until(() => exporter.getFinishedSpans().some((x) => x.name === 'event message:send'), 2000, 'send span');
    const spans = exporter.getFinishedSpans();
    const handshake = spans.find((x) => x.name === 'socket.handshake');
    expect(handshake?.attributes['enduser.id']).toBe('traced');
    const send = spans.find((x) => x.name === 'event message:send')!;
    expect(send.attributes).toMatchObject({ 'socket_gateway.event': 'message:send', 'enduser.id': 'traced' });
    expect(send.status.code).not.toBe(SpanStatusCode.ERROR);
    const children = spans.filter((x) => x.parentSpanContext?.spanId === send.spanContext().spanId).map((x) => x.name);
    // One Redis call per send: the append script takes the sender's rate token itself.
    expect(children).toEqual(['redis append']);
    expect(spans.find((x) => x.name === 'redis append')!.spanContext().traceId).toBe(send.spanContext().traceId);
  });

  it('should mark a failed handler span with the error code and put its trace id in the log line', async () => {
    exporter.reset();
    const s = await connect(gw.url, await signToken({ sub: 'traced-bad' }));
    const ack = await call(s, 'message:send', { channelId: 'trace', content: '' });
    expect(ack.error.code).toBe('INVALID_PAYLOAD');
    await until(() => exporter.getFinishedSpans().some((x) => x.name === 'event message:send'), 2000, 'span');
    const span = exporter.getFinishedSpans().find((x) => x.name === 'event message:send')!;
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'INVALID_PAYLOAD' });
    expect(span.attributes['socket_gateway.error_code']).toBe('INVALID_PAYLOAD');
    const line = gw.logs.parsed().find((l) => l.event === 'event.refused' && l.userId === 'traced-bad');
    expect(line?.traceId).toBe(span.spanContext().traceId);
  });
});
