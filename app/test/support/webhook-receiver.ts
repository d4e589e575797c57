import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingMessage['headers'];
  /** The raw body, exactly as signed. */
  raw: string;
  body: { id: string; type: string; createdAt: string; data: Record<string, any> };
  receivedAt: number;
}

/** What the receiver answers: a status code, or 'hang' to never answer. */
export type Behaviour = (w: ReceivedWebhook, seen: ReceivedWebhook[]) => number | 'hang';

/** A real local HTTP endpoint standing in for a backend's webhook handler. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  behaviour: Behaviour = () => 200;
  private readonly sockets = new Set<Socket>();
  private readonly waiters: Array<() => void> = [];

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(path = '/hooks'): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
    server.on('connection', (s) => {
      receiver.sockets.add(s);
      s.once('close', () => receiver.sockets.delete(s));
    });
    server.on('request', (req, res) => receiver.handle(req, res));
    return receiver;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const w: ReceivedWebhook = { headers: req.headers, raw, body: JSON.parse(raw), receivedAt: Date.now() };
      const answer = this.behaviour(w, this.received);
      this.received.push(w);
      for (const wake of this.waiters.splice(0)) wake();
      if (answer === 'hang') return;
      res.writeHead(answer, { 'content-type': 'text/plain' });
      res.end(String(answer));
    });
  }

  /** Deliveries of one type (every attempt counts). */
  ofType(type: string): ReceivedWebhook[] {
    return this.received.filter((w) => w.body.type === type);
  }

  /** Waits until `cond` holds, re-checked on every delivery. */
  async until(cond: () => boolean, timeoutMs = 5000, what = 'webhook condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what} not met within ${timeoutMs} ms (received ${this.received.map((w) => w.body.type).join(', ')})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
