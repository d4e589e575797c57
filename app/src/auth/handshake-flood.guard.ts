import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine, type RateDecision } from '../engine/engine.ports';
import { MetricsService } from '../metrics/metrics.service';
import { requestClientIp } from './client-ip';

const WINDOW_MS = 60_000;
/** How long the fleet's last answer for an address may stand in for the next ones. */
const ESTIMATE_TTL_MS = 1000;
/** Addresses with a remembered answer; bounded like MAX_LOGGED. */
const MAX_ESTIMATES = 10_000;
/** Addresses whose refusal was already logged this window; bounded so a spoofed-source flood cannot grow it. */
const MAX_LOGGED = 10_000;

/**
 * The per-IP flood guard, run from Engine.IO's `allowRequest`: only requests that would open a
 * new Engine.IO session reach it, and a refused one is answered before any session, buffer or
 * timer exists (HTTP 403 `{"code":4,"message":"RATE_LIMITED"}` for polling, 400 `RATE_LIMITED`
 * for a WebSocket upgrade). The budget is fleet-wide (the engine's rate limiter) and sized for
 * NAT; limits that protect a user are per user (RATE_LIMIT_CONNECT_PER_USER in AuthMiddleware).
 *
 * An address the fleet answered for less than ESTIMATE_TTL_MS ago, with more than a margin of its
 * budget left, is let through at once and its token is taken in the background: a NAT or a
 * reconnect storm does not wait a Redis round trip per handshake. Near the limit, or without a
 * fresh answer, each handshake waits for the fleet's decision, so the limit holds exactly for a
 * client that is alone on its address; several instances draining the last margin at once can
 * pass it by what they admit within that second.
 */
@Injectable()
export class HandshakeFloodGuard {
  private logged = new Map<string, number>();
  private estimates = new Map<string, { remaining: number; at: number }>();

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
    const known = this.estimates.get(ip);
    if (known && now - known.at < ESTIMATE_TTL_MS && known.remaining > this.margin) {
      known.remaining--;
      this.consume(ip, now, false).catch(() => undefined);
      return true;
    }
    let decision;
    try {
      decision = await this.consume(ip, now, true);
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

  /** Tokens an address must have left for the fast path: a tenth of the budget, at least 10. */
  private get margin(): number {
    return Math.max(10, Math.ceil(this.config.rateLimits.connectPerIp / 10));
  }

  /**
   * Background answers can arrive out of order and lag this instance's own admissions, so they
   * only ever lower the estimate; an awaited answer replaces it.
   */
  private async consume(ip: string, now: number, awaited: boolean): Promise<RateDecision> {
    const decision = await this.engine.rateLimiter.consume(`conn:ip:${ip}`, this.config.rateLimits.connectPerIp, WINDOW_MS, now);
    const known = this.estimates.get(ip);
    if (!awaited && known) {
      known.remaining = Math.min(known.remaining, decision.remaining);
      return decision;
    }
    if (this.estimates.size >= MAX_ESTIMATES && !known) this.estimates = new Map();
    this.estimates.set(ip, { remaining: decision.remaining, at: now });
    return decision;
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
