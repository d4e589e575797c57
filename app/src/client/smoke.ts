import { GatewayClient } from './gateway-client';
import { GatewayClientError } from './errors';
import { newClientMsgId } from './ids';

export interface SmokeOptions {
  url: string;
  token: string;
  /** Channel to round-trip through; the token must grant it. @default `smoke-<random>` */
  channel?: string;
  /** Deadline of each step (connect, join, round trip). @default 5000 */
  timeoutMs?: number;
}

export interface SmokeResult {
  userId: string;
  instanceId: string;
  channel: string;
  connectMs: number;
  roundTripMs: number;
  seq: number;
}

/**
 * The on-call check after a deploy: connect, join a temporary channel, send one message and
 * wait for it to come back through the gateway. Throws a GatewayClientError naming the step.
 */
export async function runSmoke(opts: SmokeOptions): Promise<SmokeResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const channel = opts.channel ?? `smoke-${newClientMsgId().slice(0, 8)}`;
  const client = new GatewayClient({
    url: opts.url,
    getToken: () => opts.token,
    connectTimeoutMs: timeoutMs,
    handshakeTimeoutMs: timeoutMs,
    ackTimeoutMs: timeoutMs,
    subscribeRetries: 0,
    maxSendFailures: 1,
    autoRefresh: false,
  });
  try {
    const t0 = performance.now();
    const ready = await step('connect', client.connect());
    const connectMs = performance.now() - t0;
    await step(`join ${channel}`, client.subscribe(channel));
    const clientMsgId = newClientMsgId();
    const echoed = new Promise<number>((resolve) => {
      client.on('message:new', (m) => {
        if (m.clientMsgId === clientMsgId) resolve(performance.now());
      });
    });
    const sentAt = performance.now();
    const ack = await step('send', client.send(channel, `smoke test ${new Date().toISOString()}`, { clientMsgId }));
    const receivedAt = await step('round trip', withTimeout(echoed, timeoutMs, `the message did not come back within ${timeoutMs} ms`));
    return { userId: ready.userId, instanceId: ready.instanceId, channel, connectMs, roundTripMs: receivedAt - sentAt, seq: ack.seq };
  } finally {
    client.close();
  }
}

async function step<T>(name: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    const e = err instanceof GatewayClientError ? err : new GatewayClientError('INTERNAL_ERROR', String(err));
    throw new GatewayClientError(e.code, `${name} failed: ${e.message}`, e.retryAfterMs);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new GatewayClientError('TIMEOUT', message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
