import type { RevocationStore } from './engine.ports';
import type { HandshakeLimits, HandshakeOutcome, HandshakeRequest, HandshakeStore } from './handshake.port';
import type { NotificationInbox } from './notification-inbox.port';
import type { PresenceStore } from './presence.port';

/**
 * HandshakeStore from the separate stores, for engines without a single-step form (memory, and
 * Redis on a Cluster, where a user's presence, inbox and the revocation marks sit in different
 * slots). Each handshake's three reads go out together, so they still cost one round trip; an
 * admission that turns out revoked is taken back before the answer.
 */
export class ComposedHandshakes implements HandshakeStore {
  constructor(
    private readonly presence: PresenceStore,
    private readonly revocations: RevocationStore,
    private readonly notifications: NotificationInbox,
    /** On a Cluster, commands issued together leave in one write per node. */
    readonly batches: boolean,
  ) {}

  admit(requests: HandshakeRequest[], limits: HandshakeLimits, now: number): Promise<HandshakeOutcome[]> {
    return Promise.all(requests.map((r) => this.one(r, limits, now)));
  }

  private async one(r: HandshakeRequest, limits: HandshakeLimits, now: number): Promise<HandshakeOutcome> {
    const userId = r.revocation.userId;
    const [revoked, admission, unacked] = await Promise.allSettled([
      this.revocations.isRevoked(r.revocation),
      this.presence.admit(userId, r.socketKey, limits, now),
      this.notifications.unacked(userId, limits.inboxMax, now),
    ]);
    const admitted = admission.status === 'fulfilled' && admission.value.allowed;
    const keep = revoked.status === 'fulfilled' && !revoked.value && unacked.status === 'fulfilled';
    if (admitted && !keep) {
      // A registration left behind names a socket that never opened; the next reconcile removes it.
      await this.presence.disconnect(userId, r.socketKey, now).catch(() => undefined);
    }
    if (revoked.status === 'rejected') throw revoked.reason;
    if (revoked.value) return { revoked: true };
    if (admission.status === 'rejected') throw admission.reason;
    if (!admission.value.allowed) return { revoked: false, admission: admission.value, unacked: [] };
    if (unacked.status === 'rejected') throw unacked.reason;
    return { revoked: false, admission: admission.value, unacked: unacked.value };
  }
}
