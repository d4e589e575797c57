import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { MaintenanceRegistry } from './maintenance.registry';
import { revocationRetentionMs } from '../auth/token-lifetime';

/** Channels looked at per pass: bounds one run's Redis work whatever the number of channels. */
const SCAN_BUDGET = 500;

/**
 * The maintenance plan's storage jobs (presence-prune lives with presence):
 * - history-trim: re-trims histories to HISTORY_MAX_LEN and drops overlays of trimmed messages;
 * - key-expiry: expires marks that carry no TTL (per-user revocations, recently-left marks);
 * - orphan-cleanup: deletes channels idle for CHANNEL_IDLE_DAYS with no members.
 * The scans resume where the previous pass on this instance stopped.
 */
@Injectable()
export class CoreMaintenanceJobs implements OnModuleInit {
  private trimCursor = '0';
  private idleCursor = '0';

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    private readonly registry: MaintenanceRegistry,
  ) {}

  onModuleInit(): void {
    const intervalMs = this.config.maintenanceIntervalMs;
    this.registry.register({
      name: 'history-trim',
      intervalMs,
      run: async () => {
        const page = await this.engine.housekeeping.trimHistories(this.config.historyMaxLen, this.trimCursor, SCAN_BUDGET);
        this.trimCursor = page.cursor;
        return page;
      },
    });
    this.registry.register({
      name: 'key-expiry',
      intervalMs,
      run: (now) => this.engine.housekeeping.expireKeys(now, {
        revocationRetentionMs: revocationRetentionMs(this.config),
        leftRetentionMs: this.config.rejoinGraceMs,
      }),
    });
    this.registry.register({
      name: 'orphan-cleanup',
      intervalMs,
      run: async (now) => {
        const page = await this.engine.housekeeping.dropIdleChannels(now, this.config.channelIdleMs, this.idleCursor, SCAN_BUDGET);
        this.idleCursor = page.cursor;
        return page;
      },
    });
  }
}
