type Handler = (...args: any[]) => void;

/** A small typed event emitter (Node's `events` module is not available in browsers). */
export class TypedEmitter<Events extends { [K in keyof Events]: Handler }> {
  /** Per event: the handler the application passed → the function actually called (a wrapper for `once`). */
  private readonly handlers = new Map<keyof Events, Map<Handler, Handler>>();

  on<K extends keyof Events>(event: K, fn: Events[K]): () => void {
    return this.add(event, fn, fn);
  }

  once<K extends keyof Events>(event: K, fn: Events[K]): () => void {
    const wrapper = (...args: unknown[]) => {
      this.off(event, fn);
      (fn as Handler)(...args);
    };
    return this.add(event, fn, wrapper);
  }

  /** Removes `fn`, whether it was added with `on` or `once` (keyed by the application's function). */
  off<K extends keyof Events>(event: K, fn: Events[K]): void {
    const map = this.handlers.get(event);
    map?.delete(fn);
    if (map && map.size === 0) this.handlers.delete(event);
  }

  /** Calls every handler; a throwing application handler must not break the SDK's own flow. */
  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const map = this.handlers.get(event);
    if (!map) return;
    for (const fn of [...map.values()]) {
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
    for (const map of this.handlers.values()) n += map.size;
    return n;
  }

  private add<K extends keyof Events>(event: K, fn: Events[K], call: Handler): () => void {
    let map = this.handlers.get(event);
    if (!map) this.handlers.set(event, (map = new Map()));
    map.set(fn, call);
    return () => this.off(event, fn);
  }
}
