import type { HousekeepingStore, ScanPage } from '../housekeeping.port';
import type { MemoryMembership } from './memory-membership';
import type { MemoryMessageLog } from './memory-message-log';
import type { MemoryRateLimiter } from './memory-rate-limiter';
import type { MemoryRevocations } from './memory-revocations';

export class MemoryHousekeeping implements HousekeepingStore {
  constructor(
    private readonly messages: MemoryMessageLog,
    private readonly rateLimiter: MemoryRateLimiter,
    private readonly revocations: MemoryRevocations,
    private readonly membership: MemoryMembership,
  ) {}

  async trimHistories(maxLen: number): Promise<ScanPage & { trimmed: number }> {
    const { scanned, trimmed } = this.messages.trimAll(maxLen);
    return { cursor: '0', scanned, trimmed };
  }

  async expireKeys(now: number, opts: { revocationRetentionMs: number; leftRetentionMs: number }): Promise<{ removed: number }> {
    const removed =
      this.messages.expireIdempotency(now) +
      this.rateLimiter.prune(now) +
      this.revocations.prune(now, opts.revocationRetentionMs) +
      this.membership.prune(now, opts.leftRetentionMs);
    return { removed };
  }

  async dropIdleChannels(now: number, idleMs: number): Promise<ScanPage & { dropped: number }> {
    const candidates = this.messages.idleChannels(now, idleMs);
    let dropped = 0;
    for (const channelId of candidates) {
      if ((await this.membership.members(channelId, 1)).length > 0) continue;
      this.messages.drop(channelId);
      dropped++;
    }
    return { cursor: '0', scanned: candidates.length, dropped };
  }
}
