import { ComposedHandshakes } from '../composed-handshakes';
import type { Engine } from '../engine.ports';
import { MemoryHousekeeping } from './memory-housekeeping';
import { MemoryInstances } from './memory-instances';
import { MemoryIpBlocks } from './memory-ip-blocks';
import { MemoryLocks } from './memory-locks';
import { MemoryMembership } from './memory-membership';
import { MemoryMessageLog } from './memory-message-log';
import { MemoryNotificationInbox } from './memory-notification-inbox';
import { MemoryWebhookQueue } from './memory-webhook-queue';
import { MemoryRateLimiter } from './memory-rate-limiter';
import { MemoryRevocations } from './memory-revocations';
import { MemoryPresence } from './memory-presence';
import { MemoryReadCursors } from './memory-read-cursors';

export interface MemoryEngineOptions {
  historyMaxLen: number;
  idempotencyTtlSec: number;
}

/** The embedded default: all state in this process, for one instance. */
export class MemoryEngine implements Engine {
  readonly kind = 'memory' as const;
  readonly messages: MemoryMessageLog;
  readonly rateLimiter = new MemoryRateLimiter();
  readonly revocations = new MemoryRevocations();
  readonly membership = new MemoryMembership();
  readonly ipBlocks = new MemoryIpBlocks();
  readonly instances = new MemoryInstances();
  readonly locks = new MemoryLocks();
  readonly housekeeping: MemoryHousekeeping;
  readonly presence = new MemoryPresence(this.rateLimiter);
  readonly readCursors = new MemoryReadCursors();
  readonly notifications = new MemoryNotificationInbox();
  readonly handshakes = new ComposedHandshakes(this.presence, this.revocations, this.notifications, false);
  readonly webhooks = new MemoryWebhookQueue();

  constructor(opts: MemoryEngineOptions) {
    this.messages = new MemoryMessageLog(opts.historyMaxLen, opts.idempotencyTtlSec * 1000, this.rateLimiter);
    this.housekeeping = new MemoryHousekeeping(this.messages, this.rateLimiter, this.revocations, this.membership);
  }

  readonly sharedAcrossInstances = false;

  async ping(): Promise<void> {}

  async createAdapterClients(): Promise<null> {
    return null;
  }

  async close(): Promise<void> {}
}
