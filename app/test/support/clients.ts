import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ConnectionReady, ServerToClientEvents } from '../../src/contracts/events';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const open: TestSocket[] = [];

/** Connects a real socket.io-client and resolves on `connection:ready`. */
export function connect(url: string, token: string | undefined, opts: { transports?: string[]; extraHeaders?: Record<string, string> } = {}): Promise<TestSocket & { ready: ConnectionReady }> {
  const socket: TestSocket = io(url, {
    auth: token === undefined ? {} : { token },
    transports: (opts.transports ?? ['websocket']) as never,
    reconnection: false,
    forceNew: true,
    extraHeaders: opts.extraHeaders,
    timeout: 5000,
  });
  open.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connection:ready', (ready) => resolve(Object.assign(socket, { ready })));
    socket.once('connect_error', (err) => reject(err));
  });
}

/** Connects expecting refusal; resolves with the connect_error. */
export async function connectRefused(url: string, token: string | undefined, opts: { extraHeaders?: Record<string, string> } = {}): Promise<Error & { data?: { code: string; message: string; retryAfterMs?: number } }> {
  try {
    await connect(url, token, opts);
  } catch (err) {
    return err as Error & { data?: { code: string; message: string } };
  }
  throw new Error('connection was accepted but a refusal was expected');
}

/** Emits with an ack and resolves with the answer (rejects after a timeout). */
export function call<T = any>(socket: TestSocket, event: string, payload?: unknown, timeoutMs = 5000): Promise<T> {
  return (socket.timeout(timeoutMs) as any).emitWithAck(event, payload);
}

/** Resolves with the next `event` whose payload matches. */
export function next<T = any>(socket: TestSocket, event: string, match: (p: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      (socket as any).off(event, handler);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (p: T) => {
      if (!match(p)) return;
      clearTimeout(timer);
      (socket as any).off(event, handler);
      resolve(p);
    };
    (socket as any).on(event, handler);
  });
}

/** Collects every `event` payload into an array (for ordering and duplicate checks). */
export function collect<T = any>(socket: TestSocket, event: string): T[] {
  const out: T[] = [];
  (socket as any).on(event, (p: T) => out.push(p));
  return out;
}

/** Waits until `cond` holds, polling; for state that has no event of its own. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function closeAll(): void {
  while (open.length) open.pop()!.disconnect();
}
