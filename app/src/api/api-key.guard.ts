import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { GatewayError } from '../common/gateway-error';
import { MetricsService } from '../metrics/metrics.service';
import { ApiKeys } from './api-keys';

/**
 * `Authorization: Bearer <key>` against API_KEYS: 401 without a key, 403 with a wrong one.
 * apiBodyMiddleware already refused such requests before their body was read; this guard keeps
 * every API controller safe on its own.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: ApiKeys;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, private readonly metrics: MetricsService) {
    this.keys = new ApiKeys(config.apiKeys);
  }

  canActivate(context: ExecutionContext): boolean {
    const result = this.keys.check(context.switchToHttp().getRequest<Request>().headers.authorization);
    if (result === 'missing') {
      this.metrics.authFailures.inc({ reason: 'api_missing_key' });
      throw new GatewayError('AUTH_FAILED', 'Authorization: Bearer <api key> required');
    }
    if (result === 'wrong') {
      this.metrics.authFailures.inc({ reason: 'api_wrong_key' });
      throw new GatewayError('FORBIDDEN', 'API key not accepted');
    }
    return true;
  }
}
