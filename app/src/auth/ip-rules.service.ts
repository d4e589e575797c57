import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { BlockList } from 'node:net';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { buildBlockList, isBlocked } from './ip-rules';

/** How stale the dynamic blocklist may be on an instance; blocks apply fleet-wide within it. */
const REFRESH_MS = 1000;

/**
 * IP rules = the static IP_BLOCKLIST plus blocks added at run time through the server API
 * (stored in the engine so every instance applies them). The handshake path reads a cached
 * BlockList so that a connection attempt never waits on the store for this.
 */
@Injectable()
export class IpRulesService implements OnModuleDestroy {
  private dynamic: BlockList = buildBlockList([]);
  private readonly fixed: BlockList;
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.fixed = buildBlockList(config.ipBlocklist);
  }

  async isBlocked(ip: string): Promise<boolean> {
    if (isBlocked(this.fixed, ip)) return true;
    if (this.clock.now() - this.loadedAt > REFRESH_MS) await this.refresh().catch(() => undefined);
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
        })
        .finally(() => {
          this.loading = null;
        });
    }
    return this.loading;
  }

  onModuleDestroy(): void {
    this.loading = null;
  }
}
