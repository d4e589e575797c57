import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { MetricsService } from '../metrics/metrics.service';
import { requestClientIp } from './client-ip';

const WINDOW_MS = 60_000;
/** Addresses whose refusal was already logged this window; bounded so a spoofed-source flood cannot grow it. */
const MAX_LOGGED = 10_000;

/**
 * The per-IP flood guard, run from Engine.IO's `allowRequest`: only requests that would open a
 * new Engine.IO session reach it, and a refused one is answered before any session, buffer or
 * timer exists (HTTP 403 `{"code":4,"message":"RATE_LIMITED"}` for polling, 400 `RATE_LIMITED`
 * for a WebSocket upgrade). The budget is fleet-wide (the engine's rate limiter) and sized for
 * NAT; limits that protect a user are per user (RATE_LIMIT_CONNECT_PER_USER in AuthMiddleware).
 */
@Injectable()
export class HandshakeFloodGuard {
  private logged = new Map<string, number>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly metrics: MetricsService,
  ) {}

  /** Resolves true when the handshake may open a session. */
  async allow(req: IncomingMessage): Promise<boolean> {
    const ip = requestClientIp(req, this.config.trustProxy);
    const now = this.clock.now();
    let decision;
    try {
      decision = await this.engine.rateLimiter.consume(`conn:ip:${ip}`, this.config.rateLimits.connectPerIp, WINDOW_MS, now);
    } catch {
      // Fail open: with the store down the auth middleware refuses with UNAVAILABLE, an answer
      // the client can read, instead of an opaque 403 for every handshake.
      return true;
    }
    if (decision.allowed) return true;
    this.metrics.connections.inc({ result: 'rejected', reason: 'ip_flood' });
    this.metrics.authFailures.inc({ reason: 'ip_flood' });
    this.logOnce(ip, now, decision.retryAfterMs);
    return false;
  }

  /** One warning per address per window: a flood must not turn into a flood of log lines. */
  private logOnce(ip: string, now: number, retryAfterMs: number | undefined): void {
    const until = this.logged.get(ip);
    if (until !== undefined && until > now) return;
    if (this.logged.size >= MAX_LOGGED) this.logged = new Map();
    this.logged.set(ip, now + WINDOW_MS);
    this.logger.warn('connection.refused', {
      metadata: { reason: 'ip_flood', code: 'RATE_LIMITED', ip, limitPerMinute: this.config.rateLimits.connectPerIp, retryAfterMs },
    });
  }
}
