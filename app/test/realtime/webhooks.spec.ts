import { verifyWebhook } from '../../src/webhooks/webhook-signature';
import { MaintenanceRegistry } from '../../src/maintenance/maintenance.registry';
import { startTestGateway } from '../support/gateway';
import { call, closeAll, connect, until } from '../support/clients';
import { signToken } from '../support/tokens';
import { WebhookReceiver, type ReceivedWebhook } from '../support/webhook-receiver';

const SECRET = 'webhook-test-secret-0123456789abcdef';
const KEY = 'webhooks-test-api-key-0123456789';
const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

describe('webhooks against a real HTTP receiver', () => {
  let receiver: WebhookReceiver;
  let gw: Gateway | undefined;

  const start = async (env: Record<string, string> = {}) => {
    gw = await startTestGateway({
      WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, WEBHOOK_BACKOFF_BASE_MS: '20', WEBHOOK_BACKOFF_MAX_MS: '100',
      API_KEYS: KEY, RATE_LIMIT_MESSAGE_SEND: '100000', ...env,
    });
    return gw;
  };
  const member = async (sub: string, channelId?: string) => {
    const s = await connect(gw!.url, await signToken({ sub }));
    if (channelId) expect(await call(s, 'channel:join', { channelId })).toMatchObject({ ok: true });
    return s;
  };
  const counter = async (result: string) => (await gw!.metrics.webhookDeliveries.get()).values.find((v) => v.labels.result === result)?.value ?? 0;

  beforeEach(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterEach(async () => {
    closeAll();
    await gw?.close();
    gw = undefined;
    await receiver.close();
  });

  it('should send every event type once, signed with HMAC-SHA256 over timestamp and body', async () => {
    await start();
    const alice = await member('wh-alice', 'wh-room');
    const sent = await call(alice, 'message:send', { channelId: 'wh-room', content: 'hello', clientMsgId: 'wh-msg-0001' });
    await call(alice, 'message:send', { channelId: 'wh-room', content: 'hello', clientMsgId: 'wh-msg-0001' });
    await call(alice, 'message:edit', { channelId: 'wh-room', messageId: sent.messageId, content: 'edited' });
    await call(alice, 'message:delete', { channelId: 'wh-room', messageId: sent.messageId });
    await call(alice, 'channel:leave', { channelId: 'wh-room' });
    const types = ['member.joined', 'channel.occupied', 'message.created', 'message.updated', 'message.deleted', 'member.left', 'channel.vacated'];
    await receiver.until(() => types.every((t) => receiver.ofType(t).length > 0), 5000, 'all event types');

    // The duplicate send (same clientMsgId) produced no second message.created.
    expect(receiver.ofType('message.created')).toHaveLength(1);
    expect(receiver.ofType('message.created')[0].body.data.message).toMatchObject({ id: sent.messageId, content: 'hello', userId: 'wh-alice' });
    expect(receiver.ofType('message.updated')[0].body.data).toMatchObject({ message: { content: 'edited' }, by: 'wh-alice' });
    expect(receiver.ofType('message.deleted')[0].body.data).toEqual({ channelId: 'wh-room', messageId: sent.messageId, seq: 1, by: 'wh-alice' });
    expect(receiver.ofType('channel.vacated')[0].body.data).toEqual({ channelId: 'wh-room', userId: 'wh-alice' });

    const now = Math.floor(Date.now() / 1000);
    for (const w of receiver.received) {
      expect(w.headers['content-type']).toBe('application/json');
      expect(w.headers['x-gateway-event-id']).toBe(w.body.id);
      expect(w.headers['x-gateway-event-type']).toBe(w.body.type);
      expect(w.headers['x-gateway-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyWebhook(SECRET, w.raw, w.headers['x-gateway-signature'] as string, now)).toBe(true);
      expect(verifyWebhook('another-secret-0123456789', w.raw, w.headers['x-gateway-signature'] as string, now)).toBe(false);
      expect(verifyWebhook(SECRET, w.raw.replace('wh-', 'xx-'), w.headers['x-gateway-signature'] as string, now)).toBe(false);
      // outside the 5 minute replay window
      expect(verifyWebhook(SECRET, w.raw, w.headers['x-gateway-signature'] as string, now + 301)).toBe(false);
    }
    expect(new Set(receiver.received.map((w) => w.body.id)).size).toBe(receiver.received.length);
    await until(async () => (await counter('success')) === receiver.received.length, 2000, 'successes counted');
  });

  it('should retry after 500s with the same event id until the receiver accepts', async () => {
    await start();
    receiver.behaviour = (w, seen) => (seen.filter((s) => s.body.id === w.body.id).length < 2 ? 500 : 200);
    const bob = await member('wh-bob', 'wh-retry');
    await call(bob, 'message:send', { channelId: 'wh-retry', content: 'x', clientMsgId: 'wh-retry-001' });
    await receiver.until(() => receiver.ofType('message.created').length >= 3, 5000, 'third attempt');
    const attempts = receiver.ofType('message.created');
    expect(new Set(attempts.map((a) => a.body.id)).size).toBe(1);
    // each attempt is signed afresh
    for (const a of attempts) expect(verifyWebhook(SECRET, a.raw, a.headers['x-gateway-signature'] as string, Math.floor(Date.now() / 1000))).toBe(true);
    await until(async () => (await counter('success')) >= 1, 2000, 'success counted');
    expect(await counter('failure')).toBeGreaterThanOrEqual(2);
  });

  it('should let a deduplicating receiver process each event id exactly once although deliveries repeat', async () => {
    await start();
    const processed = new Map<string, number>();
    // The receiver commits, then "crashes" before answering the first time it sees an id.
    receiver.behaviour = (w, seen) => {
      const duplicate = processed.has(w.body.id);
      if (!duplicate) processed.set(w.body.id, 1);
      return duplicate || seen.some((s) => s.body.id === w.body.id) ? 200 : 500;
    };
    const carol = await member('wh-carol', 'wh-dedup');
    for (let i = 0; i < 5; i++) await call(carol, 'message:send', { channelId: 'wh-dedup', content: `m${i}`, clientMsgId: `wh-dedup-${i}00` });
    // Each of the five events is delivered twice: refused once (after the commit), then accepted.
    // Wait on that itself; other events' successes can reach any success count first.
    await receiver.until(() => receiver.ofType('message.created').length >= 10, 10_000, 'every event delivered again after its refusal');
    const created = receiver.ofType('message.created');
    expect(created.length).toBeGreaterThanOrEqual(10);
    const ids = new Set(created.map((w) => w.body.id));
    expect(ids.size).toBe(5);
    for (const id of ids) expect(processed.get(id)).toBe(1);
  });

  it('should dead-letter an event after WEBHOOK_MAX_ATTEMPTS and requeue it on request', async () => {
    await start({ WEBHOOK_MAX_ATTEMPTS: '3' });
    receiver.behaviour = () => 500;
    const dave = await member('wh-dave', 'wh-dead');
    await call(dave, 'message:send', { channelId: 'wh-dead', content: 'x', clientMsgId: 'wh-dead-001' });
    const list = async (headers: Record<string, string> = auth) => {
      const res = await fetch(`${gw!.url}/api/v1/webhooks/dead-letters`, { headers });
      return { status: res.status, body: await res.json() };
    };
    await until(async () => (await list()).body.deadLetters.some((d: { event: { type: string } }) => d.event.type === 'message.created'), 5000, 'dead letter');
    const dead = (await list()).body.deadLetters.find((d: { event: { type: string } }) => d.event.type === 'message.created');
    expect(dead).toEqual({ event: expect.objectContaining({ id: expect.any(String), type: 'message.created' }), attempts: 3, lastError: 'HTTP 500', deadAt: expect.any(String) });
    expect(receiver.received.filter((w) => w.body.id === dead.event.id)).toHaveLength(3);
    expect(await counter('dead_letter')).toBeGreaterThanOrEqual(1);

    expect((await list({})).status).toBe(401);
    expect((await list({ authorization: 'Bearer wrong-key-wrong-key-wrong' })).status).toBe(403);
    const bad = await fetch(`${gw!.url}/api/v1/webhooks/dead-letters/retry`, { method: 'POST', headers: auth, body: JSON.stringify({ ids: 'nope' }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.any(String) } });

    receiver.behaviour = () => 200;
    const retry = await fetch(`${gw!.url}/api/v1/webhooks/dead-letters/retry`, { method: 'POST', headers: auth, body: JSON.stringify({ ids: [dead.event.id] }) });
    expect(retry.status).toBe(202);
    expect(await retry.json()).toEqual({ ok: true, requeued: 1 });
    await receiver.until(() => receiver.received.filter((w) => w.body.id === dead.event.id).length === 4, 5000, 'redelivery');
    await until(async () => !(await list()).body.deadLetters.some((d: { event: { id: string } }) => d.event.id === dead.event.id), 2000, 'dead letter gone');
  });

  it('should keep message:send acks fast while the receiver never answers', async () => {
    await start({ WEBHOOK_TIMEOUT_MS: '3000' });
    receiver.behaviour = () => 'hang';
    const erin = await member('wh-erin', 'wh-slow');
    await receiver.until(() => receiver.received.length > 0, 5000, 'a hanging delivery');
    const latencies: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      expect(await call(erin, 'message:send', { channelId: 'wh-slow', content: `m${i}`, clientMsgId: `wh-slow-${i}000` })).toMatchObject({ ok: true });
      latencies.push(performance.now() - t);
    }
    await receiver.until(() => receiver.ofType('message.created').length >= 5, 5000, 'deliveries hanging in flight');
    expect(Math.max(...latencies)).toBeLessThan(500);
  });

  it('should report a notification that expired unacked as notification.undelivered', async () => {
    await start({ NOTIFICATION_TTL_SEC: '1' });
    const res = await fetch(`${gw!.url}/api/v1/notifications`, { method: 'POST', headers: auth, body: JSON.stringify({ userIds: ['wh-nobody'], type: 'invite', priority: 'high', payload: { x: 1 } }) });
    const [id] = (await res.json()).ids;
    const registry = gw!.app.get(MaintenanceRegistry);
    await until(async () => Number(((await registry.runNow('inbox-expiry')).details as { undelivered?: number } | undefined)?.undelivered ?? 0) > 0, 5000, 'expiry');
    await receiver.until(() => receiver.ofType('notification.undelivered').length > 0, 5000, 'undelivered webhook');
    const w: ReceivedWebhook = receiver.ofType('notification.undelivered')[0];
    expect(w.body.data).toEqual({
      reason: 'expired',
      notification: expect.objectContaining({ id, userId: 'wh-nobody', type: 'invite', payload: { x: 1 }, state: 'pending', ackedAt: null }),
    });
  });
});
