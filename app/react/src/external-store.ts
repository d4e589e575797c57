/** A value with listeners: the shape `useSyncExternalStore` subscribes to. */
export class ExternalStore<T> {
  private readonly listeners = new Set<() => void>();

  constructor(protected value: T) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The same object until `set` replaces it. */
  readonly getSnapshot = (): T => this.value;

  protected set(value: T): void {
    if (Object.is(value, this.value)) return;
    this.value = value;
    for (const l of [...this.listeners]) l();
  }
}

/**
 * Reference counting with a deferred release: StrictMode's unmount → mount (and two components
 * sharing one resource) neither tear down nor set up twice.
 */
export class Shared {
  private count = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly start: () => void, private readonly stop: () => void) {}

  acquire(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    } else if (this.count === 0) {
      this.start();
    }
    this.count++;
  }

  release(): void {
    if (--this.count > 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.count === 0) this.stop();
    }, 0);
  }
}
