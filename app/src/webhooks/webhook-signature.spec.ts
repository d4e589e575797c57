import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from './webhook-signature';
import { backoffMs } from './webhook-worker';

describe('webhook signatures', () => {
  const secret = 'sig-secret-0123456789abcdef';
  const body = '{"id":"evt_1","type":"message.created"}';

  it('should sign HMAC-SHA256 over "<t>.<body>" in the documented header format', () => {
    const header = signWebhook(secret, body, 1_700_000_000);
    expect(header).toBe(`t=1700000000,v1=${createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex')}`);
  });

  it('should verify within the 5 minute window only, for the exact body and secret', () => {
    const header = signWebhook(secret, body, 1_700_000_000);
    expect(verifyWebhook(secret, body, header, 1_700_000_000 + 300)).toBe(true);
    expect(verifyWebhook(secret, body, header, 1_700_000_000 - 300)).toBe(true);
    expect(verifyWebhook(secret, body, header, 1_700_000_000 + 301)).toBe(false);
    expect(verifyWebhook(secret, `${body} `, header, 1_700_000_000)).toBe(false);
    expect(verifyWebhook('other-secret-0123456789', body, header, 1_700_000_000)).toBe(false);
    expect(verifyWebhook(secret, body, undefined, 1_700_000_000)).toBe(false);
    expect(verifyWebhook(secret, body, 't=1700000000,v1=zz', 1_700_000_000)).toBe(false);
  });
});

describe(backoffMs.name, () => {
  it('should double per attempt up to the cap, with half of each delay random', () => {
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 1000, 5000, () => 0))).toEqual([500, 1000, 2000, 2500]);
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 1000, 5000, () => 1))).toEqual([1000, 2000, 4000, 5000]);
    expect(backoffMs(100, 1000, 300_000, () => 1)).toBe(300_000);
  });
});
