import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig, type RateLimits } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import { ENGINE, type Engine } from '../engine/engine.ports';

const WINDOW_MS = 60_000;

/** Per-user, per-event limits; buckets live in the engine so they hold across instances. */
@Injectable()
export class RateLimitService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Throws RATE_LIMITED (with retryAfterMs) when the user has used up the event's budget. */
  async check(userId: string, event: string): Promise<void> {
    const bucket: keyof RateLimits = event in this.config.rateLimits ? (event as keyof RateLimits) : 'default';
    const capacity = this.config.rateLimits[bucket];
    const decision = await this.engine.rateLimiter.consume(`u:${userId}:${bucket === 'default' ? event : bucket}`, capacity, WINDOW_MS, this.clock.now());
    if (!decision.allowed) {
      throw new GatewayError('RATE_LIMITED', `too many ${event} events; retry later`, decision.retryAfterMs);
    }
  }
}
