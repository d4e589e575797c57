import { loadConfig } from '../../src/config/config';
import { JsonLogger } from '../../src/common/logger';
import { startGateway, type RunningGateway } from '../../src/bootstrap';
import type { Clock } from '../../src/common/clock';
import { TEST_SECRET } from './tokens';

/** Lines the gateway logged during a test, parsed (for assertions on logs). */
export class CapturedLogs {
  readonly lines: string[] = [];
  readonly logger = new JsonLogger('debug', (line) => this.lines.push(line));
  parsed(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l));
  }
}

/** Boots a real gateway in this process on free ports, configured like production through env. */
export async function startTestGateway(env: Record<string, string> = {}, logs = new CapturedLogs(), clock?: Clock): Promise<RunningGateway & { logs: CapturedLogs }> {
  // Suites reuse a few user ids across many cases; the per-user connection limit has its own
  // suite (security/connection-limits.spec.ts), which sets it (an empty value means the default).
  const config = loadConfig({ JWT_SECRET: TEST_SECRET, PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'debug', RATE_LIMIT_CONNECT_PER_USER: '100000', ...env });
  const gw = await startGateway(config, { logger: logs.logger, defaultMetrics: false, clock });
  return Object.assign(gw, { logs });
}
