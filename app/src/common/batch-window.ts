/**
 * A shared short wait: everyone who asks within one window resumes in the same tick, so the Redis
 * commands they then issue leave in one auto-pipelined write and come back in one read, instead
 * of a write and a read each. The first caller opens the window; with `windowMs` 0 nobody waits.
 */
export class BatchWindow {
  private open: Promise<void> | null = null;

  constructor(private readonly windowMs: number) {}

  wait(): Promise<void> | null {
    if (this.windowMs === 0) return null;
    if (!this.open) {
      this.open = new Promise<void>((resolve) => {
        setTimeout(() => {
          this.open = null;
          resolve();
        }, this.windowMs);
      });
    }
    return this.open;
  }
}
