import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { MaintenanceRegistry } from '../maintenance/maintenance.registry';
import { Broadcaster } from '../socket/broadcaster';
import { PresenceCoalescer } from './presence-coalescer';
import { PresenceService } from './presence.service';
import { WebhookService } from '../webhooks/webhook.service';

export interface ReconcileCounts { added: number; removed: number }
export interface FleetReconcileResult extends ReconcileCounts {
  dryRun: boolean;
  /** Instances that reconciled (this one included). */
  instances: number;
  /** False when some instance did not answer in time (its sockets were not re-registered). */
  complete: boolean;
  /** Sockets removed because they belonged to instances that are not alive. */
  orphaned: number;
}

/**
 * Keeps presence true to the sockets really connected:
 * - `presence-prune` (every PRESENCE_HEARTBEAT_MS / 2, one instance at a time): instances whose
 *   heartbeat lapsed (SIGKILL, crash) lose their presence entries and channel memberships; their
 *   users are announced offline and `channel:member_left`, then the instance is forgotten. A
 *   heartbeat lapses after 1.5 intervals, so this happens within 2 intervals of the last beat.
 * - reconcile: every instance re-asserts its live sockets once per heartbeat interval (entries
 *   lost to a Redis restart come back, entries of sockets long gone are removed); the ops
 *   endpoint runs it on every instance at once and also drops entries of instances not alive.
 */
@Injectable()
export class PresenceMaintenanceService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private reconciling: Promise<ReconcileCounts> | null = null;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly registry: MaintenanceRegistry,
    private readonly broadcaster: Broadcaster,
    private readonly presence: PresenceService,
    private readonly coalescer: PresenceCoalescer,
    private readonly webhooks: WebhookService,
  ) {}

  onModuleInit(): void {
    this.registry.register({ name: 'presence-prune', intervalMs: Math.max(100, Math.floor(this.config.heartbeatMs / 2)), run: (now) => this.pruneLapsed(now) });
    this.broadcaster.answerOthers('presence:reconcile', (p) => this.reconcileLocal(p.dryRun === true));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.reconcileLocal(false).catch((err) => this.logger.warn('presence.reconcile_failed', { err }));
    }, this.config.heartbeatMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The `presence-prune` job: prunes every lapsed instance but this one. */
  async pruneLapsed(now: number): Promise<Record<string, unknown>> {
    // This instance lapses only when its own heartbeats failed (store outage); it is alive, so its
    // entries stay and the next heartbeat refreshes it.
    const lapsed = (await this.engine.instances.lapsed(now)).filter((id) => id !== this.config.instanceId);
    let memberships = 0;
    let sockets = 0;
    let offline = 0;
    for (const instanceId of lapsed) {
      const m = await this.engine.membership.pruneInstance(instanceId, now);
      const p = await this.engine.presence.pruneInstance(instanceId, now);
      for (const { channelId, userId } of m.lastForUser) {
        this.coalescer.member(channelId, userId, false);
        this.webhooks.memberLeft(channelId, userId);
      }
      for (const u of p.wentOffline) {
        if (u.status !== 'invisible') this.presence.announce(u.userId, u.status, 'offline', u.lastSeen, u.channels);
        this.presence.webhookOffline(u.userId, u.lastSeen);
      }
      await this.engine.instances.forget(instanceId);
      memberships += m.removed;
      sockets += p.removed;
      offline += p.wentOffline.length;
      this.logger.info('presence.instance_pruned', { metadata: { instanceId, memberships: m.removed, sockets: p.removed, offline: p.wentOffline.length } });
    }
    return { instances: lapsed.length, memberships, sockets, offline };
  }

  /** Re-registers this instance's live sockets and removes its entries of sockets that are gone. */
  reconcileLocal(dryRun: boolean): Promise<ReconcileCounts> {
    if (dryRun) return this.diffLocal(true);
    // Ticks and ops requests share one run at a time.
    this.reconciling ??= this.diffLocal(false).finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  /** The ops endpoint: every instance reconciles, and entries of instances not alive are dropped. */
  async reconcileFleet(dryRun: boolean): Promise<FleetReconcileResult> {
    const [local, others] = await Promise.all([this.reconcileLocal(dryRun), this.broadcaster.requestOthers('presence:reconcile', { dryRun })]);
    const answers = others.responses.filter((r): r is ReconcileCounts => typeof r === 'object' && r !== null && 'added' in r);
    let added = local.added;
    let removed = local.removed;
    for (const a of answers) {
      added += Number(a.added) || 0;
      removed += Number(a.removed) || 0;
    }
    const orphaned = await this.dropOrphans(dryRun);
    const result = { dryRun, added, removed: removed + orphaned, instances: 1 + answers.length, complete: others.complete, orphaned };
    this.logger.info('presence.reconciled', { metadata: { ...result } });
    return result;
  }

  private async diffLocal(dryRun: boolean): Promise<ReconcileCounts> {
    const stored = await this.engine.presence.instanceSockets(this.config.instanceId);
    // The local snapshot is taken after the read: a socket that connected meanwhile is re-added
    // (idempotent) rather than missed, and one that left meanwhile is removed by one side only.
    const live = this.presence.localSockets();
    const storedKeys = new Set(stored.map((s) => s.socketKey));
    const missing = [...live].filter(([socketKey]) => !storedKeys.has(socketKey));
    const stale = stored.filter((s) => !live.has(s.socketKey));
    if (!dryRun) {
      const now = this.clock.now();
      for (const [socketKey, userId] of missing) {
        const t = await this.engine.presence.connect(userId, socketKey, now);
        if (t.first && t.status !== 'invisible') this.presence.announce(userId, 'offline', t.status, t.lastSeen, []);
        if (t.first) this.presence.webhookOnline(userId, t.status);
      }
      for (const { userId, socketKey } of stale) {
        const t = await this.engine.presence.disconnect(userId, socketKey, now);
        if (t.last && t.status !== 'invisible') this.presence.announce(userId, t.status, 'offline', t.lastSeen, t.channels);
        if (t.last) this.presence.webhookOffline(userId, t.lastSeen);
      }
    }
    if (missing.length + stale.length > 0) this.logger.info('presence.reconciled_local', { metadata: { dryRun, added: missing.length, removed: stale.length } });
    return { added: missing.length, removed: stale.length };
  }

  /** Entries (presence and memberships) held for instances that are not alive and were not pruned. */
  private async dropOrphans(dryRun: boolean): Promise<number> {
    const now = this.clock.now();
    const alive = new Set((await this.engine.instances.alive(now)).map((i) => i.instanceId));
    alive.add(this.config.instanceId);
    let removed = 0;
    for (const instanceId of await this.engine.presence.instancesWithSockets()) {
      if (alive.has(instanceId)) continue;
      if (dryRun) {
        removed += (await this.engine.presence.instanceSockets(instanceId)).length;
        continue;
      }
      const m = await this.engine.membership.pruneInstance(instanceId, now);
      const p = await this.engine.presence.pruneInstance(instanceId, now);
      for (const { channelId, userId } of m.lastForUser) this.coalescer.member(channelId, userId, false);
      for (const u of p.wentOffline) {
        if (u.status !== 'invisible') this.presence.announce(u.userId, u.status, 'offline', u.lastSeen, u.channels);
      }
      removed += p.removed;
    }
    return removed;
  }
}
