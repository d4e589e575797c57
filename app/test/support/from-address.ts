import { Agent, request } from 'node:http';
import { io } from 'socket.io-client';
import type { TestSocket } from './clients';

export type Outcome = { ok: true; socket: TestSocket; instanceId: string } | { ok: false; error: Error & { data?: { code: string }; description?: unknown } };

/**
 * A real socket.io-client from loopback address `from` (a distinct client IP), cookies kept as a
 * browser keeps them; `xff` is what the client itself writes into X-Forwarded-For. The socket is
 * pushed to `sockets` so the suite can close it.
 */
export function clientFrom(
  sockets: TestSocket[], url: string, from: string, token: string,
  opts: { transports?: string[]; xff?: string; timeoutMs?: number } = {},
): Promise<Outcome> {
  const socket: TestSocket = io(url, {
    auth: { token },
    transports: (opts.transports ?? ['websocket']) as never,
    reconnection: false,
    forceNew: true,
    timeout: opts.timeoutMs ?? 5000,
    withCredentials: true,
    localAddress: from,
    agent: new Agent({ localAddress: from, keepAlive: true }),
    extraHeaders: opts.xff ? { 'x-forwarded-for': opts.xff } : undefined,
  } as never);
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once('connection:ready', (r) => resolve({ ok: true, socket, instanceId: r.instanceId }));
    socket.once('connect_error', (error) => resolve({ ok: false, error }));
  });
}

/** An Engine.IO polling handshake (the request that would open a session) from loopback address `from`. */
export function pollingHandshake(url: string, from: string, xff?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/socket.io/?EIO=4&transport=polling`, { localAddress: from, agent: false, headers: xff ? { 'x-forwarded-for': xff } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
