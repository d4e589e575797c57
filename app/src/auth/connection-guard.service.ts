import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { GatewayError } from '../common/gateway-error';
import { MetricsService } from '../metrics/metrics.service';

/** Readiness turns false at this share of MAX_CONNECTIONS so the balancer steers new clients away first. */
export const READINESS_HIGH_WATER = 0.95;

/**
 * Counts this instance's sockets and decides whether a new handshake may proceed: refused
 * while draining or at MAX_CONNECTIONS, with UNAVAILABLE so clients retry (elsewhere).
 */
@Injectable()
export class ConnectionGuardService {
  private connected = 0;
  private drainingSince: number | null = null;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: MetricsService,
  ) {
    metrics.maxConnections.set(config.maxConnections);
    metrics.draining.set(0);
    metrics.drainBudget.set((config.drainDelayMs + config.drainWindowMs) / 1000);
  }

  /** Returns the refusal, or null when the handshake may continue. */
  admit(): GatewayError | null {
    if (this.drainingSince !== null) return new GatewayError('UNAVAILABLE', 'instance is draining; reconnect', 1000);
    if (this.connected >= this.config.maxConnections) {
      return new GatewayError('UNAVAILABLE', 'instance at its connection limit; retry', 1000);
    }
    return null;
  }

  opened(): void {
    this.connected++;
    this.metrics.connectedSockets.set(this.connected);
  }

  closed(): void {
    this.connected = Math.max(0, this.connected - 1);
    this.metrics.connectedSockets.set(this.connected);
  }

  get count(): number {
    return this.connected;
  }

  get aboveHighWater(): boolean {
    return this.connected >= Math.floor(this.config.maxConnections * READINESS_HIGH_WATER);
  }

  startDraining(now: number): void {
    if (this.drainingSince === null) this.drainingSince = now;
    this.metrics.draining.set(1);
    this.metrics.drainStartedAt = this.drainingSince;
  }

  get draining(): boolean {
    return this.drainingSince !== null;
  }
}
