import type { Server } from 'socket.io';
import { startTestGateway } from '../support/gateway';
import { call, connect, until } from '../support/clients';
import { signToken } from '../support/tokens';
import { SessionService } from '../../src/auth/session.service';
import { ConnectionGuardService } from '../../src/auth/connection-guard.service';
import { Broadcaster } from '../../src/socket/broadcaster';
import type { MemoryEngine } from '../../src/engine/memory/memory.engine';

describe('connection lifecycle', () => {
  it('should return rooms, membership, timers and counters to baseline after 1,000 connect/disconnect cycles', async () => {
    const gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '100000', RATE_LIMIT_CHANNEL_JOIN: '100000', LOG_LEVEL: 'warn' });
    try {
      const server = (gw.app.get(Broadcaster) as unknown as { server: Server }).server;
      const sessions = gw.app.get(SessionService);
      const guard = gw.app.get(ConnectionGuardService);
      const engine = gw.engine as MemoryEngine;
      const token = await signToken({ sub: 'cycler' });
      const baseline = { rooms: server.of('/').adapter.rooms.size, sockets: server.of('/').sockets.size };
      for (let round = 0; round < 50; round++) {
        const batch = await Promise.all(Array.from({ length: 20 }, () => connect(gw.url, token)));
        await Promise.all(batch.map((s, i) => call(s, 'channel:join', { channelId: `cycle-${i % 5}` })));
        for (const s of batch) s.disconnect();
      }
      await until(() => server.of('/').sockets.size === baseline.sockets, 10_000, 'sockets gone');
      await until(() => engine.membership.channelCount() === 0, 5_000, 'membership released');
      expect(server.of('/').adapter.rooms.size).toBe(baseline.rooms);
      expect(sessions.trackedCount).toBe(0);
      expect(guard.count).toBe(0);
      expect(await gw.metrics.registry.getSingleMetricAsString('socket_gateway_connections_total')).toContain('result="accepted",reason="none"} 1000');
    } finally {
      await gw.close();
    }
  }, 60_000);
});
