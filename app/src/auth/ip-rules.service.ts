import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { BlockList } from 'node:net';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { LOGGER, type JsonLogger } from '../common/logger';
import { MetricsService } from '../metrics/metrics.service';
import { buildBlockList, isBlocked } from './ip-rules';

/** How stale the dynamic blocklist may be on an instance; blocks apply fleet-wide within it. */
const REFRESH_MS = 1000;

/**
 * IP rules = the static IP_BLOCKLIST plus blocks added at run time through the server API
 * (stored in the engine so every instance applies them). The handshake path reads a cached
 * BlockList, reloaded every REFRESH_MS by a timer, so a connection attempt never waits on the
 * store for this (only the very first one, before any list was loaded).
 */
@Injectable()
export class IpRulesService implements OnModuleInit, OnModuleDestroy {
  private dynamic: BlockList = buildBlockList([]);
  private readonly fixed: BlockList;
  private loadedAt = 0;
  private loading: Promise<void> | null = null;
  /** True while refreshes fail: logged once per failure streak, counted every time. */
  private stale = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly metrics: MetricsService,
  ) {
    this.fixed = buildBlockList(config.ipBlocklist);
  }

  async isBlocked(ip: string): Promise<boolean> {
    if (isBlocked(this.fixed, ip)) return true;
    if (this.loadedAt === 0) await this.reload();
    return isBlocked(this.dynamic, ip);
  }

  /** Reloads the dynamic list now (after a block is added on this instance). */
  refresh(): Promise<void> {
    if (!this.loading) {
      this.loading = this.engine.ipBlocks
        .list(this.clock.now())
        .then((blocks) => {
          this.dynamic = buildBlockList(blocks.map((b) => b.cidr));
          this.loadedAt = this.clock.now();
          if (this.stale) this.logger.info('ip_blocks.refreshed');
          this.stale = false;
        })
        .finally(() => {
          this.loading = null;
        });
    }
    return this.loading;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.reload(), REFRESH_MS);
    this.timer.unref();
  }

  /**
   * A failed refresh keeps the last list (failing open on every handshake would be worse), but
   * says so: an operator must know that run-time blocks may be stale.
   */
  private reload(): Promise<void> {
    return this.refresh().catch((err) => this.reportStale(err));
  }

  private reportStale(err: unknown): void {
    this.metrics.errors.inc({ code: 'UNAVAILABLE' });
    if (this.stale) return;
    this.stale = true;
    this.logger.warn('ip_blocks.stale', { metadata: { loadedAt: this.loadedAt ? new Date(this.loadedAt).toISOString() : null }, err });
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.loading = null;
  }
}
