import { InvalidTransition, SubscriptionStateMachine, type SubscriptionEvent } from './subscription-state';

function run(events: SubscriptionEvent[]): string[] {
  const m = new SubscriptionStateMachine();
  return events.map((e) => {
    m.apply(e);
    return m.state;
  });
}

describe(SubscriptionStateMachine.name, () => {
  it('should start unsubscribed and go subscribing → subscribed', () => {
    expect(new SubscriptionStateMachine().state).toBe('unsubscribed');
    expect(run(['subscribe', 'joined'])).toEqual(['subscribing', 'subscribed']);
  });

  it('should retry while subscribing and fail for good', () => {
    expect(run(['subscribe', 'retry', 'retry', 'fail'])).toEqual(['subscribing', 'subscribing', 'subscribing', 'failed']);
  });

  it('should go back to subscribing when the connection drops, and stay failed when failed', () => {
    expect(run(['subscribe', 'joined', 'connection_lost', 'joined'])).toEqual(['subscribing', 'subscribed', 'subscribing', 'subscribed']);
    expect(run(['subscribe', 'fail', 'connection_lost', 'subscribe'])).toEqual(['subscribing', 'failed', 'failed', 'subscribing']);
  });

  it('should resync a live subscription whose epoch changed', () => {
    expect(run(['subscribe', 'joined', 'resync', 'joined'])).toEqual(['subscribing', 'subscribed', 'subscribing', 'subscribed']);
  });

  it('should unsubscribe from any state', () => {
    expect(run(['subscribe', 'unsubscribe'])).toEqual(['subscribing', 'unsubscribed']);
    expect(run(['subscribe', 'joined', 'unsubscribe'])).toEqual(['subscribing', 'subscribed', 'unsubscribed']);
    expect(run(['subscribe', 'fail', 'unsubscribe'])).toEqual(['subscribing', 'failed', 'unsubscribed']);
  });

  it('should refuse transitions the table does not allow', () => {
    const m = new SubscriptionStateMachine();
    expect(m.can('joined')).toBe(false);
    expect(() => m.apply('joined')).toThrow(InvalidTransition);
    m.apply('subscribe');
    m.apply('joined');
    expect(() => m.apply('retry')).toThrow('subscription cannot go from subscribed on retry');
    expect(() => m.apply('fail')).toThrow(InvalidTransition);
  });

  it('should report whether a transition changed the state', () => {
    const m = new SubscriptionStateMachine();
    expect(m.apply('subscribe')).toBe(true);
    expect(m.apply('retry')).toBe(false);
  });
});
