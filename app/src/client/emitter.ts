type Handler = (...args: any[]) => void;

/** A small typed event emitter (Node's `events` module is not available in browsers). */
export class TypedEmitter<Events extends { [K in keyof Events]: Handler }> {
  private readonly handlers = new Map<keyof Events, Set<Handler>>();

  on<K extends keyof Events>(event: K, fn: Events[K]): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(fn);
    return () => this.off(event, fn);
  }

  once<K extends keyof Events>(event: K, fn: Events[K]): () => void {
    const wrapper = ((...args: unknown[]) => {
      this.off(event, wrapper as Events[K]);
      (fn as Handler)(...args);
    }) as Events[K];
    return this.on(event, wrapper);
  }

  off<K extends keyof Events>(event: K, fn: Events[K]): void {
    const set = this.handlers.get(event);
    set?.delete(fn);
    if (set && set.size === 0) this.handlers.delete(event);
  }

  /** Calls every handler; a throwing application handler must not break the SDK's own flow. */
  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  removeAll(): void {
    this.handlers.clear();
  }

  listenerCount(event?: keyof Events): number {
    if (event !== undefined) return this.handlers.get(event)?.size ?? 0;
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }
}
