import './tracing/register';
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config';
import { JsonLogger } from './common/logger';
import { startGateway } from './bootstrap';
import { stopTracing } from './tracing/tracing';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = new JsonLogger(config.logLevel);
  const gateway = await startGateway(config, { logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn('shutdown.forced', { metadata: { signal } });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutdown.started', { metadata: { signal } });
    gateway.drainAndClose(signal).then(
      () => stopTracing().then(() => process.exit(0)),
      (err) => {
        logger.error('shutdown.failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`${JSON.stringify({ timestamp: new Date().toISOString(), level: 'error', event: 'gateway.start_failed', metadata: { message: String(err?.message ?? err), stack: err?.stack } })}\n`);
  process.exit(1);
});
