import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, DiscoveryModule } from '@nestjs/core';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/config';
import { CLOCK, systemClock, type Clock } from './common/clock';
import { LOGGER, type JsonLogger } from './common/logger';
import { WsExceptionFilter } from './common/ws-exception.filter';
import { ENGINE, type Engine } from './engine/engine.ports';
import { MetricsService } from './metrics/metrics.service';
import { AuthGateway } from './auth/auth.gateway';
import { AuthMiddleware } from './auth/auth.middleware';
import { ConnectionGuardService } from './auth/connection-guard.service';
import { IpRulesService } from './auth/ip-rules.service';
import { SessionService } from './auth/session.service';
import { TokenVerifier } from './auth/token-verifier';
import { ChannelsGateway } from './channels/channels.gateway';
import { ChannelsService } from './channels/channels.service';
import { ConnectionGateway } from './connection/connection.gateway';
import { ConnectionLifecycleService } from './connection/connection-lifecycle.service';
import { HandshakeBatcher } from './connection/handshake-batcher';
import { SlowConsumerGuard } from './socket/slow-consumer.guard';
import { HandshakeFloodGuard } from './auth/handshake-flood.guard';
import { InvalidFrameGuard } from './socket/invalid-frame.guard';
import { HealthController } from './health/health.controller';
import { MessagesGateway } from './messages/messages.gateway';
import { MessagesService } from './messages/messages.service';
import { RateLimitService } from './rate-limit/rate-limit.service';
import { Broadcaster } from './socket/broadcaster';
import { EventDispatcher } from './socket/event-dispatcher';
import { DemoModule } from './demo/demo.module';
import { DrainService } from './lifecycle/drain.service';
import { InstanceHeartbeatService } from './lifecycle/instance-heartbeat.service';
import { MaintenanceRegistry } from './maintenance/maintenance.registry';
import { CoreMaintenanceJobs } from './maintenance/core-jobs';
import { RevocationService } from './auth/revocation.service';
import { IpBlockService } from './auth/ip-block.service';
import { InstanceService } from './lifecycle/instance.service';
import { ChannelsApiController } from './api/channels-api.controller';
import { AdminApiController } from './api/admin-api.controller';
import { PresenceController } from './api/presence.controller';
import { PresenceCoalescer } from './presence/presence-coalescer';
import { PresenceGateway } from './presence/presence.gateway';
import { PresenceMaintenanceService } from './presence/presence-maintenance.service';
import { PresenceService } from './presence/presence.service';
import { TypingGateway } from './typing/typing.gateway';
import { TypingService } from './typing/typing.service';
import { ThreadsGateway } from './threads/threads.gateway';
import { ThreadsService } from './threads/threads.service';
import { ReadReceiptsGateway } from './receipts/read-receipts.gateway';
import { ReadReceiptsService } from './receipts/read-receipts.service';
import { ApiKeyGuard } from './api/api-key.guard';
import { HttpErrorFilter } from './api/http-error.filter';
import { ShutdownHooks } from './lifecycle/shutdown-hooks';
import { NotificationsApiController } from './api/notifications-api.controller';
import { WebhooksApiController } from './api/webhooks-api.controller';
import { NotificationsGateway } from './notifications/notifications.gateway';
import { NotificationsService } from './notifications/notifications.service';
import { WebhookService } from './webhooks/webhook.service';
import { WebhookWorker } from './webhooks/webhook-worker';

export interface AppDeps {
  config: GatewayConfig;
  engine: Engine;
  logger: JsonLogger;
  metrics: MetricsService;
  clock?: Clock;
}

/**
 * The gateway's one module; built from already-created engine, logger and metrics so tests can
 * inject them. They are provided through factories because Nest serializes `useValue` objects of
 * dynamic modules to compute module tokens, which is slow (and warns) for an engine with live clients.
 */
@Module({})
export class AppModule {
  static forRoot(deps: AppDeps): DynamicModule {
    return {
      module: AppModule,
      imports: [DiscoveryModule, DemoModule.register(deps.config)],
      controllers: [HealthController, ChannelsApiController, AdminApiController, PresenceController, NotificationsApiController, WebhooksApiController],
      providers: [
        { provide: GATEWAY_CONFIG, useFactory: () => deps.config },
        { provide: ENGINE, useFactory: () => deps.engine },
        { provide: LOGGER, useFactory: () => deps.logger },
        { provide: CLOCK, useFactory: () => deps.clock ?? systemClock },
        { provide: MetricsService, useFactory: () => deps.metrics },
        WsExceptionFilter,
        EventDispatcher,
        TokenVerifier,
        IpRulesService,
        ConnectionGuardService,
        AuthMiddleware,
        SessionService,
        ConnectionLifecycleService,
        HandshakeBatcher,
        RateLimitService,
        Broadcaster,
        ShutdownHooks,
        DrainService,
        InstanceHeartbeatService,
        MaintenanceRegistry,
        CoreMaintenanceJobs,
        RevocationService,
        IpBlockService,
        InstanceService,
        ApiKeyGuard,
        HttpErrorFilter,
        // Body-parser errors and unknown routes never reach a controller; this gives them the API error shape.
        { provide: APP_FILTER, useExisting: HttpErrorFilter },
        WebhookService,
        WebhookWorker,
        ChannelsService,
        MessagesService,
        NotificationsService,
        NotificationsGateway,
        PresenceCoalescer,
        PresenceService,
        PresenceMaintenanceService,
        TypingService,
        ThreadsService,
        ReadReceiptsService,
        ConnectionGateway,
        SlowConsumerGuard,
        HandshakeFloodGuard,
        InvalidFrameGuard,
        PresenceGateway,
        TypingGateway,
        ThreadsGateway,
        ReadReceiptsGateway,
        ChannelsGateway,
        MessagesGateway,
        AuthGateway,
      ],
    };
  }
}
