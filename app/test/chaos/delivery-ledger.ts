import type { ChatMessage, GapInfo, GatewayClient, SentMessage } from '../../src/client';

export interface DeliveryCounts {
  sent: number;
  acked: number;
  /** (subscriber, acked message) pairs delivered exactly once, in order */
  delivered: number;
  /** (subscriber, acked message) pairs never delivered, or delivered with another message's content */
  lost: number;
  /** deliveries of a seq the subscriber already had */
  duplicated: number;
  /** deliveries whose seq was not above the previous one (duplicates excluded) */
  reordered: number;
  /** holes in a subscriber's sequence (a stored message skipped, acked or not) */
  holes: number;
  /** gap callbacks the SDK raised (it gave up recovering something) */
  gaps: number;
  /** sends the SDK gave up on (rejected promises) */
  failed: number;
}

interface Subscriber {
  name: string;
  channels: Set<string>;
  received: Map<string, ChatMessage[]>;
  seen: Map<string, Set<number>>;
}

/**
 * The books of a chaos run: every send and its ack, every message each subscriber's SDK
 * delivered, and the verdict — each acked message reached each subscriber of its channel exactly
 * once, in seq order, with no hole.
 */
export class DeliveryLedger {
  private sent = 0;
  private failed = 0;
  private gaps = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** channel → seq → clientMsgId of acked sends */
  private readonly acked = new Map<string, Map<number, string>>();
  /** two acks claiming one seq with different clientMsgIds */
  private conflicts = 0;
  private readonly subscribers: Subscriber[] = [];
  readonly failures: string[] = [];

  /** Records what `client` delivers for `channels` (subscribe before the traffic starts). */
  watch(name: string, client: GatewayClient, channels: string[]): void {
    const sub: Subscriber = {
      name, channels: new Set(channels), received: new Map(channels.map((c) => [c, []])), seen: new Map(channels.map((c) => [c, new Set()])),
    };
    this.subscribers.push(sub);
    client.on('message:new', (m) => {
      if (!sub.channels.has(m.channelId)) return;
      sub.received.get(m.channelId)!.push(m);
      sub.seen.get(m.channelId)!.add(m.seq);
    });
    client.on('gap', (g: GapInfo) => {
      if (sub.channels.has(g.channelId)) this.gaps++;
    });
  }

  /** Counts a send and, once acked, the seq it got. */
  track(channelId: string, send: Promise<SentMessage>): void {
    this.sent++;
    const p = send.then(
      (ack) => {
        let seqs = this.acked.get(channelId);
        if (!seqs) this.acked.set(channelId, (seqs = new Map()));
        const before = seqs.get(ack.seq);
        if (before !== undefined && before !== ack.clientMsgId) this.conflicts++;
        seqs.set(ack.seq, ack.clientMsgId);
      },
      (err: Error) => {
        this.failed++;
        if (this.failures.length < 10) this.failures.push(err.message);
      },
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  get ackedCount(): number {
    let n = 0;
    for (const seqs of this.acked.values()) n += seqs.size;
    return n;
  }

  /** A copy of the acked sends so far: channel → seq → clientMsgId. */
  ackedSnapshot(): Map<string, Map<number, string>> {
    return new Map([...this.acked].map(([ch, seqs]) => [ch, new Map(seqs)]));
  }

  get sentCount(): number {
    return this.sent;
  }

  /** Sends not yet acked nor given up. */
  get unsettled(): number {
    return this.inFlight.size;
  }

  /** True once every subscriber holds every acked seq of its channels. */
  complete(): boolean {
    for (const sub of this.subscribers) {
      for (const ch of sub.channels) {
        const acked = this.acked.get(ch);
        if (!acked) continue;
        const have = sub.seen.get(ch)!;
        for (const seq of acked.keys()) if (!have.has(seq)) return false;
      }
    }
    return true;
  }

  counts(): DeliveryCounts {
    const c: DeliveryCounts = {
      sent: this.sent, acked: this.ackedCount, delivered: 0, lost: 0, duplicated: 0, reordered: 0, holes: 0,
      gaps: this.gaps, failed: this.failed,
    };
    c.lost += this.conflicts;
    for (const sub of this.subscribers) {
      for (const ch of sub.channels) {
        const acked = this.acked.get(ch) ?? new Map<number, string>();
        const got = new Map<number, ChatMessage>();
        let prev = 0;
        for (const m of sub.received.get(ch)!) {
          if (got.has(m.seq)) {
            c.duplicated++;
            continue;
          }
          if (m.seq <= prev) c.reordered++;
          else if (prev > 0 && m.seq !== prev + 1) c.holes++;
          got.set(m.seq, m);
          prev = Math.max(prev, m.seq);
        }
        for (const [seq, clientMsgId] of acked) {
          if (got.get(seq)?.clientMsgId === clientMsgId) c.delivered++;
          else c.lost++;
        }
      }
    }
    return c;
  }

  /** The count line every chaos run prints. */
  report(scenario: string): DeliveryCounts {
    const c = this.counts();
    console.log(
      `[chaos ${scenario}] sent=${c.sent} acked=${c.acked} delivered=${c.delivered} lost=${c.lost} duplicated=${c.duplicated}` +
        ` reordered=${c.reordered} holes=${c.holes} gaps=${c.gaps} failed=${c.failed} subscribers=${this.subscribers.length}`,
    );
    return c;
  }
}
