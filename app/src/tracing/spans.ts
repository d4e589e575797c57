import { SpanStatusCode, context, trace, type Attributes, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('socket-gateway');
let enabled = false;

/** Spans cost a little on every event; with tracing off they are skipped entirely. */
export function enableSpans(on: boolean): void {
  enabled = on;
}

export function spansEnabled(): boolean {
  return enabled;
}

/** Runs `fn` inside an active span (or plainly when tracing is off); errors mark the span. */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span | null) => Promise<T>): Promise<T> {
  if (!enabled) return fn(null);
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as { code?: string }).code ?? (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Marks the active span failed with a gateway error code (the exception filter calls this). */
export function markActiveSpanError(code: string): void {
  if (!enabled) return;
  const span = trace.getSpan(context.active());
  span?.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span?.setAttribute('socket_gateway.error_code', code);
}

/** The trace id for log lines, when a recording span is active. */
export function activeTraceId(): string | undefined {
  if (!enabled) return undefined;
  const ctx = trace.getSpan(context.active())?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? ctx.traceId : undefined;
}
