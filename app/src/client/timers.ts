/** The clock and timers the SDK uses; injected so unit tests can drive time with a fake clock. */
export interface TimerHost {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

/** Looks the globals up at call time, so jest's fake timers (installed later) are honoured. */
export const systemTimers: TimerHost = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/**
 * Every timer the SDK arms goes through one TimerSet, so `close()` can clear them all and
 * tests can assert that none is left.
 */
export class TimerSet {
  private readonly live = new Set<object>();

  constructor(readonly host: TimerHost = systemTimers) {}

  /** Arms a one-shot timer; the returned token cancels it through `clear`. */
  set(fn: () => void, ms: number): object {
    const token = { handle: undefined as unknown };
    token.handle = this.host.setTimeout(() => {
      if (!this.live.delete(token)) return;
      fn();
    }, Math.max(0, ms));
    this.live.add(token);
    return token;
  }

  clear(token: object | null | undefined): void {
    if (!token || !this.live.delete(token)) return;
    this.host.clearTimeout((token as { handle: unknown }).handle);
  }

  clearAll(): void {
    for (const token of this.live) this.host.clearTimeout((token as { handle: unknown }).handle);
    this.live.clear();
  }

  now(): number {
    return this.host.now();
  }

  get size(): number {
    return this.live.size;
  }
}
