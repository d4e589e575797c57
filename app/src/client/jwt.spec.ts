import { decodeTokenTimes } from './jwt';

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('decodeTokenTimes', () => {
  it('should read exp, iat and sub without verifying the signature', () => {
    const token = `${b64url({ alg: 'HS256' })}.${b64url({ sub: 'zoë', exp: 1700000300, iat: 1700000000 })}.sig`;
    expect(decodeTokenTimes(token)).toEqual({ sub: 'zoë', exp: 1700000300, iat: 1700000000 });
  });

  it('should return null for something that is not a JWT', () => {
    expect(decodeTokenTimes('opaque-token')).toBeNull();
    expect(decodeTokenTimes('a.!!!.c')).toBeNull();
  });
});
