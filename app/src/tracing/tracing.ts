/**
 * OpenTelemetry bootstrap. Off unless the standard OTEL_* variables configure an exporter
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_TRACES_EXPORTER);
 * the NodeSDK reads the rest of them (service name, headers, sampler) itself. This is the one
 * module besides config that reads the environment, because the SDK must start before Nest.
 */
import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { enableSpans } from './spans';

export function tracingConfigured(env: NodeJS.ProcessEnv): boolean {
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter === 'none' || env.OTEL_SDK_DISABLED === 'true') return false;
  return Boolean(exporter || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

let sdk: NodeSDK | null = null;

/** Starts the SDK when configured; returns whether tracing is on. */
export function startTracing(env: NodeJS.ProcessEnv = process.env): boolean {
  if (sdk || !tracingConfigured(env)) return sdk !== null;
  sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'socket-gateway',
    instrumentations: [new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/healthz' || req.url === '/readyz' })],
  });
  sdk.start();
  enableSpans(true);
  return true;
}

/** Flushes pending spans; part of the shutdown sequence. */
export async function stopTracing(): Promise<void> {
  const s = sdk;
  sdk = null;
  enableSpans(false);
  // Shutdown flushes spans to a collector that may be gone already; exiting must not wait on or fail for it.
  await s?.shutdown().catch(() => undefined);
}
