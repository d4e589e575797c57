import { createHmac, timingSafeEqual } from 'node:crypto';

/** Receivers should refuse signatures older (or newer) than this, against replays. */
export const SIGNATURE_TOLERANCE_SEC = 300;

export const SIGNATURE_HEADER = 'x-gateway-signature';
export const EVENT_ID_HEADER = 'x-gateway-event-id';
export const EVENT_TYPE_HEADER = 'x-gateway-event-type';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The timestamp is inside the
 * MAC, so a captured request cannot be replayed with a fresh one.
 */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * What a receiver does (also the README's verification snippet): recompute the MAC over the raw
 * body, compare in constant time, and refuse timestamps outside the tolerance window.
 */
export function verifyWebhook(secret: string, body: string, header: string | undefined, nowSeconds: number, toleranceSec = SIGNATURE_TOLERANCE_SEC): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((kv) => kv.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSec || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(parts.v1, 'hex'));
}
