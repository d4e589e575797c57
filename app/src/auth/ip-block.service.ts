import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine, type IpBlock } from '../engine/engine.ports';
import { IpRulesService } from './ip-rules.service';

/** Run-time IP blocks (server API, ops CLI); every instance picks them up within a second. */
@Injectable()
export class IpBlockService {
  constructor(
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly rules: IpRulesService,
  ) {}

  async block(cidr: string, ttlSeconds: number | null): Promise<IpBlock> {
    const now = this.clock.now();
    await this.engine.ipBlocks.block(cidr, ttlSeconds, now);
    await this.rules.refresh();
    this.logger.info('ip.blocked', { metadata: { cidr, ttlSeconds } });
    return { cidr, expiresAt: ttlSeconds ? now + ttlSeconds * 1000 : null };
  }

  async unblock(cidr: string): Promise<boolean> {
    const removed = await this.engine.ipBlocks.unblock(cidr);
    await this.rules.refresh();
    this.logger.info('ip.unblocked', { metadata: { cidr, removed } });
    return removed;
  }

  list(): Promise<IpBlock[]> {
    return this.engine.ipBlocks.list(this.clock.now());
  }
}
