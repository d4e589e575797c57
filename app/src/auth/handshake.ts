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
