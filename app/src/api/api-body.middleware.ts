import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode, GatewayErrorBody } from '../contracts/events';
import type { MetricsService } from '../metrics/metrics.service';
import { ApiKeys } from './api-keys';

/** Largest accepted server API body. */
export const API_BODY_LIMIT_BYTES = 100 * 1024;
/** Deepest accepted nesting of objects and arrays in a body (no API schema goes past 4). */
export const API_BODY_MAX_DEPTH = 32;

type Next = (err?: unknown) => void;
type Req = IncomingMessage & { body?: unknown };

/**
 * Runs before routing for every `/api/` request, in this order, so an unauthenticated client
 * costs nothing: the API key, then the body (JSON only, at most API_BODY_LIMIT_BYTES, nesting at
 * most API_BODY_MAX_DEPTH). Refusals answer in the API's error shape with 401/403/413/415/400
 * and never reach the error log. Everywhere it also drops Express's `X-Powered-By`.
 */
export function apiBodyMiddleware(keys: ApiKeys, metrics: Pick<MetricsService, 'authFailures' | 'errors'>) {
  return (req: Req, res: ServerResponse, next: Next): void => {
    res.removeHeader('X-Powered-By');
    // Express routes without regard to case, so `/API/v1/...` reaches the same handlers.
    if (!(req.url ?? '').toLowerCase().startsWith('/api/')) return next();
    const key = keys.check(req.headers.authorization);
    if (key !== 'ok') {
      metrics.authFailures.inc({ reason: key === 'missing' ? 'api_missing_key' : 'api_wrong_key' });
      req.resume();
      return refuse(res, metrics, key === 'missing' ? 401 : 403, key === 'missing' ? 'AUTH_FAILED' : 'FORBIDDEN',
        key === 'missing' ? 'Authorization: Bearer <api key> required' : 'API key not accepted');
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (declared === 0 && !chunked) return next();
    if (declared > API_BODY_LIMIT_BYTES) return tooLarge(req, res, metrics);
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      return refuse(res, metrics, 415, 'INVALID_PAYLOAD', 'the body must be JSON (Content-Type: application/json)');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > API_BODY_LIMIT_BYTES) {
        done = true;
        tooLarge(req, res, metrics);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      // The client went away mid-body: nobody is left to answer.
      done = true;
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return next();
      if (nestingDepth(text) > API_BODY_MAX_DEPTH) {
        return refuse(res, metrics, 400, 'INVALID_PAYLOAD', `body nested deeper than ${API_BODY_MAX_DEPTH} levels`);
      }
      try {
        req.body = JSON.parse(text);
      } catch {
        return refuse(res, metrics, 400, 'INVALID_PAYLOAD', 'body is not valid JSON');
      }
      next();
    });
  };
}

function tooLarge(req: Req, res: ServerResponse, metrics: Pick<MetricsService, 'errors'>): void {
  // Stop reading; the connection closes once the answer is out.
  req.unpipe?.();
  req.pause();
  res.setHeader('connection', 'close');
  refuse(res, metrics, 413, 'INVALID_PAYLOAD', `body larger than ${API_BODY_LIMIT_BYTES} bytes`);
}

function refuse(res: ServerResponse, metrics: Pick<MetricsService, 'errors'>, status: number, code: ErrorCode, message: string): void {
  metrics.errors.inc({ code });
  const body: GatewayErrorBody = { code, message };
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ ok: false, error: body }));
}

/** Deepest bracket nesting outside strings, counted without parsing (parsing is what overflows). */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}
