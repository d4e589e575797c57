import { BlockList, isIP } from 'node:net';

/** Strips the IPv4-mapped IPv6 prefix so `::ffff:10.0.0.1` matches a `10.0.0.0/8` rule. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** Parses `a.b.c.d`, `a.b.c.d/n`, `::1`, `fe80::/10`; returns null when malformed. */
export function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address, bits, ...rest] = cidr.trim().split('/');
  if (rest.length > 0) return null;
  const v = isIP(address);
  if (v === 0) return null;
  const max = v === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) return null;
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

export function buildBlockList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const p = parseCidr(c);
    if (p) list.addSubnet(p.address, p.prefix, p.family);
  }
  return list;
}

export function isBlocked(list: BlockList, ip: string): boolean {
  const n = normalizeIp(ip);
  const v = isIP(n);
  if (v === 0) return false;
  return list.check(n, v === 4 ? 'ipv4' : 'ipv6');
}
