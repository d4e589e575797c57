import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { ConnectionGuardService } from '../auth/connection-guard.service';

/** Liveness and readiness for Kubernetes probes (README "Health"). */
@Controller()
export class HealthController {
  constructor(
    @Inject(ENGINE) private readonly engine: Engine,
    private readonly guard: ConnectionGuardService,
  ) {}

  /** Answers while the process and its event loop respond; it checks nothing external on purpose. */
  @Get('healthz')
  @HttpCode(200)
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() res: Response) {
    const reason = await this.notReadyReason();
    if (reason) res.status(503).json({ status: 'not_ready', reason });
    else res.status(200).json({ status: 'ready', connections: this.guard.count });
  }

  private async notReadyReason(): Promise<string | null> {
    if (this.guard.draining) return 'draining';
    if (this.guard.aboveHighWater) return 'connection_high_water';
    try {
      await this.engine.ping();
    } catch {
      // The reason is the answer: readiness reports it, and the engine logs its own connection errors.
      return 'engine_unreachable';
    }
    return null;
  }
}
