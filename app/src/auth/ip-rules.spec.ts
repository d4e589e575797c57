import { buildBlockList, isBlocked, normalizeIp, parseCidr } from './ip-rules';

describe('ip rules', () => {
  it('should parse IPv4 and IPv6 addresses and CIDRs and refuse malformed ones', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('2001:db8::/32')).toEqual({ address: '2001:db8::', prefix: 32, family: 'ipv6' });
    expect(parseCidr('1.2.3.4')).toEqual({ address: '1.2.3.4', prefix: 32, family: 'ipv4' });
    for (const bad of ['10.0.0.0/33', 'nope', '1.2.3.4/8/1', '1.2.3.4/x', '']) expect(parseCidr(bad)).toBeNull();
  });

  it('should match addresses inside blocked ranges, including IPv4-mapped IPv6', () => {
    const list = buildBlockList(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
    expect(isBlocked(list, '10.1.2.3')).toBe(true);
    expect(isBlocked(list, '::ffff:10.1.2.3')).toBe(true);
    expect(isBlocked(list, '2001:db8::1')).toBe(true);
    expect(isBlocked(list, '192.0.2.7')).toBe(true);
    expect(isBlocked(list, '192.0.2.8')).toBe(false);
    expect(isBlocked(list, '11.0.0.1')).toBe(false);
    expect(isBlocked(list, 'garbage')).toBe(false);
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });
});
