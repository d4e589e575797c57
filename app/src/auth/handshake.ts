import type { Socket } from 'socket.io';

type Handshake = Socket['handshake'];

/** The one token extractor: `auth.token` first, then an `Authorization: Bearer` header. */
export function extractToken(handshake: Pick<Handshake, 'auth' | 'headers'>): string | undefined {
  const fromAuth = (handshake.auth as Record<string, unknown> | undefined)?.token;
  if (typeof fromAuth === 'string' && fromAuth.length > 0) return fromAuth;
  const header = handshake.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (m) return m[1];
  }
  return undefined;
}

/** The client address; X-Forwarded-For is trusted only when TRUST_PROXY says a proxy sets it. */
export function clientIp(handshake: Pick<Handshake, 'address' | 'headers'>, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = handshake.headers['x-forwarded-for'];
    const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return handshake.address;
}
