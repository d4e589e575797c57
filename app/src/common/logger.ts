import type { LoggerService } from '@nestjs/common';
import type { LogLevel } from '../config/config';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LogFields {
  userId?: string;
  channelId?: string;
  metadata?: Record<string, unknown>;
  err?: unknown;
}

/** Returns the active trace id, when tracing is on; set by the tracing module. */
export type TraceIdSource = () => string | undefined;

/**
 * JSON-lines logger: `{timestamp, level, event, userId?, channelId?, metadata?, traceId?}`.
 * Stacks stay in server logs; they never reach clients. Keys that look like credentials are
 * redacted so a careless `metadata` cannot leak a token.
 */
export class JsonLogger implements LoggerService {
  private traceIdSource: TraceIdSource = () => undefined;

  constructor(
    private level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {}

  setLevel(level: LogLevel): void {
    this.level = level;
  }

  setTraceIdSource(source: TraceIdSource): void {
    this.traceIdSource = source;
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  emit(level: Exclude<LogLevel, 'silent'>, event: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const line: Record<string, unknown> = { timestamp: new Date().toISOString(), level, event };
    if (fields.userId) line.userId = fields.userId;
    if (fields.channelId) line.channelId = fields.channelId;
    const metadata: Record<string, unknown> = fields.metadata ? redact(fields.metadata) as Record<string, unknown> : {};
    if (fields.err !== undefined) metadata.error = describeError(fields.err);
    if (Object.keys(metadata).length > 0) line.metadata = metadata;
    const traceId = this.traceIdSource();
    if (traceId) line.traceId = traceId;
    this.write(JSON.stringify(line));
  }

  debugEvent(event: string, fields?: LogFields): void { this.emit('debug', event, fields); }
  info(event: string, fields?: LogFields): void { this.emit('info', event, fields); }

  /** Our calls pass (event, fields); Nest's LoggerService calls pass (message, context). */
  warn(event: string, fields?: LogFields | string): void {
    if (typeof fields === 'string') this.emit('warn', 'nest', { metadata: { message: event, context: fields } });
    else this.emit('warn', event, fields);
  }

  error(event: string, fields?: LogFields | string, context?: string): void {
    if (typeof fields === 'string' || context !== undefined) {
      this.emit('error', 'nest', { metadata: { message: event, stack: fields, context } });
    } else this.emit('error', event, fields);
  }

  // Nest's LoggerService: framework start-up chatter is debug; warnings and errors stay visible.
  log(message: unknown, context?: string): void {
    this.emit('debug', 'nest', { metadata: { message: String(message), context } });
  }
  debug(message: unknown, context?: string): void {
    this.emit('debug', 'nest', { metadata: { message: String(message), context } });
  }
  verbose(message: unknown, context?: string): void {
    this.emit('debug', 'nest', { metadata: { message: String(message), context } });
  }
}

const SECRET_KEY = /token|secret|password|authorization|api[-_]?key|cookie|jwt/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { message: String(err) };
}

export const LOGGER = Symbol('LOGGER');
