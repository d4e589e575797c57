import { GatewayClient, type GatewayClientOptions } from '../../src/client';
import { until } from '../support/clients';
import { signToken } from '../support/tokens';
import type { DeliveryLedger } from './delivery-ledger';

/** Rate limits out of the way: the chaos suites test delivery, not the limiter. */
export const UNLIMITED = {
  RATE_LIMIT_CONNECT_PER_IP: '1000000',
  RATE_LIMIT_CONNECT_PER_USER: '1000000',
  RATE_LIMIT_MESSAGE_SEND: '1000000',
  RATE_LIMIT_CHANNEL_JOIN: '1000000',
  RATE_LIMIT_CHANNEL_REJOIN: '1000000',
  RATE_LIMIT_DEFAULT: '1000000',
  LOG_LEVEL: 'warn',
};

export interface FleetMember {
  name: string;
  client: GatewayClient;
  channel: string;
}

/**
 * SDK clients, each subscribed to one channel and watched by the ledger; `sendLoop` makes each
 * send on its channel at a jittered interval, bounded in count and time.
 */
export class ClientFleet {
  readonly members: FleetMember[] = [];
  private loops: NodeJS.Timeout[] = [];
  private running = false;

  constructor(private readonly ledger: DeliveryLedger, private readonly options: Partial<GatewayClientOptions> & { url: string }) {}

  /**
   * Creates `count` clients named `${prefix}-${i}` spread round robin over `channels`, connects and
   * subscribes them. `token` signs each one's token (the test secret unless a gateway has its own).
   */
  async add(prefix: string, count: number, channels: string[], batch = 50, token: (name: string) => Promise<string> = (name) => signToken({ sub: name, channels: ['*'] })): Promise<FleetMember[]> {
    const added: FleetMember[] = [];
    for (let start = 0; start < count; start += batch) {
      const group = await Promise.all(
        Array.from({ length: Math.min(batch, count - start) }, async (_, j) => {
          const i = start + j;
          const name = `${prefix}-${i}`;
          const signed = await token(name);
          const client = new GatewayClient({ transports: ['websocket'], getToken: () => signed, ...this.options });
          const member = { name, client, channel: channels[i % channels.length] };
          this.members.push(member);
          await client.connect();
          await client.subscribe(member.channel);
          this.ledger.watch(name, client, [member.channel]);
          return member;
        }),
      );
      added.push(...group);
    }
    return added;
  }

  /** Every member of `senders` sends one message per ~`everyMs` (±50%) until `stop()` or `maxPerClient`. */
  sendLoop(senders: FleetMember[], everyMs: number, maxPerClient: number): void {
    this.running = true;
    for (const m of senders) {
      let sent = 0;
      const tick = () => {
        if (!this.running || sent >= maxPerClient) return;
        sent++;
        this.ledger.track(m.channel, m.client.send(m.channel, `${m.name} #${sent}`));
        this.loops.push(setTimeout(tick, everyMs * (0.5 + Math.random())));
      };
      this.loops.push(setTimeout(tick, Math.random() * everyMs));
    }
  }

  stop(): void {
    this.running = false;
    for (const t of this.loops) clearTimeout(t);
    this.loops = [];
  }

  /** Waits for every send to be acked or given up, then for every subscriber to hold every acked message. */
  async settle(ledger: DeliveryLedger, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await until(() => ledger.unsettled === 0, timeoutMs, 'every send acked or given up');
    // The verdict (lost counts) comes from the ledger, so running out of time here is not an error.
    while (!ledger.complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }

  close(): void {
    this.stop();
    for (const m of this.members.splice(0)) m.client.close();
  }
}
