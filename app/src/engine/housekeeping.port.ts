/** Bounded passes over stored state for the maintenance jobs (no KEYS: SCAN with a cursor and a budget). */
export interface ScanPage {
  /** Where the next pass resumes; '0' when a full sweep just completed. */
  cursor: string;
  /** Channels looked at in this pass. */
  scanned: number;
}

export interface HousekeepingStore {
  /** Trims histories longer than `maxLen` (after HISTORY_MAX_LEN was lowered) and drops edit overlays of trimmed messages. */
  trimHistories(maxLen: number, cursor: string, budget: number): Promise<ScanPage & { trimmed: number }>;
  /**
   * Expires what carries no TTL of its own: per-user revocation marks older than
   * `revocationRetentionMs`, "recently left" marks older than `leftRetentionMs`, and (memory
   * engine) expired idempotency keys, rate buckets and revoked jtis.
   */
  expireKeys(now: number, opts: { revocationRetentionMs: number; leftRetentionMs: number }): Promise<{ removed: number }>;
  /** Deletes channels with no members whose newest message is older than `idleMs` (their keys have no TTL). */
  dropIdleChannels(now: number, idleMs: number, cursor: string, budget: number): Promise<ScanPage & { dropped: number }>;
}
