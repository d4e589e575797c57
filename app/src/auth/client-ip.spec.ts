import { clientIp, parseTrustProxy, requestClientIp, type TrustProxy } from './client-ip';
import { normalizeIp } from './ip-rules';
import { prng } from '../../test/security/fuzz-payloads';

/** Express's own resolver (a dependency of Express), the reference for "same semantics as Express". */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxyaddr = require('proxy-addr') as (req: object, trust: number | string[] | ((a: string, i: number) => boolean)) => string;

const PEER = '10.0.0.5';

describe('client IP (TRUST_PROXY)', () => {
  describe(parseTrustProxy.name, () => {
    it('should read false, a hop count and a CIDR list', () => {
      for (const off of [undefined, '', 'false', 'FALSE', '0']) expect(parseTrustProxy(off)).toEqual({ value: false });
      expect(parseTrustProxy('1')).toEqual({ value: 1 });
      expect(parseTrustProxy(' 2 ')).toEqual({ value: 2 });
      expect(parseTrustProxy('10.0.0.0/8, 192.168.1.7,fd00::/8,loopback')).toEqual({ value: ['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'loopback'] });
    });

    it('should refuse true, absurd hop counts and entries that are not addresses, naming them', () => {
      expect(parseTrustProxy('true')).toEqual({ error: expect.stringMatching(/forge.*number of proxies/) });
      expect(parseTrustProxy('11')).toEqual({ error: expect.stringContaining('at most 10') });
      const bad = parseTrustProxy('10.0.0.0/8,proxy.local,10.0.0.0/33');
      expect(bad).toEqual({ error: expect.stringContaining('"proxy.local", "10.0.0.0/33"') });
      expect(parseTrustProxy('-1')).toHaveProperty('error');
    });
  });

  describe(clientIp.name, () => {
    it('should ignore X-Forwarded-For entirely when no proxy is trusted', () => {
      expect(clientIp(PEER, '192.0.2.1', false)).toBe(PEER);
      expect(clientIp('::ffff:127.0.0.3', '192.0.2.1', false)).toBe('127.0.0.3');
    });

    it('should take the rightmost entry behind one proxy, so a client-written prefix is never read', () => {
      // The reported bypass: the client sent "192.0.2.1", the ingress appended the real 203.0.113.9.
      expect(clientIp(PEER, '192.0.2.1, 203.0.113.9', 1)).toBe('203.0.113.9');
      expect(clientIp(PEER, '203.0.113.9', 1)).toBe('203.0.113.9');
      expect(clientIp(PEER, ['198.51.100.1', '203.0.113.9'], 1)).toBe('203.0.113.9');
    });

    it('should count hops from the gateway outwards', () => {
      expect(clientIp(PEER, '192.0.2.1, 203.0.113.9, 10.0.0.9', 2)).toBe('203.0.113.9');
      // Fewer entries than trusted hops: the leftmost there is.
      expect(clientIp(PEER, '203.0.113.9', 3)).toBe('203.0.113.9');
      expect(clientIp(PEER, undefined, 1)).toBe(PEER);
      expect(clientIp(PEER, ' , ,', 1)).toBe(PEER);
    });

    it('should skip trusted proxy addresses and stop at the first untrusted one', () => {
      const trust: TrustProxy = ['10.0.0.0/8', 'loopback'];
      expect(clientIp(PEER, '192.0.2.1, 203.0.113.9, 10.1.1.1, 127.0.0.1', trust)).toBe('203.0.113.9');
      // The peer itself is not a trusted proxy: the header is the client's own and is not read.
      expect(clientIp('198.51.100.7', '10.9.9.9', trust)).toBe('198.51.100.7');
      expect(clientIp('::ffff:10.0.0.5', '::ffff:203.0.113.9', trust)).toBe('203.0.113.9');
      expect(clientIp('fd00::1', '2001:db8::5', ['fd00::/8'])).toBe('2001:db8::5');
    });

    it('should read the address of a Socket.IO handshake and of a raw Engine.IO request alike', () => {
      const headers = { 'x-forwarded-for': '192.0.2.1, 203.0.113.9' };
      expect(requestClientIp({ address: PEER, headers }, 1)).toBe('203.0.113.9');
      expect(requestClientIp({ socket: { remoteAddress: PEER }, headers }, 1)).toBe('203.0.113.9');
      expect(requestClientIp({ socket: { remoteAddress: PEER }, headers }, false)).toBe(PEER);
    });

    it('should agree with Express (proxy-addr) on thousands of random chains', () => {
      const r = prng(0x1e5);
      const pool = ['10.0.0.5', '10.1.2.3', '127.0.0.1', '192.168.4.4', '203.0.113.9', '198.51.100.20', '::1', 'fd00::7', '2001:db8::1', '::ffff:10.0.0.9', 'not-an-ip', ''];
      const trusts: Array<Exclude<TrustProxy, false>> = [0, 1, 2, 3, ['10.0.0.0/8'], ['loopback', 'uniquelocal'], ['10.0.0.5', 'fd00::/8'], ['linklocal']];
      let compared = 0;
      for (let k = 0; k < 5000; k++) {
        const peer = r.pick(pool.filter(Boolean));
        const xff = Array.from({ length: r.int(0, 5) }, () => r.pick(pool)).join(r.pick([',', ', ', ' ,  ']));
        const trust = r.pick(trusts);
        const req = { socket: { remoteAddress: peer }, connection: { remoteAddress: peer }, headers: { 'x-forwarded-for': xff } };
        // proxy-addr takes a hop count as a function, and returns addresses un-normalized.
        const expected = normalizeIp(proxyaddr(req, typeof trust === 'number' ? (_a: string, i: number) => i < trust : trust));
        expect([peer, xff, trust, clientIp(peer, xff, trust)]).toEqual([peer, xff, trust, expected]);
        compared++;
      }
      expect(compared).toBe(5000);
    });
  });
});
