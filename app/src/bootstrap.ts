import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
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
import { apiBodyMiddleware } from './api/api-body.middleware';
import { ApiKeys } from './api/api-keys';

export interface RunningGateway {
  app: INestApplication;
  engine: Engine;
  logger: JsonLogger;
  metrics: MetricsService;
  config: GatewayConfig;
  /** The public port actually bound (differs from config.port when it is 0). */
  port: number;
  /** Port of the server HTTP API: `port` unless API_PORT gives it its own listener. */
  apiPort: number;
  metricsPort: number;
  url: string;
  /** Base URL of the server HTTP API (`url` unless API_PORT is set). */
  apiUrl: string;
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
    // Bodies are read by apiBodyMiddleware, after the API key check, as JSON only.
    bodyParser: false,
  });
  app.use(apiBodyMiddleware(new ApiKeys(config.apiKeys), metrics));
  const adapter = new GatewayIoAdapter(app, config);
  await adapter.connectAdapter();
  app.useWebSocketAdapter(adapter);
  const apiRequests = new WeakSet<IncomingMessage>();
  if (config.apiPort !== null) app.use(publicSurfaceOnly(apiRequests));
  await app.listen(config.port, '0.0.0.0');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const apiServer = config.apiPort === null ? null : await listenApi(app, config.apiPort, apiRequests);
  const apiPort = apiServer ? (apiServer.address() as AddressInfo).port : port;
  const metricsServer = await listenMetrics(metrics, config.metricsPort);
  const metricsPort = (metricsServer.address() as AddressInfo).port;
  logger.info('gateway.started', { metadata: { port, apiPort, metricsPort, engine: engine.kind, instanceId: config.instanceId, version: info.version } });

  let closed = false;
  const gateway: RunningGateway = {
    app, engine, logger, metrics, config, port, apiPort, metricsPort,
    url: `http://127.0.0.1:${port}`,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    async drainAndClose(reason: string) {
      await app.get(DrainService).drain(reason);
      await gateway.close();
    },
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((r) => metricsServer.close(() => r()));
      if (apiServer) {
        apiServer.closeAllConnections();
        await new Promise<void>((r) => apiServer.close(() => r()));
      }
      await app.close();
      await engine.close();
    },
  };
  return gateway;
}

/** What the public listener still answers once the server API has its own port (Socket.IO never reaches HTTP routing). */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz']);

/**
 * Keeps the server API and the demo page off the public port: everything but the health checks
 * is 404 there, so a route or a port-forward to it can only reach Socket.IO and health.
 */
function publicSurfaceOnly(apiRequests: WeakSet<IncomingMessage>) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (apiRequests.has(req) || PUBLIC_PATHS.has((req.url ?? '/').split('?')[0])) {
      next();
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: false, error: { code: 'NOT_FOUND', message: 'not served on the public port (the server API has its own port, API_PORT)' } }));
  };
}

/** The same HTTP application on a second listener; requests are marked so the public filter lets them through. */
function listenApi(app: INestApplication, port: number, apiRequests: WeakSet<IncomingMessage>): Promise<HttpServer> {
  const handle = app.getHttpAdapter().getInstance() as (req: IncomingMessage, res: ServerResponse) => void;
  const server = createServer((req, res) => {
    apiRequests.add(req);
    handle(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
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

