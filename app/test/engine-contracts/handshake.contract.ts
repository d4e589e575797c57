import type { Engine } from '../../src/engine/engine.ports';
import { record } from './notification-inbox.contract';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const limits = { capacity: 3, windowMs: 60_000, maxSockets: 2, inboxMax: 10 };
const req = (userId: string, socketKey: string, token: { jti?: string; issuedAt?: number } = {}) =>
  ({ socketKey, revocation: { userId, jti: token.jti, issuedAt: token.issuedAt ?? T0 - 1000 } });

/** The HandshakeStore contract, registered inside the engine contract suite for each engine. */
export function handshakeContract(make: () => Promise<Engine>): void {
  it('should decide a batch in request order: the cap seen across the batch, each user on their own', async () => {
    const e = await make();
    const out = await e.handshakes.admit([req('hb', 'i1/s1'), req('hc', 'i1/s2'), req('hb', 'i1/s3'), req('hb', 'i1/s4')], limits, T0);
    expect(out).toEqual([
      { revoked: false, admission: { allowed: true, sockets: 0, transition: { userId: 'hb', status: 'online', lastSeen: T0, first: true } }, unacked: [] },
      { revoked: false, admission: { allowed: true, sockets: 0, transition: { userId: 'hc', status: 'online', lastSeen: T0, first: true } }, unacked: [] },
      { revoked: false, admission: { allowed: true, sockets: 1, transition: { userId: 'hb', status: 'online', lastSeen: T0, first: false } }, unacked: [] },
      { revoked: false, admission: { allowed: false, refusal: 'socket_limit', retryAfterMs: 0, sockets: 2 }, unacked: [] },
    ]);
    expect(await e.presence.socketCount('hb')).toBe(2);
    expect((await e.presence.instanceSockets('i1')).map((s) => s.socketKey).sort()).toEqual(['i1/s1', 'i1/s2', 'i1/s3']);
    // The connect bucket (3 a minute) is empty for hb now: the next is rate limited.
    await e.presence.disconnect('hb', 'i1/s1', T0 + 1);
    const [limited] = await e.handshakes.admit([req('hb', 'i1/s5')], limits, T0 + 2);
    expect(limited).toMatchObject({ revoked: false, admission: { allowed: false, refusal: 'rate_limited', sockets: 1 } });
  });

  it('should refuse revoked tokens without registering them, by jti and by user mark', async () => {
    const e = await make();
    await e.revocations.revokeJti('hj-1', T0 + 3_600_000, T0);
    await e.revocations.revokeUser('hd', T0);
    const out = await e.handshakes.admit([
      req('he', 'i1/s1', { jti: 'hj-1' }),
      req('hd', 'i1/s2', { issuedAt: T0 - 1000 }),
      req('hd', 'i1/s3', { issuedAt: T0 + 1000 }),
      req('he', 'i1/s4', { jti: 'hj-2' }),
    ], limits, T0 + 2000);
    expect(out.map((o) => (o.revoked ? 'revoked' : o.admission.allowed))).toEqual(['revoked', 'revoked', true, true]);
    // The revoked ones hold no place once the batch is answered.
    expect(await e.presence.socketCount('he')).toBe(1);
    expect(await e.presence.socketCount('hd')).toBe(1);
    expect((await e.presence.instanceSockets('i1')).map((s) => s.socketKey).sort()).toEqual(['i1/s3', 'i1/s4']);
  });

  it('should hand an admitted socket its unacked notifications, oldest first, and a refused one none', async () => {
    const e = await make();
    const a = record('hn');
    const b = record('hn');
    await e.notifications.add([a, b], { ttlMs: 3_600_000, maxItems: 500 });
    await e.notifications.ack('hn', [a.id], T0 + 1);
    const c = record('hn');
    await e.notifications.add([c], { ttlMs: 3_600_000, maxItems: 500 });
    const [admitted, capped] = await e.handshakes.admit([req('hn', 'i1/s1'), req('hn', 'i1/s2'), req('hn', 'i1/s3')], { ...limits, maxSockets: 2 }, T0 + 2)
      .then((o) => [o[0], o[2]]);
    expect(admitted).toMatchObject({ revoked: false, admission: { allowed: true } });
    expect(admitted.revoked ? [] : admitted.unacked).toEqual([b, c]);
    expect(capped).toEqual({ revoked: false, admission: { allowed: false, refusal: 'socket_limit', retryAfterMs: 0, sockets: 2 }, unacked: [] });
  });
}
