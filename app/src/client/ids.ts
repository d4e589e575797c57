/**
 * A clientMsgId (UUID v4, which matches the gateway's `^[A-Za-z0-9_-]{8,64}$`).
 * `crypto.randomUUID` exists only in secure contexts (https, localhost); pages served over plain
 * http elsewhere still have `getRandomValues`, so build the UUID from it there.
 */
export function newClientMsgId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
