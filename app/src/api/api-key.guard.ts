import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { GatewayError } from '../common/gateway-error';
import { MetricsService } from '../metrics/metrics.service';

/** Hashing first makes every comparison the same length, so timing reveals neither key nor length. */
const digest = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <key>` against API_KEYS: 401 without a key, 403 with a wrong one. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Buffer[];

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, private readonly metrics: MetricsService) {
    this.keys = config.apiKeys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
    if (!m) {
      this.metrics.authFailures.inc({ reason: 'api_missing_key' });
      throw new GatewayError('AUTH_FAILED', 'Authorization: Bearer <api key> required');
    }
    const given = digest(m[1]);
    let match = false;
    for (const k of this.keys) match = timingSafeEqual(k, given) || match;
    if (!match) {
      this.metrics.authFailures.inc({ reason: 'api_wrong_key' });
      throw new GatewayError('FORBIDDEN', 'API key not accepted');
    }
    return true;
  }
}
