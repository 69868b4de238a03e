import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { trace, context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { IncomingMessage } from 'node:http';
import { createSampler, type SamplerSpec, type TracesSamplerName } from './sampler';

/** Keeps a tracer provider registered (real trace ids for logs and propagation) when nothing is exported. */
const discardSpans: SpanProcessor = {
  onStart: () => undefined,
  onEnd: () => undefined,
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

let sdk: NodeSDK | undefined;

export interface TelemetryOptions {
  /** false: no automatic per-request HTTP spans at all (hot paths that read `traceparent` themselves). */
  instrumentHttp?: boolean;
  /**
   * Incoming requests the HTTP instrumentation leaves alone (no automatic span): paths that
   * start their own cheap span with `startRequestSpan` (the api's inference gateway).
   */
  ignoreIncoming?: (method: string, url: string) => boolean;
  /** The sampler; by default from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (see sampler.ts). */
  sampler?: SamplerSpec;
}

/** OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG as the config schema validated them. */
export function samplerFromEnv(env: NodeJS.ProcessEnv = process.env): SamplerSpec {
  const name = env.OTEL_TRACES_SAMPLER?.trim();
  const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  return { name: name ? (name as TracesSamplerName) : undefined, ratio: arg ? Number(arg) : undefined };
}

/**
 * Starts OpenTelemetry for a process: W3C trace-context propagation always (so trace ids
 * flow through logs and between processes), an OTLP/HTTP exporter only when an endpoint is
 * configured. Must run before the HTTP modules it instruments are used. `instrumentHttp: false`
 * keeps the SDK (provider, W3C propagator, manual spans) without per-request server spans, for
 * hot paths that read `traceparent` themselves; `ignoreIncoming` does that for some paths only.
 */
export function startTelemetry(serviceName: string, otlpEndpoint?: string, opts: TelemetryOptions = {}): void {
  if (sdk) return;
  const ignore = opts.ignoreIncoming;
  // Constructed only when wanted: an instrumentation enables itself (patches node:http) in its
  // constructor, whether or not it is handed to the SDK. (Built unconditionally, it put
  // per-request spans back into the model server: 133 → 247 µs of CPU per request.)
  const instrumentations =
    opts.instrumentHttp === false ? [] : [new HttpInstrumentation(ignore ? { ignoreIncomingRequestHook: (req: IncomingMessage) => ignore(req.method ?? 'GET', req.url ?? '/') } : {})];
  sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, [ATTR_SERVICE_VERSION]: '0.1.0' }),
    // Why a processor even without an endpoint: with none, NodeSDK registers no tracer provider
    // and requests get no trace id of their own.
    spanProcessors: otlpEndpoint ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` }))] : [discardSpans],
    sampler: createSampler(opts.sampler ?? samplerFromEnv(), Boolean(otlpEndpoint)),
    instrumentations,
    textMapPropagator: new W3CTraceContextPropagator(),
    // Metrics go out through Prometheus (prom-client) and logs through pino, never through
    // OpenTelemetry. Why explicit: left unset, NodeSDK sends both to an OTLP collector at
    // localhost:4318, and at shutdown its metric reader retried that absent collector for
    // 7–9 s (measured: the api's whole idle shutdown took 8.3 s, 8.26 s of it here).
    metricReaders: [],
    logRecordProcessors: [],
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

const INVALID_TRACE_ID = '00000000000000000000000000000000';
const INVALID_SPAN_ID = '0000000000000000';
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
let requestTracer: Tracer | undefined;

/** One request's span on a path without automatic HTTP spans (see `startRequestSpan`). */
export interface RequestSpan {
  /** The trace id (the caller's when it sent `traceparent`), or undefined when there is none. */
  readonly traceId: string | undefined;
  /** The W3C `traceparent` to send downstream (this span as the parent), or undefined. */
  readonly traceparent: string | undefined;
  /** Ends the span with the response status (5xx marks it failed). */
  end(status: number): void;
}

/**
 * Starts one server span for a request whose path the HTTP instrumentation ignores: the
 * caller's `traceparent` (W3C) is its parent, the sampler decides whether it is recorded, and
 * the result carries the trace id (for logs and the prediction log) and the `traceparent` for
 * the next hop. The span is not made active (no context switch per request): callers pass
 * the ids on explicitly. Without telemetry started, the caller's own ids pass through.
 */
export function startRequestSpan(name: string, traceparent: string | undefined, attributes?: Attributes): RequestSpan {
  let parent = ROOT_CONTEXT;
  if (traceparent !== undefined) {
    const m = TRACEPARENT.exec(traceparent);
    if (m && m[1] !== 'ff' && m[2] !== INVALID_TRACE_ID && m[3] !== INVALID_SPAN_ID)
      parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: m[2], spanId: m[3], traceFlags: parseInt(m[4], 16) & 1, isRemote: true });
  }
  const span = (requestTracer ??= trace.getTracer('hotswap')).startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  const sc = span.spanContext();
  const valid = sc.traceId !== INVALID_TRACE_ID && sc.spanId !== INVALID_SPAN_ID;
  return {
    traceId: valid ? sc.traceId : undefined,
    traceparent: valid ? `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags & 1 ? '01' : '00'}` : undefined,
    end(status: number) {
      if (span.isRecording()) {
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}

export { context, propagation };
