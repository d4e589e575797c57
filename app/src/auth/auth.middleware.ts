import { Inject, Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError, toErrorBody } from '../common/gateway-error';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { CLIENT_REFUSALS, MetricsService, type RefusalReason } from '../metrics/metrics.service';
import { ConnectionGuardService } from './connection-guard.service';
import { IpRulesService } from './ip-rules.service';
import { TokenRejected, TokenVerifier } from './token-verifier';
import { extractToken } from './handshake';
import { requestClientIp } from './client-ip';
import { inSpan } from '../tracing/spans';
import { socketKeyOf } from '../common/socket-context.factory';
import { ConnectionLifecycleService } from '../connection/connection-lifecycle.service';

type Next = (err?: Error) => void;

/**
 * The single authentication point. Order matters: cheap refusals (blocked IP, connection
 * limit) run before the token is verified so that a flood costs little. The per-IP flood guard
 * runs earlier still, in Engine.IO's allowRequest (HandshakeFloodGuard); the per-user
 * connection limit needs the verified user, so it follows the token check.
 */
@Injectable()
export class AuthMiddleware {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly verifier: TokenVerifier,
    private readonly ipRules: IpRulesService,
    private readonly guard: ConnectionGuardService,
    private readonly metrics: MetricsService,
    private readonly lifecycle: ConnectionLifecycleService,
  ) {}

  readonly handle = (socket: Socket, next: Next): void => {
    inSpan('socket.handshake', { 'messaging.system': 'socket.io' }, async (span) => {
      try {
        await this.authenticate(socket);
        span?.setAttribute('enduser.id', (socket.data.user as { userId: string }).userId);
      } catch (err) {
        if (err instanceof Refusal) span?.setAttribute('socket_gateway.refusal', err.reason);
        throw err;
      }
    }).then(
      () => {
        next();
        // Socket.IO opens the socket in the tick after next(), or drops it without an event when the
        // client left meanwhile; then its admission (a registered presence entry) is taken back.
        setImmediate(() => {
          if (!socket.connected) this.lifecycle.abandon((socket.data.user as { userId: string }).userId, socketKeyOf(this.config.instanceId, socket.id));
        });
      },
      (err) => next(this.refuse(socket, err)),
    );
  };

  private async authenticate(socket: Socket): Promise<void> {
    socket.data.connectedAt = this.clock.now();
    const ip = requestClientIp(socket.handshake, this.config.trustProxy);
    if (await this.ipRules.isBlocked(ip)) throw new Refusal('ip_blocked', new GatewayError('FORBIDDEN', 'address blocked'));
    const capacity = this.guard.admit();
    if (capacity) throw new Refusal(this.guard.draining ? 'draining' : 'connection_limit', capacity);
    let user;
    try {
      user = await this.verifier.verify(extractToken(socket.handshake));
    } catch (err) {
      if (err instanceof TokenRejected) throw new Refusal(err.reason, err);
      throw err;
    }
    // One round trip for the per-user state (revocation, admission, inbox), shared with the other
    // handshakes of the same batch window.
    const socketKey = socketKeyOf(this.config.instanceId, socket.id);
    const outcome = await this.lifecycle.admit(user, socketKey);
    if (outcome.revoked) throw new Refusal('revoked', new GatewayError('AUTH_FAILED', 'token revoked'));
    const a = outcome.admission;
    if (!a.allowed && a.refusal === 'rate_limited') {
      throw new Refusal('rate_limited', new GatewayError('RATE_LIMITED', 'too many connections for this user; retry later', a.retryAfterMs));
    }
    // Counted from presence, so across instances, and in the same step as the registration, so
    // concurrent handshakes of one user cannot pass the cap together.
    if (!a.allowed) {
      throw new Refusal('socket_limit', new GatewayError('RATE_LIMITED', `at most ${this.config.maxSocketsPerUser} connections per user`, 5000));
    }
    socket.data.admitted = { transition: a.transition, unacked: outcome.unacked };
    socket.data.user = user;
    // Socket.IO keeps the handshake for the socket's whole life; the verified token is never read
    // again, so it goes now instead of costing its size on every connection (and sitting in heap dumps).
    delete (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
  }

  private refuse(socket: Socket, err: unknown): Error {
    const reason: RefusalReason = err instanceof Refusal ? err.reason : 'error';
    const body = toErrorBody(err instanceof Refusal ? err.error : err);
    this.metrics.connections.inc({ result: 'rejected', reason });
    // Capacity and drain refusals are not authentication failures.
    if ((CLIENT_REFUSALS as readonly string[]).includes(reason)) this.metrics.authFailures.inc({ reason });
    this.logger.warn('connection.refused', {
      metadata: { reason, code: body.code, ip: requestClientIp(socket.handshake, this.config.trustProxy) },
      ...(reason === 'error' ? { err } : {}),
    });
    const out = new Error(body.code) as Error & { data: unknown };
    out.data = body;
    return out;
  }
}

class Refusal extends Error {
  constructor(readonly reason: RefusalReason, readonly error: GatewayError) {
    super(error.message);
  }
}
