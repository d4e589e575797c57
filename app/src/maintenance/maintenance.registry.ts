import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { MetricsService } from '../metrics/metrics.service';

export interface MaintenanceJob {
  /** kebab-case; the `job` label of the maintenance metrics and the ops CLI argument. */
  name: string;
  intervalMs: number;
  /** Does one bounded pass; returns what it did (logged and returned by on-demand runs). */
  run(now: number): Promise<object>;
}

export type RunResult = { job: string; result: 'success' | 'failure' | 'skipped'; details?: object; error?: string };

/**
 * Runs registered jobs on their interval, one instance at a time: each run holds a lease in the
 * engine (LockStore) for at most its interval, so a dead holder blocks the job for one interval.
 */
@Injectable()
export class MaintenanceRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly jobs = new Map<string, MaintenanceJob>();
  private readonly timers: NodeJS.Timeout[] = [];
  private started = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly metrics: MetricsService,
  ) {}

  register(job: MaintenanceJob): void {
    if (this.jobs.has(job.name)) throw new Error(`maintenance job ${job.name} registered twice`);
    this.jobs.set(job.name, job);
    this.metrics.registerMaintenanceJob(job.name, job.intervalMs);
    if (this.started) this.schedule(job);
  }

  names(): string[] {
    return [...this.jobs.keys()].sort();
  }

  onApplicationBootstrap(): void {
    this.started = true;
    for (const job of this.jobs.values()) this.schedule(job);
  }

  onApplicationShutdown(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  /** Runs a job now (ops CLI `run-maintenance`), still under its lock. */
  async runNow(name: string): Promise<RunResult> {
    const job = this.jobs.get(name);
    if (!job) throw new GatewayError('NOT_FOUND', `no maintenance job ${name}; jobs: ${this.names().join(', ')}`);
    return this.runOnce(job);
  }

  async runAll(): Promise<RunResult[]> {
    const out: RunResult[] = [];
    for (const job of this.jobs.values()) out.push(await this.runOnce(job));
    return out;
  }

  private schedule(job: MaintenanceJob): void {
    const t = setInterval(() => void this.runOnce(job), job.intervalMs);
    t.unref();
    this.timers.push(t);
  }

  private async runOnce(job: MaintenanceJob): Promise<RunResult> {
    const owner = this.config.instanceId;
    const lock = `maintenance:${job.name}`;
    let acquired = false;
    try {
      acquired = await this.engine.locks.acquire(lock, owner, job.intervalMs);
    } catch (err) {
      return this.record(job.name, 'failure', undefined, err);
    }
    if (!acquired) return this.record(job.name, 'skipped');
    try {
      const details = await job.run(this.clock.now());
      return this.record(job.name, 'success', details);
    } catch (err) {
      return this.record(job.name, 'failure', undefined, err);
    } finally {
      // The lease expires on its own; a failed release only delays the next run, and the job's own
      // outcome (recorded above) is what the operator needs to see.
      await this.engine.locks.release(lock, owner).catch(() => undefined);
    }
  }

  private record(job: string, result: RunResult['result'], details?: object, err?: unknown): RunResult {
    this.metrics.maintenanceRuns.inc({ job, result });
    if (result === 'success') {
      this.metrics.maintenanceLastSuccess.set({ job }, this.clock.now() / 1000);
      this.logger.debugEvent('maintenance.run', { metadata: { job, ...details } });
    }
    if (result === 'failure') this.logger.warn('maintenance.failed', { metadata: { job }, err });
    return { job, result, ...(details ? { details } : {}), ...(err ? { error: (err as Error).message } : {}) };
  }
}
