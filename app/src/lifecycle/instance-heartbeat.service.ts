import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { ConnectionGuardService } from '../auth/connection-guard.service';
import { MetricsService } from '../metrics/metrics.service';
import { Broadcaster } from '../socket/broadcaster';
import { buildInfo } from '../build-info';

/**
 * A heartbeat lapses after 1.5 intervals; the presence-prune sweep runs every half interval, so a
 * SIGKILLed instance is cleaned up within 2 intervals of its last heartbeat.
 */
export const HEARTBEAT_TTL_FACTOR = 1.5;

/** Tells the fleet this instance is alive, with the stats `GET /api/v1/stats` shows. */
@Injectable()
export class InstanceHeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt: number;
  private readonly version: string;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly guard: ConnectionGuardService,
    private readonly broadcaster: Broadcaster,
    private readonly metrics: MetricsService,
  ) {
    this.startedAt = clock.now();
    this.version = buildInfo(config.buildCommit).version;
  }

  onApplicationBootstrap(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.config.heartbeatMs);
    this.timer.unref();
  }

  stats(): Record<string, unknown> {
    const rooms = this.broadcaster.roomCount();
    this.metrics.rooms.set(rooms);
    return {
      connections: this.guard.count,
      rooms,
      uptimeSec: Math.round((this.clock.now() - this.startedAt) / 1000),
      version: this.version,
      draining: this.guard.draining,
      startedAt: new Date(this.startedAt).toISOString(),
    };
  }

  async beat(): Promise<void> {
    try {
      await this.engine.instances.heartbeat(this.config.instanceId, this.stats(), this.clock.now(), this.config.heartbeatMs * HEARTBEAT_TTL_FACTOR);
    } catch (err) {
      this.logger.warn('heartbeat.failed', { metadata: { message: (err as Error).message } });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // A clean exit leaves nothing to prune; an unreachable store is the prune job's business.
    await this.engine.instances.forget(this.config.instanceId).catch(() => undefined);
  }
}
