import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig, type RateLimits } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import { ENGINE, type Engine, type RateBudget } from '../engine/engine.ports';

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
    const b = this.budget(userId, event);
    const decision = await this.engine.rateLimiter.consume(b.key, b.capacity, b.windowMs, this.clock.now());
    if (!decision.allowed) throw this.refusal(event, decision.retryAfterMs);
  }

  /** The bucket an event draws from, for engine calls that consume it in their own step (message:send). */
  budget(userId: string, event: string): RateBudget {
    const bucket: keyof RateLimits = event in this.config.rateLimits ? (event as keyof RateLimits) : 'default';
    return { key: `u:${userId}:${bucket === 'default' ? event : bucket}`, capacity: this.config.rateLimits[bucket], windowMs: WINDOW_MS };
  }

  refusal(event: string, retryAfterMs: number): GatewayError {
    return new GatewayError('RATE_LIMITED', `too many ${event} events; retry later`, retryAfterMs);
  }
}
