/** Where a channel subscription stands (README "Subscriptions"). */
export type SubscriptionState = 'subscribing' | 'subscribed' | 'failed' | 'unsubscribed';

export type SubscriptionEvent =
  /** the application asked to subscribe (again) */
  | 'subscribe'
  /** the join ack said ok */
  | 'joined'
  /** a join attempt failed in a way worth retrying, and retries are left */
  | 'retry'
  /** a join attempt failed for good, or the retries ran out */
  | 'fail'
  /** the connection dropped: the channel must be joined again on reconnect */
  | 'connection_lost'
  /** the channel's sequence restarted under a live subscription: join again to learn the new baseline */
  | 'resync'
  /** the application unsubscribed */
  | 'unsubscribe';

const TRANSITIONS: Record<SubscriptionState, Partial<Record<SubscriptionEvent, SubscriptionState>>> = {
  unsubscribed: { subscribe: 'subscribing', unsubscribe: 'unsubscribed' },
  subscribing: { joined: 'subscribed', retry: 'subscribing', fail: 'failed', connection_lost: 'subscribing', unsubscribe: 'unsubscribed', subscribe: 'subscribing' },
  subscribed: { connection_lost: 'subscribing', resync: 'subscribing', unsubscribe: 'unsubscribed', subscribe: 'subscribed' },
  // A failed channel stays failed across reconnects (FORBIDDEN will not change); subscribe() retries it.
  failed: { subscribe: 'subscribing', unsubscribe: 'unsubscribed', connection_lost: 'failed' },
};

export class InvalidTransition extends Error {
  constructor(readonly from: SubscriptionState, readonly event: SubscriptionEvent) {
    super(`subscription cannot go from ${from} on ${event}`);
    this.name = 'InvalidTransition';
  }
}

/** The per-channel state machine, pure: the driver (ChannelSubscription) does the I/O and timing. */
export class SubscriptionStateMachine {
  private current: SubscriptionState = 'unsubscribed';

  get state(): SubscriptionState {
    return this.current;
  }

  can(event: SubscriptionEvent): boolean {
    return TRANSITIONS[this.current][event] !== undefined;
  }

  /** Applies `event`; returns true when the state changed. Throws on a transition the table forbids. */
  apply(event: SubscriptionEvent): boolean {
    const next = TRANSITIONS[this.current][event];
    if (next === undefined) throw new InvalidTransition(this.current, event);
    const changed = next !== this.current;
    this.current = next;
    return changed;
  }
}
