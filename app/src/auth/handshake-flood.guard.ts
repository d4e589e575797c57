import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { EngineUnavailableError } from '../common/gateway-error';
import { ENGINE, type Engine, type RateDecision } from '../engine/engine.ports';
import { MetricsService } from '../metrics/metrics.service';
import { requestClientIp } from './client-ip';

const WINDOW_MS = 60_000;
/** How long the fleet's last answer for an address may stand in for the next ones. */
const ESTIMATE_TTL_MS = 1000;
/**
 * How long fast-path admissions gather before their charge goes out: one call per address per
 * window. A tenth of ESTIMATE_TTL_MS, the staleness the fast path accepts anyway; what another
 * instance may not have heard of yet stays bounded by the quarter-margin rule in charge(), not by
 * the window. At 250 handshakes a second per instance from a few addresses, a 10 ms window still
 * cost 0.46 script calls and 0.23 Redis round trips per handshake; 100 ms costs a tenth of that.
 */
const CHARGE_WINDOW_MS = 100;
/** How many margins above the limit an address's charges stop gathering for the window. */
const NEAR_LIMIT_MARGINS = 3;
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
 * budget left, is let through at once and its token is charged in the background: one call per
 * address for all the handshakes of a CHARGE_WINDOW_MS window (sooner for a burst from one
 * address), so a NAT or a reconnect storm neither waits a Redis round trip per handshake nor sends
 * one, while the fleet still learns of every admission within the window plus a round trip. Near the limit, or without a
 * fresh answer, each handshake waits for the fleet's decision, so the limit holds exactly for a
 * client that is alone on its address; several instances draining the last margin at once can
 * pass it by what they admit within that second.
 */
@Injectable()
export class HandshakeFloodGuard {
  private logged = new Map<string, number>();
  private estimates = new Map<string, { remaining: number; at: number }>();
  /** Fast-path admissions per address not yet charged to the fleet's bucket. */
  private charges = new Map<string, number>();
  private chargeTimer: NodeJS.Timeout | null = null;
  private chargeSoon: NodeJS.Immediate | null = null;
  /** A failure that is not an outage is a bug: logged with its stack the first time, counted every time. */
  private bugLogged = false;

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
      this.charge(ip, known.remaining);
      return true;
    }
    let decision;
    try {
      decision = await this.consume(ip, now);
    } catch (err) {
      // Fail open: with the store down the auth middleware refuses with UNAVAILABLE, an answer
      // the client can read, instead of an opaque 403 for every handshake. Anything else is a bug
      // that leaves the guard off, which an operator must hear about.
      if (!(err instanceof EngineUnavailableError)) this.reportBug(err);
      return true;
    }
    if (decision.allowed) return true;
    this.metrics.connections.inc({ result: 'rejected', reason: 'ip_flood' });
    this.metrics.authFailures.inc({ reason: 'ip_flood' });
    this.logOnce(ip, now, decision.retryAfterMs);
    return false;
  }

  private reportBug(err: unknown): void {
    this.metrics.errors.inc({ code: 'INTERNAL_ERROR' });
    if (this.bugLogged) return;
    this.bugLogged = true;
    this.logger.error('flood_guard.failed', { err });
  }

  /** Tokens an address must have left for the fast path: a tenth of the budget, at least 10. */
  private get margin(): number {
    return Math.max(10, Math.ceil(this.config.rateLimits.connectPerIp / 10));
  }

  /**
   * An address that gathers a quarter of the margin within the window (a burst from one NAT), or
   * that is within NEAR_LIMIT_MARGINS margins of its limit, is charged in the next turn instead:
   * the other instances must learn of a burst before it can eat the margin they rely on.
   */
  private charge(ip: string, remaining: number): void {
    const count = (this.charges.get(ip) ?? 0) + 1;
    this.charges.set(ip, count);
    // Within a few margins of the limit the window would let the other instances decide on a
    // count that lacks these admissions: charged in the next turn too.
    if (count >= Math.ceil(this.margin / 4) || remaining <= NEAR_LIMIT_MARGINS * this.margin) {
      if (!this.chargeSoon) this.chargeSoon = setImmediate(() => this.flushCharges());
    } else if (!this.chargeTimer) {
      this.chargeTimer = setTimeout(() => this.flushCharges(), CHARGE_WINDOW_MS);
    }
  }

  /**
   * Charges go out together (one write); their answers can lag this instance's own admissions
   * since, so they only ever lower the estimate.
   */
  private flushCharges(): void {
    const batch = this.charges;
    this.charges = new Map();
    if (this.chargeTimer) clearTimeout(this.chargeTimer);
    if (this.chargeSoon) clearImmediate(this.chargeSoon);
    this.chargeTimer = null;
    this.chargeSoon = null;
    const now = this.clock.now();
    for (const [ip, count] of batch) {
      this.engine.rateLimiter.consume(this.bucketOf(ip), this.config.rateLimits.connectPerIp, WINDOW_MS, now, count).then(
        (decision) => {
          const known = this.estimates.get(ip);
          if (known) known.remaining = Math.min(known.remaining, decision.remaining);
        },
        // A charge lost to a store failure lets this address a little further; the next awaited
        // answer is exact again, and the store failure itself is counted by the command metrics.
        () => undefined,
      );
    }
  }

  /** The awaited answer: it replaces the estimate. */
  private async consume(ip: string, now: number): Promise<RateDecision> {
    const decision = await this.engine.rateLimiter.consume(this.bucketOf(ip), this.config.rateLimits.connectPerIp, WINDOW_MS, now);
    if (this.estimates.size >= MAX_ESTIMATES && !this.estimates.has(ip)) this.estimates = new Map();
    this.estimates.set(ip, { remaining: decision.remaining, at: now });
    return decision;
  }

  private bucketOf(ip: string): string {
    return `conn:ip:${ip}`;
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
