import { startTestGateway } from '../support/gateway';
import { call, closeAll, connect, connectRefused } from '../support/clients';
import { signToken, TEST_SECRET } from '../support/tokens';

const API_KEY = 'log-test-api-key-0123456789';

describe('structured logs', () => {
  it('should write JSON lines with the documented fields and never a token, API key or secret', async () => {
    const gw = await startTestGateway({ API_KEYS: API_KEY, LOG_LEVEL: 'debug', RATE_LIMIT_CONNECT_PER_IP: '1000' });
    const tokens: string[] = [];
    try {
      const good = await signToken({ sub: 'logged', jti: 'jti-logged' });
      tokens.push(good);
      const s = await connect(gw.url, good);
      await call(s, 'channel:join', { channelId: 'logs' });
      const refreshed = await signToken({ sub: 'logged', expiresInSec: 7200 });
      tokens.push(refreshed);
      await call(s, 'auth:refresh', { token: refreshed });
      const foreign = await signToken({ sub: 'other' });
      tokens.push(foreign);
      await call(s, 'auth:refresh', { token: foreign });
      const expired = await signToken({ sub: 'logged', expiresInSec: -10 });
      tokens.push(expired);
      await connectRefused(gw.url, expired);
      await connectRefused(gw.url, 'garbage.token.value');
      await fetch(`${gw.url}/api/v1/stats`, { headers: { authorization: `Bearer ${API_KEY}` } });
      await fetch(`${gw.url}/api/v1/stats`, { headers: { authorization: 'Bearer wrong-key-that-should-not-be-logged' } });
      await fetch(`${gw.url}/api/v1/tokens/revoke`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ jti: 'jti-logged' }) });
      s.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      closeAll();
      await gw.close();
    }
    const lines = gw.logs.lines;
    expect(lines.length).toBeGreaterThan(5);
    const all = lines.join('\n');
    for (const secret of [...tokens, TEST_SECRET, API_KEY, 'wrong-key-that-should-not-be-logged', 'garbage.token.value']) {
      expect(all).not.toContain(secret);
    }
    for (const line of gw.logs.parsed()) {
      expect(Object.keys(line).every((k) => ['timestamp', 'level', 'event', 'userId', 'channelId', 'metadata', 'traceId'].includes(k))).toBe(true);
      expect(typeof line.event).toBe('string');
      expect(['debug', 'info', 'warn', 'error']).toContain(line.level);
      expect(Number.isNaN(Date.parse(line.timestamp as string))).toBe(false);
    }
    const events = gw.logs.parsed().map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['gateway.started', 'connection.ready', 'connection.refused', 'connection.closed', 'token.revoked']));
  });

  it('should log internal errors with their stack server-side only', async () => {
    const gw = await startTestGateway();
    try {
      const s = await connect(gw.url, await signToken({ sub: 'boom' }));
      (gw.engine.messages as { range: unknown }).range = () => Promise.reject(new Error('disk on fire'));
      const ack = await call(s, 'message:history', { channelId: 'x' });
      expect(ack).toEqual({ ok: false, error: { code: 'INTERNAL_ERROR', message: 'internal error' } });
      const line = gw.logs.parsed().find((l) => l.event === 'event.failed');
      expect(line).toMatchObject({ level: 'error', userId: 'boom', metadata: { event: 'message:history', error: { message: 'disk on fire', stack: expect.stringContaining('Error: disk on fire') } } });
    } finally {
      closeAll();
      await gw.close();
    }
  });
});
