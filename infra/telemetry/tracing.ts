import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { trace, context, propagation, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Keeps a tracer provider registered (real trace ids for logs and propagation) when nothing is exported. */
const discardSpans: SpanProcessor = {
  onStart: () => undefined,
  onEnd: () => undefined,
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

let sdk: NodeSDK | undefined;

/**
 * Starts OpenTelemetry for a process: W3C trace-context propagation always (so trace ids
 * flow through logs and between processes), an OTLP/HTTP exporter only when an endpoint is
 * configured. Must run before the HTTP modules it instruments are used. `instrumentHttp: false`
 * keeps the SDK (provider, W3C propagator, manual spans) without per-request server spans, for
 * hot paths that read `traceparent` themselves.
 */
export function startTelemetry(serviceName: string, otlpEndpoint?: string, opts: { instrumentHttp?: boolean } = {}): void {
  if (sdk) return;
  sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, [ATTR_SERVICE_VERSION]: '0.1.0' }),
    // Why a processor even without an endpoint: with none, NodeSDK registers no tracer provider
    // and requests get no trace id of their own.
    spanProcessors: otlpEndpoint ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` }))] : [discardSpans],
    instrumentations: opts.instrumentHttp === false ? [] : [new HttpInstrumentation()],
    textMapPropagator: new W3CTraceContextPropagator(),
  });
  sdk.start();
}

export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}

/** The active trace id, or undefined outside a sampled span. */
export function currentTraceId(): string | undefined {
  const id = trace.getActiveSpan()?.spanContext().traceId;
  return id && id !== '00000000000000000000000000000000' ? id : undefined;
}

/** Runs `fn` inside a span named after a product operation (e.g. `model.register`). */
export async function withSpan<T>(name: string, attributes: Record<string, string | number | boolean>, fn: (span: Span) => Promise<T>): Promise<T> {
  return trace.getTracer('hotswap').startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: 2 });
      throw e;
    } finally {
      span.end();
    }
  });
}

export { context, propagation };
