import type { Clock } from '../../src/common/clock';

/**
 * Real time that a test can hold still. Connection limits are token buckets refilling over a
 * minute; on a busy machine a burst can take long enough to earn tokens back, so a test holds
 * the gateways' clock during the burst to keep the counts exact.
 */
export class HeldClock implements Clock {
  private heldAt: number | null = null;
  readonly now = (): number => this.heldAt ?? Date.now();
  hold(): void { this.heldAt = Date.now(); }
  release(): void { this.heldAt = null; }
}
