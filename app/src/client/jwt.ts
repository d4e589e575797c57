/** The claims the SDK reads from a token: enough to schedule `auth:refresh`. */
export interface TokenTimes {
  /** seconds since epoch */
  exp?: number;
  iat?: number;
  sub?: string;
}

/**
 * Reads the payload of a JWT without verifying it: the SDK only needs `exp` to refresh in
 * time; the gateway is the one that verifies. Returns null for anything that is not a JWT.
 */
export function decodeTokenTimes(token: string): TokenTimes | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    if (!claims || typeof claims !== 'object') return null;
    return {
      exp: typeof claims.exp === 'number' ? claims.exp : undefined,
      iat: typeof claims.iat === 'number' ? claims.iat : undefined,
      sub: typeof claims.sub === 'string' ? claims.sub : undefined,
    };
  } catch {
    return null;
  }
}
