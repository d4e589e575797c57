import type { Socket } from 'socket.io';
import { loadConfig } from '../config/config';
import { JsonLogger } from '../common/logger';
import { MetricsService } from '../metrics/metrics.service';
import { InvalidFrameGuard } from './invalid-frame.guard';

const SECRET = 'x'.repeat(32);

function fakeSocket(id: string) {
  const socket = { id, connected: true, data: { user: { userId: `user-${id}` } }, disconnects: 0, disconnect() { this.connected = false; this.disconnects++; } };
  return socket as typeof socket & Socket;
}

describe(InvalidFrameGuard.name, () => {
  let now: number;
  let lines: string[];
  let guard: InvalidFrameGuard;
  beforeEach(() => {
    now = 1_000_000;
    lines = [];
    guard = new InvalidFrameGuard(loadConfig({ JWT_SECRET: SECRET, MAX_INVALID_FRAMES_PER_MINUTE: '3' }), { now: () => now }, new JsonLogger('info', (l) => lines.push(l)), new MetricsService(undefined, false));
  });

  it('should cut a socket at the limit within one minute, once, and leave other sockets alone', () => {
    const bad = fakeSocket('bad');
    const other = fakeSocket('other');
    expect([guard.record(bad, 'invalid_payload'), guard.record(other, 'unknown_event'), guard.record(bad, 'unknown_event')]).toEqual([false, false, false]);
    now += 59_000;
    expect(guard.record(bad, 'invalid_payload')).toBe(true);
    expect(guard.record(bad, 'invalid_payload')).toBe(false);
    expect([bad.disconnects, other.disconnects]).toEqual([1, 0]);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'warn', event: 'connection.invalid_frames', userId: 'user-bad', metadata: { socketId: 'bad', invalidFrames: 3, windowMs: 60_000, lastKind: 'invalid_payload' } }),
    ]);
  });

  it('should start counting again once a minute has passed since the first invalid frame', () => {
    const s = fakeSocket('slow-drip');
    guard.record(s, 'invalid_payload');
    guard.record(s, 'invalid_payload');
    now += 60_000;
    expect(guard.record(s, 'invalid_payload')).toBe(false);
    expect(guard.record(s, 'invalid_payload')).toBe(false);
    expect(guard.record(s, 'invalid_payload')).toBe(true);
  });
});
