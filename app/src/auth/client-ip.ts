import type { BlockList } from 'node:net';
import { buildBlockList, isBlocked, normalizeIp, parseCidr } from './ip-rules';

/**
 * Which proxies in front of the gateway may be believed about the client address:
 * `false` (none: the TCP peer is the client), a hop count (the nearest N proxies), or the
 * CIDRs of trusted proxies. The same three forms, and meanings, as Express's `trust proxy`.
 * @default false
 * @example 1
 * @example ['10.0.0.0/8', 'loopback']
 */
export type TrustProxy = false | number | string[];

/** Express's named ranges, so a list reads like the one an Express app would use. */
const PRESETS: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** More hops than any real ingress chain; a larger number is almost surely a typo. */
const MAX_HOPS = 10;

/**
 * Parses `TRUST_PROXY`. `true` is refused on purpose: trusting every hop means taking the
 * leftmost `X-Forwarded-For` entry, which the client writes itself.
 */
export function parseTrustProxy(raw: string | undefined): { value: TrustProxy } | { error: string } {
  const v = raw?.trim() ?? '';
  if (v === '' || v.toLowerCase() === 'false' || v === '0') return { value: false };
  if (v.toLowerCase() === 'true') {
    return { error: 'TRUST_PROXY=true would trust every X-Forwarded-For hop, which clients can forge; set the number of proxies in front of the gateway (e.g. 1) or their CIDRs' };
  }
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    return hops <= MAX_HOPS ? { value: hops } : { error: `TRUST_PROXY hop count must be at most ${MAX_HOPS} (got "${v}")` };
  }
  const entries = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = entries.filter((e) => !(e in PRESETS) && parseCidr(e) === null);
  if (bad.length > 0) {
    return { error: `TRUST_PROXY must be false, a hop count or a comma-separated list of proxy CIDRs (loopback, linklocal, uniquelocal allowed); not understood: ${bad.map((b) => `"${b}"`).join(', ')}` };
  }
  return { value: entries };
}

/** `X-Forwarded-For` entries, nearest proxy first (Node joins repeated headers with ", "). */
function forwardedHops(header: string | string[] | undefined): string[] {
  const joined = Array.isArray(header) ? header.join(',') : header ?? '';
  // Only spaces are trimmed and empty entries dropped, as the `forwarded` module Express uses does.
  return joined.split(',').map((s) => s.replace(/^ +| +$/g, '')).filter(Boolean).reverse();
}

const compiled = new WeakMap<string[], BlockList>();

function isTrusted(trust: Exclude<TrustProxy, false>, address: string, hop: number): boolean {
  if (typeof trust === 'number') return hop < trust;
  let list = compiled.get(trust);
  if (!list) {
    list = buildBlockList(trust.flatMap((e) => PRESETS[e] ?? [e]));
    compiled.set(trust, list);
  }
  return isBlocked(list, address);
}

/**
 * The client address of a request: walking from the TCP peer outwards through `X-Forwarded-For`,
 * the first address that is not a trusted proxy (the rightmost untrusted entry). When every hop
 * is trusted, the leftmost entry. Entries left of the first untrusted one are the client's own
 * words and never read, so a forged header cannot pick the address.
 * @example clientIp('10.0.0.5', '192.0.2.1, 203.0.113.9', 1) === '203.0.113.9'
 */
export function clientIp(peer: string | undefined, forwardedFor: string | string[] | undefined, trust: TrustProxy): string {
  const hops = [peer ?? '', ...(trust === false ? [] : forwardedHops(forwardedFor))];
  let i = 0;
  while (trust !== false && i < hops.length - 1 && isTrusted(trust, hops[i], i)) i++;
  return normalizeIp(hops[i]);
}

/** `clientIp` of a Socket.IO handshake or an Engine.IO request. */
export function requestClientIp(
  req: { address?: string; socket?: { remoteAddress?: string }; headers: Record<string, string | string[] | undefined> },
  trust: TrustProxy,
): string {
  return clientIp(req.address ?? req.socket?.remoteAddress, req.headers['x-forwarded-for'], trust);
}
