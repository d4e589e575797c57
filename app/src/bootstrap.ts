import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import type { GatewayConfig } from './config/config';
import type { Clock } from './common/clock';
import { JsonLogger } from './common/logger';
import { createEngine } from './engine/engine.factory';
import type { Engine } from './engine/engine.ports';
import { MetricsService } from './metrics/metrics.service';
import { GatewayIoAdapter } from './socket/gateway-io.adapter';
import { buildInfo } from './build-info';
import { activeTraceId } from './tracing/spans';
import { DrainService } from './lifecycle/drain.service';

export interface RunningGateway {
  app: INestApplication;
  engine: Engine;
  logger: JsonLogger;
  metrics: MetricsService;
  config: GatewayConfig;
  /** The public port actually bound (differs from config.port when it is 0). */
  port: number;
  metricsPort: number;
  url: string;
  /** Graceful drain (see DrainService), then close. */
  drainAndClose(reason: string): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: JsonLogger;
  clock?: Clock;
  /** Tests pass false: Node's default metrics register process-wide collectors. */
  defaultMetrics?: boolean;
}

/** Builds and starts one gateway instance: engine first, then Nest, the adapter, the listeners. */
export async function startGateway(config: GatewayConfig, opts: StartOptions = {}): Promise<RunningGateway> {
  const logger = opts.logger ?? new JsonLogger(config.logLevel);
  logger.setTraceIdSource(activeTraceId);
  const metrics = new MetricsService(undefined, opts.defaultMetrics ?? true);
  const info = buildInfo(config.buildCommit);
  metrics.buildInfo.set({ version: info.version, commit: info.commit }, 1);
  const engine = await createEngine(config, { logger, metrics });
  const app = await NestFactory.create(AppModule.forRoot({ config, engine, logger, metrics, clock: opts.clock }), {
    logger,
    bufferLogs: false,
    abortOnError: false,
  });
  const adapter = new GatewayIoAdapter(app, config);
  await adapter.connectAdapter();
  app.useWebSocketAdapter(adapter);
  await app.listen(config.port, '0.0.0.0');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const metricsServer = await listenMetrics(metrics, config.metricsPort);
  const metricsPort = (metricsServer.address() as AddressInfo).port;
  logger.info('gateway.started', { metadata: { port, metricsPort, engine: engine.kind, instanceId: config.instanceId, version: info.version } });

  let closed = false;
  const gateway: RunningGateway = {
    app, engine, logger, metrics, config, port, metricsPort,
    url: `http://127.0.0.1:${port}`,
    async drainAndClose(reason: string) {
      await app.get(DrainService).drain(reason);
      await gateway.close();
    },
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((r) => metricsServer.close(() => r()));
      await app.close();
      await engine.close();
    },
  };
  return gateway;
}

/** /metrics lives on its own port so that it is never exposed through the public ingress. */
function listenMetrics(metrics: MetricsService, port: number): Promise<HttpServer> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      metrics.registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(body);
        },
        () => {
          res.writeHead(500);
          res.end('metrics collection failed\n');
        },
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}

