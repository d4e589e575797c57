import { DEFAULT_BACKOFF, backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('should grow the window exponentially from 500 ms and cap it at 10 s', () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, DEFAULT_BACKOFF, top)).toBe(499);
    expect(backoffDelay(1, DEFAULT_BACKOFF, top)).toBe(999);
    expect(backoffDelay(4, DEFAULT_BACKOFF, top)).toBe(7999);
    expect(backoffDelay(5, DEFAULT_BACKOFF, top)).toBe(9999);
    expect(backoffDelay(60, DEFAULT_BACKOFF, top)).toBe(9999);
    expect(backoffDelay(5000, DEFAULT_BACKOFF, top)).toBe(9999);
  });

  it('should spread delays over the whole window (full jitter), down to zero', () => {
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0)).toBe(0);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0.5)).toBe(2000);
    const samples = Array.from({ length: 2000 }, () => backoffDelay(3, DEFAULT_BACKOFF));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(4000);
    // Uniform over [0, 4000): both halves of the window are used.
    expect(samples.filter((s) => s < 2000).length).toBeGreaterThan(800);
    expect(samples.filter((s) => s >= 2000).length).toBeGreaterThan(800);
  });

  it('should honour custom bounds', () => {
    expect(backoffDelay(2, { baseMs: 100, maxMs: 250 }, () => 0.999)).toBe(249);
    expect(backoffDelay(-1, { baseMs: 100, maxMs: 250 }, () => 0.999)).toBe(99);
  });
});
