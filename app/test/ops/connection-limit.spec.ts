import { startTestGateway } from '../support/gateway';
import { closeAll, connect, connectRefused } from '../support/clients';
import { signToken } from '../support/tokens';

describe('connection limit', () => {
  afterEach(() => closeAll());

  it('should turn readiness false at 95% and refuse the 101st connection of an instance limited to 100', async () => {
    const gw = await startTestGateway({ MAX_CONNECTIONS: '100', RATE_LIMIT_CONNECT_PER_IP: '100000', LOG_LEVEL: 'warn', MAX_SOCKETS_PER_USER: '1000' });
    try {
      const token = await signToken({ sub: 'crowd' });
      for (let i = 0; i < 94; i++) await connect(gw.url, token);
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
      await connect(gw.url, token);
      const notReady = await fetch(`${gw.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({ status: 'not_ready', reason: 'connection_high_water' });
      for (let i = 95; i < 100; i++) await connect(gw.url, token);
      const err = await connectRefused(gw.url, token);
      expect(err.message).toBe('UNAVAILABLE');
      expect(err.data).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/connection limit/), retryAfterMs: expect.any(Number) });
      const metrics = await gw.metrics.registry.metrics();
      expect(metrics).toMatch(/^socket_gateway_connected_sockets 100$/m);
      expect(metrics).toMatch(/^socket_gateway_max_connections 100$/m);
      expect(metrics).toMatch(/^socket_gateway_connections_total\{result="rejected",reason="connection_limit"\} 1$/m);
      // Capacity is not an authentication failure.
      expect(metrics).not.toMatch(/socket_gateway_auth_failures_total\{reason="connection_limit"\}/);
    } finally {
      closeAll();
      await gw.close();
    }
  });
});
