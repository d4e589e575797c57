import type { RevocationCheck } from './engine.ports';
import type { StoredNotification } from './notification-inbox.port';
import type { ConnectAdmission, ConnectLimits } from './presence.port';

/** One handshake's state step: its user, socket and token. */
export interface HandshakeRequest {
  socketKey: string;
  revocation: RevocationCheck;
}

export type HandshakeOutcome =
  /**
   * A revoked token is not admitted: nothing stays registered for it. (On one Redis node it takes
   * no connect token either; where the checks run side by side it may.)
   */
  | { revoked: true }
  /** `unacked`: the user's pending notifications, read only for an admitted socket. */
  | { revoked: false; admission: ConnectAdmission; unacked: StoredNotification[] };

export interface HandshakeLimits extends ConnectLimits {
  /** Most pending notifications read per admitted socket (NOTIFICATION_INBOX_MAX). */
  inboxMax: number;
}

/**
 * The per-user state work of many handshakes at once: for each, the revocation check, then the
 * admission (connect bucket, socket cap, presence registration; PresenceStore.admit), then the
 * inbox read. Outcomes come in request order, and requests of one user are decided in that order
 * (the second sees the first's socket). One command on one node; per-store calls on a Cluster.
 */
export interface HandshakeStore {
  /** True when handshakes sent together cost less than one by one (a networked store). */
  readonly batches: boolean;
  admit(requests: HandshakeRequest[], limits: HandshakeLimits, now: number): Promise<HandshakeOutcome[]>;
}
