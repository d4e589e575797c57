import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { Broadcaster } from '../socket/broadcaster';
import { DrainService } from './drain.service';
import { InstanceHeartbeatService } from './instance-heartbeat.service';

const RESET_EVENT = 'ops:connection-reset';

/** Fleet view and fleet-wide operations (stats, connection reset) for the server API. */
@Injectable()
export class InstanceService implements OnModuleInit {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly heartbeat: InstanceHeartbeatService,
    private readonly broadcaster: Broadcaster,
    private readonly drain: DrainService,
  ) {}

  onModuleInit(): void {
    this.broadcaster.onInstanceEvent(RESET_EVENT, (p) => void this.resetLocal(Number(p.windowMs) || 0));
  }

  async fleetStats(): Promise<{ instances: Array<Record<string, unknown>>; totals: { instances: number; connections: number } }> {
    // This instance answers with fresh numbers; the others with their last heartbeat.
    const alive = await this.engine.instances.alive(this.clock.now());
    const local = { instanceId: this.config.instanceId, ...this.heartbeat.stats(), lastSeen: new Date(this.clock.now()).toISOString() };
    const others = alive
      .filter((i) => i.instanceId !== this.config.instanceId)
      .map((i) => ({ instanceId: i.instanceId, ...i.stats, lastSeen: new Date(i.lastSeen).toISOString() }));
    const instances = [local, ...others].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    const connections = instances.reduce((n, i) => n + (Number((i as { connections?: number }).connections) || 0), 0);
    return { instances, totals: { instances: instances.length, connections } };
  }

  /**
   * Disconnects every socket of the fleet gradually: each instance spreads its own sockets over
   * the window (with `server:draining` so clients reconnect with jitter), without going unready.
   */
  async resetConnections(windowMs: number, dryRun: boolean): Promise<{ dryRun: boolean; instances: number; connections: number; windowMs: number }> {
    const { totals } = await this.fleetStats();
    if (!dryRun) {
      this.broadcaster.toOtherInstances(RESET_EVENT, { windowMs });
      void this.resetLocal(windowMs);
    }
    return { dryRun, instances: totals.instances, connections: totals.connections, windowMs };
  }

  private async resetLocal(windowMs: number): Promise<void> {
    this.logger.info('connections.reset.started', { metadata: { windowMs } });
    const n = await this.drain.spreadDisconnect(windowMs);
    this.logger.info('connections.reset.finished', { metadata: { windowMs, sockets: n } });
  }
}
