import { createHmac, timingSafeEqual } from 'node:crypto';

const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** 32 bytes of HMAC-SHA256 in unpadded base64url. */
const SIGNATURE_CHARS = 43;
/** The header an unsecured JWT carries, for handing a verified payload to jose's claim checks. */
export const UNSECURED_HEADER = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');

/**
 * Checks an HS256 JWS synchronously with node:crypto (jose's WebCrypto HMAC is an async thread-pool
 * job that cost more than the rest of a handshake) and returns the payload segment, or null when
 * the token is not a well-formed HS256 JWS signed with `key`. Strict: exactly three base64url
 * segments, a canonical 43-character signature, `alg` exactly HS256, and no `crit` or `b64`
 * header (extensions this verifier does not implement, as jose would refuse them).
 */
export function verifyHs256(token: string, key: Buffer): string | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts;
  if (!SEGMENT.test(header) || !SEGMENT.test(payload) || signature.length !== SIGNATURE_CHARS || !SEGMENT.test(signature)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const h = parsed as Record<string, unknown>;
  if (h.alg !== 'HS256' || 'crit' in h || 'b64' in h) return null;
  const given = Buffer.from(signature, 'base64url');
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  // A non-canonical encoding of the same bytes (stray low bits in the last character) is refused too.
  if (given.length !== expected.length || given.toString('base64url') !== signature) return null;
  return timingSafeEqual(given, expected) ? payload : null;
}
