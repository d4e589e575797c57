import { loadConfig } from '../../src/config/config';
import { JsonLogger } from '../../src/common/logger';
import { startGateway, type RunningGateway } from '../../src/bootstrap';
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
export async function startTestGateway(env: Record<string, string> = {}, logs = new CapturedLogs()): Promise<RunningGateway & { logs: CapturedLogs }> {
  const config = loadConfig({ JWT_SECRET: TEST_SECRET, PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'debug', ...env });
  const gw = await startGateway(config, { logger: logs.logger, defaultMetrics: false });
  return Object.assign(gw, { logs });
}
