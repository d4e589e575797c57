import type { Broadcaster, RoomEvent } from '../../src/socket/broadcaster';

/**
 * Replaces a unit test's Broadcaster emissions with a record: `[channelId, event, payload]` for
 * channel events and `[rooms, event, payload]` for presence:changed, in emission order.
 */
export function recordRoomEvents(broadcaster: Broadcaster): Array<[unknown, string, unknown]> {
  const emitted: Array<[unknown, string, unknown]> = [];
  broadcaster.toChannel = ((c: string, e: string, p: unknown) => void emitted.push([c, e, p])) as never;
  broadcaster.toRoom = ((r: unknown, e: string, p: unknown) => void emitted.push([r, e, p])) as never;
  broadcaster.toRooms = ((events: RoomEvent[]) => {
    for (const e of events) emitted.push([e.event === 'presence:changed' ? e.rooms : (e.payload as { channelId: string }).channelId, e.event, e.payload]);
  }) as never;
  return emitted;
}
