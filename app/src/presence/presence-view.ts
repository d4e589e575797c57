import type { PresenceEntry, PresenceStatus } from '../contracts/events';
import type { ChosenStatus, PresenceRecord } from '../engine/presence.port';

/** What others see: offline without a socket, and invisible looks exactly like offline. */
export function visibleStatus(status: ChosenStatus, online: boolean): PresenceStatus {
  return !online || status === 'invisible' ? 'offline' : status;
}

/** A presence record as shown to `viewerId` (users see their own real status; null = a backend). */
export function presenceEntry(r: PresenceRecord, viewerId: string | null): PresenceEntry {
  const status = viewerId === r.userId && r.online ? r.status : visibleStatus(r.status, r.online);
  return { userId: r.userId, status, lastSeen: isoOrNull(r.lastSeen) };
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
