import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ConnectionGuardService } from '../auth/connection-guard.service';
import { Broadcaster } from '../socket/broadcaster';
import { ShutdownHooks } from './shutdown-hooks';

/** Batches per second while draining: small batches keep the reconnect load on the others smooth. */
const BATCHES_PER_SECOND = 10;
/** Clients wait up to this long (random) before reconnecting, so one batch does not arrive at once. */
const RECONNECT_JITTER_MS = 1000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Graceful drain, as documented in the README ("Graceful shutdown"):
 * 1. readiness 503 and new handshakes refused, at once;
 * 2. wait DRAIN_DELAY_MS so load balancers stop sending new clients;
 * 3. tell sockets `server:draining { reconnectInMs }` and disconnect them in batches spread over
 *    DRAIN_WINDOW_MS, so they reconnect elsewhere without a thundering herd;
 * 4. flush batched work (ShutdownHooks); the caller then closes the server, adapter and engine.
 */
@Injectable()
export class DrainService {
  private running: Promise<void> | null = null;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly guard: ConnectionGuardService,
    private readonly broadcaster: Broadcaster,
    private readonly hooks: ShutdownHooks,
  ) {}

  drain(reason: string, random: () => number = Math.random): Promise<void> {
    this.running ??= this.run(reason, random);
    return this.running;
  }

  get started(): boolean {
    return this.running !== null;
  }

  /**
   * Tells this instance's sockets to reconnect and disconnects them in small batches spread over
   * `windowMs` (also used by the fleet-wide connection reset). Returns how many there were.
   */
  async spreadDisconnect(windowMs: number, random: () => number = Math.random): Promise<number> {
    const ids = this.broadcaster.localSocketIds();
    const batches = Math.max(1, Math.min(ids.length, Math.ceil((windowMs / 1000) * BATCHES_PER_SECOND)));
    const perBatch = Math.ceil(ids.length / batches);
    const gapMs = batches > 1 ? windowMs / batches : 0;
    for (let b = 0; b < batches && ids.length > 0; b++) {
      const batch = ids.slice(b * perBatch, (b + 1) * perBatch);
      for (const id of batch) {
        this.broadcaster.toSocket(id, 'server:draining', { reconnectInMs: Math.floor(random() * RECONNECT_JITTER_MS) });
      }
      // Sockets that already left (client-side reconnect) are skipped by disconnectLocal.
      this.broadcaster.disconnectLocal(batch);
      if (b < batches - 1) await sleep(gapMs);
    }
    return ids.length;
  }

  private async run(reason: string, random: () => number): Promise<void> {
    const started = this.clock.now();
    this.guard.startDraining(started);
    this.logger.info('drain.started', { metadata: { reason, sockets: this.guard.count, delayMs: this.config.drainDelayMs, windowMs: this.config.drainWindowMs } });
    await sleep(this.config.drainDelayMs);

    const sockets = await this.spreadDisconnect(this.config.drainWindowMs, random);
    await this.hooks.flushAll((name, err) => this.logger.error('drain.flush_failed', { metadata: { hook: name }, err }));
    this.logger.info('drain.finished', { metadata: { reason, sockets, tookMs: this.clock.now() - started } });
  }
}
