import { readdir } from 'node:fs/promises';
import { Gauge, type Registry } from 'prom-client';

/** How often the gauge is refreshed; Prometheus scrapes every 15–30 s. */
export const OPEN_FDS_INTERVAL_MS = 10_000;

/**
 * `process_open_fds`, as prom-client's default collector names it, but read off the event loop:
 * the default lists /proc/self/fd synchronously on every scrape, which at 10,000 sockets held the
 * event loop for tens of milliseconds (a delivery latency spike per scrape). Here a timer lists it
 * asynchronously (in libuv's thread pool) and a scrape only reads the last count. Linux only, as
 * the default collector is.
 */
export class OpenFdsGauge {
  private timer: NodeJS.Timeout | null = null;

  constructor(registry: Registry, intervalMs = OPEN_FDS_INTERVAL_MS) {
    if (process.platform !== 'linux') return;
    const gauge = new Gauge({ name: 'process_open_fds', help: 'Number of open file descriptors.', registers: [registry] });
    // The listing holds one descriptor of its own while it runs. A failed listing (descriptors
    // exhausted) keeps the last count: the gauge must not fail the scrape or the timer.
    const read = () => readdir('/proc/self/fd').then((entries) => gauge.set(entries.length - 1), () => undefined);
    void read();
    this.timer = setInterval(read, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
