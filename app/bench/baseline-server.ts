/**
 * The bare baseline the benchmark compares the gateway with: plain Socket.IO (the gateway's
 * version, default options) with the same `@socket.io/redis-adapter` on the same Redis, and
 * nothing else — no auth, no validation, no metrics, no history, no sequence numbers. It speaks
 * just enough of the gateway's event names for the load generators to drive both alike.
 *
 * Env: PORT (0 = any; the bound port is printed as JSON on stdout), REDIS_URL, REDIS_KEY.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';

type Ack = (answer: unknown) => void;

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error('REDIS_URL is required');
  const pubClient = new Redis(redisUrl);
  const subClient = pubClient.duplicate();
  // Every message the adapter's subscriber connection receives (the classic adapter is all-to-all:
  // each instance reads every broadcast of the fleet), for the benchmark's fanout-ratio scenario.
  let busMessages = 0;
  subClient.on('messageBuffer', () => busMessages++);
  subClient.on('pmessageBuffer', () => busMessages++);

  // The one non-Socket.IO route: memory figures for the benchmark (the baseline has no metrics port).
  const http = createServer((req, res) => {
    if (req.url === '/stats') {
      const m = process.memoryUsage();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, sockets: io.of('/').sockets.size, busMessages }));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  const io = new Server(http, { transports: ['websocket'] });
  io.adapter(createAdapter(pubClient, subClient, { key: process.env.REDIS_KEY ?? 'baseline:sio', requestsTimeout: 2000 }));

  io.on('connection', (socket) => {
    socket.on('channel:join', (p: { channelId: string }, ack?: Ack) => {
      void socket.join(`channel:${p.channelId}`);
      ack?.({ ok: true, channelId: p.channelId });
    });
    socket.on('message:send', (p: { channelId: string; content: string; clientMsgId: string }, ack?: Ack) => {
      io.to(`channel:${p.channelId}`).emit('message:new', { channelId: p.channelId, userId: socket.id, content: p.content, clientMsgId: p.clientMsgId, createdAt: Date.now() });
      ack?.({ ok: true });
    });
    // Plain Socket.IO's way to ask "who is in this room" across instances.
    socket.on('presence:get', (p: { channelId: string }, ack?: Ack) => {
      io.in(`channel:${p.channelId}`).fetchSockets().then(
        (sockets) => ack?.({ ok: true, users: sockets.map((s) => ({ userId: s.id, status: 'online' })) }),
        () => ack?.({ ok: false, error: { code: 'UNAVAILABLE' } }),
      );
    });
  });

  await new Promise<void>((resolve) => http.listen(Number(process.env.PORT ?? 0), '0.0.0.0', resolve));
  process.stdout.write(`${JSON.stringify({ event: 'baseline.started', port: (http.address() as AddressInfo).port })}\n`);
  const stop = () => {
    io.close();
    pubClient.disconnect();
    subClient.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`${String(err?.stack ?? err)}\n`);
  process.exit(1);
});
