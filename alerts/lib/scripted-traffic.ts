import { GatewayClient, GatewayClientError } from '../../app/src/client';
import { signToken } from '../../app/test/support/tokens';

/** Gateway settings the scripted traffic relies on (merge them into each gateway's env). */
export function trafficEnv(apiKey: string): Record<string, string> {
  return {
    API_KEYS: apiKey,
    // Sends and most events stay effectively unlimited so every round lands; presence updates are
    // limited to 3 a minute so RATE_LIMITED shows up from the fourth round on.
    RATE_LIMIT_MESSAGE_SEND: '100000',
    RATE_LIMIT_DEFAULT: '100000',
    RATE_LIMIT_PRESENCE_UPDATE: '3',
    RATE_LIMIT_CONNECT_PER_IP: '100000',
    RATE_LIMIT_CONNECT_PER_USER: '100000',
  };
}

export interface TrafficOptions {
  /** Public URLs of the gateways; users are spread over all of them and share one channel. */
  urls: string[];
  apiKey: string;
  usersPerGateway?: number;
  channelId?: string;
}

/**
 * SDK clients that touch every subsystem a dashboard or alert reads: handshakes (accepted and
 * refused), joins, threads, sends fanned out across instances, typing, presence, history, read
 * receipts, rate limits, bad payloads, unknown messages, notifications, the maintenance API and
 * an API call with a wrong key, disconnections.
 */
export class ScriptedTraffic {
  readonly errorCodes = new Map<string, number>();
  rounds = 0;
  /** What ended the background rounds early, if anything did. */
  failure: unknown;
  private readonly clients: Array<{ client: GatewayClient; url: string; userId: string }> = [];
  private background: Promise<void> | null = null;
  private stopping = false;

  private constructor(private readonly opts: Required<TrafficOptions>) {}

  static async start(opts: TrafficOptions): Promise<ScriptedTraffic> {
    const traffic = new ScriptedTraffic({ usersPerGateway: 3, channelId: 'e2e-room', ...opts });
    try {
      await traffic.setUp();
    } catch (err) {
      await traffic.stop();
      throw err;
    }
    return traffic;
  }

  /** Connects a user's client, joined to the channel, its thread and presence. */
  private async open(url: string, userId: string): Promise<{ client: GatewayClient; url: string; userId: string }> {
    const client = new GatewayClient({ url, getToken: () => signToken({ sub: userId }), transports: ['websocket'] });
    try {
      await client.connect();
      await client.subscribe(this.opts.channelId);
      await client.joinThread(this.opts.channelId, 'e2e-thread');
      await client.subscribePresence();
    } catch (err) {
      client.close();
      throw err;
    }
    return { client, url, userId };
  }

  private async setUp(): Promise<void> {
    const { urls, usersPerGateway } = this.opts;
    for (const [g, url] of urls.entries()) {
      for (let u = 0; u < usersPerGateway; u++) this.clients.push(await this.open(url, `e2e-user-${g}-${u}`));
    }
    // Refused handshakes: a badly signed token and a missing one, on every gateway.
    for (const url of urls) {
      for (const token of ['not-a-jwt', '']) {
        const refused = new GatewayClient({ url, getToken: () => token, transports: ['websocket'], connectTimeoutMs: 5_000 });
        try {
          await refused.connect().then(
            () => {
              throw new Error('a handshake without a valid token was accepted');
            },
            (err: unknown) => this.count(err),
          );
        } finally {
          refused.close();
        }
      }
    }
    await this.serverApi();
  }

  /** Calls the server API on every gateway: notifications, a published message, maintenance, a wrong key. */
  private async serverApi(): Promise<void> {
    const { urls, channelId } = this.opts;
    for (const [g, url] of urls.entries()) {
      const userIds = Array.from({ length: this.opts.usersPerGateway }, (_, u) => `e2e-user-${g}-${u}`);
      await this.post(url, '/api/v1/notifications', { userIds, type: 'e2e.digest', priority: 'normal', payload: { round: this.rounds } }, 202);
      await this.post(url, '/api/v1/notifications', { userIds, type: 'e2e.alert', priority: 'high', payload: {} }, 202);
      await this.post(url, `/api/v1/channels/${channelId}/messages`, { content: `from backend ${g}` }, 201);
      for (const job of ['history-trim', 'key-expiry', 'orphan-cleanup', 'inbox-expiry']) {
        await this.post(url, `/api/v1/maintenance/${job}`, {}, 200);
      }
      const wrongKey = await fetch(`${url}/api/v1/stats`, { headers: { authorization: 'Bearer wrong-key-0123456789abcdef' } });
      if (wrongKey.status !== 403) throw new Error(`wrong API key answered ${wrongKey.status}`);
    }
  }

  private async post(url: string, path: string, body: object, status: number): Promise<void> {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.opts.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== status) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
  }

  private count(err: unknown): void {
    const code = err instanceof GatewayClientError ? err.code : 'UNEXPECTED';
    if (code === 'UNEXPECTED') throw err;
    this.errorCodes.set(code, (this.errorCodes.get(code) ?? 0) + 1);
  }

  /**
   * One round: one client leaves and its user connects again (handshakes and disconnections keep
   * flowing), then every client sends, types, reads and makes the requests answered with errors.
   */
  async round(): Promise<void> {
    const { channelId } = this.opts;
    this.rounds++;
    const slot = this.rounds % this.clients.length;
    const leaving = this.clients[slot];
    leaving.client.close();
    this.clients[slot] = await this.open(leaving.url, leaving.userId);
    await Promise.all(
      this.clients.map(async (c, i) => {
        const sent = await c.client.send(channelId, `round ${this.rounds} from ${i}`, { threadId: i % 2 ? 'e2e-thread' : undefined });
        c.client.typing(channelId, this.rounds % 2 === 1);
        await c.client.markRead(channelId, sent.seq);
        await c.client.history(channelId, { limit: 5 });
        await c.client.getPresence({ channelId });
        // Refused once the presence bucket is empty, an empty message, an unknown message id.
        await c.client.request('presence:update', { status: this.rounds % 2 ? 'away' : 'online' }).catch((err: unknown) => this.count(err));
        await c.client.request('message:send', { channelId, content: '', clientMsgId: 'bad-payload' }).catch((err: unknown) => this.count(err));
        await c.client.editMessage(channelId, 'no-such-message', 'edited').catch((err: unknown) => this.count(err));
      }),
    );
  }

  /** Runs rounds, `pauseMs` apart (a load shape, not a wait), until stop() or the first unexpected error (kept in `failure`). */
  runInBackground(pauseMs: number): void {
    this.background = (async () => {
      try {
        while (!this.stopping) {
          await this.round();
          if (!this.stopping) await new Promise((r) => setTimeout(r, pauseMs));
        }
      } catch (err) {
        this.failure = err;
      }
    })();
  }

  /** Stops the rounds and closes every client. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.background;
    this.background = null;
    for (const c of this.clients.splice(0)) c.client.close();
  }
}
