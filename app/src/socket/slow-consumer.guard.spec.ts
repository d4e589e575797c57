import type { Socket } from 'socket.io';
import { loadConfig } from '../config/config';
import { JsonLogger } from '../common/logger';
import type { Broadcaster } from './broadcaster';
import { SlowConsumerGuard, bufferedBytes, type BufferedConnection } from './slow-consumer.guard';

const SECRET = 'x'.repeat(32);

function fakeSocket(id: string, conn: BufferedConnection) {
  const calls: string[] = [];
  const socket = {
    id, conn, data: { user: { userId: `user-${id}` } },
    disconnect: () => calls.push('disconnect'),
  };
  conn.close = (discard) => calls.push(`close(${discard})`);
  if (conn.transport?.socket) conn.transport.socket.terminate = () => calls.push('terminate');
  return { socket: socket as unknown as Socket, calls };
}

describe(SlowConsumerGuard.name, () => {
  it('should default MAX_SOCKET_BUFFER_BYTES to 4 MiB', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }).maxSocketBufferBytes).toBe(4_194_304);
    expect(() => loadConfig({ JWT_SECRET: SECRET, MAX_SOCKET_BUFFER_BYTES: '10' })).toThrow(/MAX_SOCKET_BUFFER_BYTES/);
  });

  it('should count queued Engine.IO packets in bytes plus the WebSocket\u2019s unsent bytes', () => {
    const conn: BufferedConnection = {
      writeBuffer: [{ data: 'héllo' }, { data: Buffer.alloc(10) }, {}],
      transport: { name: 'websocket', socket: { bufferedAmount: 100 } },
    };
    expect(bufferedBytes(conn)).toBe(100 + 6 + 10);
    expect(bufferedBytes({ writeBuffer: [{ data: 'abc' }], transport: { name: 'polling' } })).toBe(3);
    expect(bufferedBytes({})).toBe(0);
  });

  it('should count nothing for a writable transport with no queued packet, and count a busy one', () => {
    expect(bufferedBytes({ writeBuffer: [], transport: { name: 'websocket', writable: true, socket: { bufferedAmount: 0 } } })).toBe(0);
    expect(bufferedBytes({ writeBuffer: [], transport: { name: 'websocket', writable: false, socket: { bufferedAmount: 500 } } })).toBe(500);
    expect(bufferedBytes({ writeBuffer: [{ data: 'abc' }], transport: { name: 'websocket', writable: true, socket: { bufferedAmount: 0 } } })).toBe(3);
  });

  it('should stop counting once past the limit', () => {
    const conn: BufferedConnection = { writeBuffer: Array.from({ length: 1000 }, () => ({ data: 'x'.repeat(100) })) };
    expect(bufferedBytes(conn, 250)).toBe(300);
  });

  it('should cut only the sockets over the limit, and tear their transport down', () => {
    const lines: string[] = [];
    const config = loadConfig({ JWT_SECRET: SECRET, MAX_SOCKET_BUFFER_BYTES: '65536' });
    const slow = fakeSocket('slow', { writeBuffer: [{ data: 'x'.repeat(70_000) }], transport: { name: 'websocket', socket: { bufferedAmount: 0 } } });
    const fine = fakeSocket('fine', { writeBuffer: [], transport: { name: 'websocket', socket: { bufferedAmount: 60_000 } } });
    const broadcaster = { localSockets: () => [slow.socket, fine.socket] } as unknown as Broadcaster;
    const service = new SlowConsumerGuard(config, new JsonLogger('info', (l) => lines.push(l)), broadcaster);

    expect(service.sweep()).toBe(1);
    expect(slow.calls).toEqual(['disconnect', 'close(true)', 'terminate']);
    expect(fine.calls).toEqual([]);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'warn', event: 'connection.slow_consumer', userId: 'user-slow', metadata: { socketId: 'slow', bufferedBytes: 70_000, limit: 65_536 } }),
    ]);
  });
});
