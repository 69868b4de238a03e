import { AppError, isAppError, type ErrorDetail } from '../../domain/errors';
import { canonicalJson } from '../../domain/routing/canonical-json';
import { shouldMirror } from '../../domain/routing/traffic-split';
import type { Logger } from '../../infra/telemetry/logger';
import { errorBody } from '../http/error-body';
import type { GatewayMetrics } from './gateway-metrics';
import type { PredictionRecord, PredictionSink } from './prediction-sink';
import type { CachedAnswer, CompiledRoute } from './route-tables';
import type { ShadowMirror } from './shadow-mirror';
import type { Target } from './target';
import type { HeaderReader, Resolved, TargetResolver } from './target-resolver';
import type { VersionClient } from './version-client';
import type { UpstreamHeaders } from './upstream';
import type { Coalescer } from './coalescer';
import { fromDatabase } from '../http/error-handler';
import type { Explanation } from '../../domain/explanations';
import type { Explainer, ExplainPlan } from './explainer';

export type NativeKind = 'single' | 'batch';

/** A validated native inference request (from HTTP, or replayed from the async store). */
export interface NativeRequest {
  kind: NativeKind;
  modelName: string;
  environment: string;
  pinned: string | undefined;
  header: HeaderReader;
  /** The caller's JSON body, forwarded to the model server as is. */
  body: Buffer;
  /** `features` (single) or `instances` (batch). */
  input: unknown;
  /** `?explain=true` (single requests only): add KernelSHAP attributions to the answer. */
  explain: boolean;
  requestId: string;
  traceId: string;
  /** W3C trace context for the model server, when there is one. */
  traceparent: string | undefined;
  /** Arrival (epoch ms) and its high-resolution twin for latency. */
  arrivedAt: number;
  t0: number;
}

export interface ErrorObject {
  code: string;
  message: string;
  details: ErrorDetail[];
}

export interface NativeOutcome {
  status: number;
  payload: string | Buffer;
  headers: Record<string, string>;
  /** The response body on success (kept for async requests). */
  result: Record<string, unknown> | undefined;
  error: ErrorObject | undefined;
  /** Records the prediction(s), mirrors to the shadow and fills the cache: call after the response is written. */
  finish(): void;
}

export interface NativeInferenceDeps {
  resolver: TargetResolver;
  coalescer: Coalescer;
  client: VersionClient;
  explainer: Explainer;
  shadow: ShadowMirror;
  sink: PredictionSink;
  metrics: GatewayMetrics;
  log: Logger;
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;
const JSON_TYPE = 'application/json';

/**
 * The native data plane: resolve the version, answer from the prediction cache or forward the
 * body to a model server holding it (retry once elsewhere), shape the spec's response, and —
 * after the caller has its answer — record, mirror and cache. Protocol-neutral enough to serve
 * both the HTTP handler and the async workers.
 */
export class NativeInference {
  constructor(private readonly deps: NativeInferenceDeps) {}

  run(r: NativeRequest): Promise<NativeOutcome> {
    return this.attempt(r, undefined, true);
  }

  /** The target to try once more after `e` (TargetResolver.rerouteAfter), counted as a retry. */
  private reroute(r: NativeRequest, failedOn: Target, e: AppError): Resolved | undefined {
    const now = this.deps.resolver.rerouteAfter(e, failedOn, r.modelName, r.environment, r.pinned, r.header);
    if (now) this.deps.metrics.retry('rerouted');
    return now;
  }

  private async attempt(r: NativeRequest, given: Resolved | undefined, mayReroute: boolean): Promise<NativeOutcome> {
    let resolved = given ?? this.deps.resolver.resolveRouted(r.modelName, r.environment, r.pinned, r.header);
    if (!resolved) {
      try {
        resolved = await this.deps.resolver.resolve(r.modelName, r.environment, r.pinned, r.header);
      } catch (e) {
        return this.failed(r, undefined, undefined, asAppError(e, this.deps.log));
      }
    }
    const { target, route } = resolved;
    // Checked before the model is called: a version that cannot be explained changes nothing.
    let plan: ExplainPlan | undefined;
    if (r.explain) {
      try {
        plan = await this.deps.explainer.prepare(target);
      } catch (e) {
        return this.failed(r, undefined, undefined, asAppError(e, this.deps.log));
      }
    }

    // An explained request goes alone: a cached or coalesced answer has no explanation.
    const cache = r.kind === 'single' && !plan ? route?.cache ?? null : null;
    let cacheKey: string | undefined;
    if (cache) {
      cacheKey = `${target.versionId}\n${canonicalJson(r.input)}`;
      const hit = cache.get(cacheKey, Date.now());
      this.deps.metrics.cacheLookup(target.modelName, hit !== undefined);
      if (hit) return this.answered(r, target, route, hit, true, undefined);
    }

    const coalescer = this.deps.coalescer;
    let alone = !plan;
    if (r.kind === 'single' && !plan && !coalescer.admit(target)) {
      const c = await coalescer.wait(target, r.input);
      if (c.kind === 'error') {
        const again = mayReroute ? this.reroute(r, target, c.error) : undefined;
        return again ? this.attempt(r, again, false) : this.failed(r, target, route, c.error);
      }
      if (c.kind === 'answer') return this.fresh(r, target, route, { prediction: c.prediction, confidence: c.confidence }, cache, cacheKey, c.serverId);
      alone = false; // the coalesced call failed as a whole: this request goes on its own, outside the lane
    }
    let status: number;
    let answer: Record<string, unknown>;
    let serverId: string;
    try {
      const up = await this.deps.client.call(target, 'POST', r.kind === 'single' ? target.predictPath : target.batchPath, upstreamHeaders(r), r.body);
      status = up.status;
      serverId = up.upstream.id;
      answer = JSON.parse(up.body.toString('utf8')) as Record<string, unknown>;
      if (status !== 200) return this.upstreamFailed(r, target, route, status, up.body, answer, serverId);
    } catch (e) {
      const failure = asAppError(e, this.deps.log);
      const again = mayReroute ? this.reroute(r, target, failure) : undefined;
      if (!again) return this.failed(r, target, route, failure);
      // Release this lane before the second attempt takes one of its own (and not again below).
      if (r.kind === 'single' && alone) coalescer.done(target);
      alone = false;
      return this.attempt(r, again, false);
    } finally {
      if (r.kind === 'single' && alone) coalescer.done(target);
    }
    if (r.kind === 'batch') return this.answeredBatch(r, target, route, answer, serverId);
    if (plan) {
      let explanation: Explanation;
      const t1 = performance.now();
      try {
        explanation = await this.deps.explainer.explain(target, plan, r.input as Record<string, unknown>, answer.prediction, upstreamHeaders(r));
      } catch (e) {
        return this.failed(r, target, route, asAppError(e, this.deps.log));
      }
      return this.answered(r, target, route, { prediction: answer.prediction, confidence: answer.confidence }, false, undefined, serverId, { explanation, ms: performance.now() - t1 });
    }
    return this.fresh(r, target, route, { prediction: answer.prediction, confidence: answer.confidence }, cache, cacheKey, serverId);
  }

  private fresh(r: NativeRequest, target: Target, route: CompiledRoute | undefined, a: CachedAnswer, cache: CompiledRoute['cache'], cacheKey: string | undefined, serverId: string): NativeOutcome {
    return this.answered(r, target, route, a, false, cache && cacheKey !== undefined ? () => cache.set(cacheKey, a, Date.now()) : undefined, serverId);
  }

  private answered(
    r: NativeRequest,
    target: Target,
    route: CompiledRoute | undefined,
    a: CachedAnswer,
    cached: boolean,
    fill: (() => void) | undefined,
    serverId?: string,
    explained?: { explanation: Explanation; ms: number },
  ): NativeOutcome {
    const latencyMs = performance.now() - r.t0;
    // The log and the metrics (which canary analysis reads) keep the prediction's latency; the caller's includes the explanation.
    const predictionMs = latencyMs - (explained?.ms ?? 0);
    const result: Record<string, unknown> = {
      requestId: r.requestId,
      modelName: target.modelName,
      version: target.version,
      prediction: a.prediction,
      confidence: a.confidence,
      latencyMs: round3(latencyMs),
      timestamp: new Date().toISOString(),
    };
    if (cached) result.cached = true;
    if (explained) result.explanation = { ...explained.explanation, latencyMs: round3(explained.ms) };
    const headers: Record<string, string> = { 'x-request-id': r.requestId };
    if (route?.cache && r.kind === 'single') headers['x-cache'] = cached ? 'HIT' : 'MISS';
    return {
      status: 200,
      payload: JSON.stringify(result),
      headers,
      result,
      error: undefined,
      finish: () => {
        this.deps.metrics.observe(target.modelName, target.version, target.role, 200, latencyMs / 1000);
        this.safeRecord(this.recordOf(r, target, predictionMs, r.requestId, r.input, a.prediction, undefined, cached, serverId));
        this.deps.sink.commit?.();
        fill?.();
        this.mirror(r, target, route, a.prediction);
      },
    };
  }

  private answeredBatch(r: NativeRequest, target: Target, route: CompiledRoute | undefined, answer: Record<string, unknown>, serverId: string): NativeOutcome {
    const latencyMs = performance.now() - r.t0;
    const predictions = answer.predictions as unknown[];
    const result: Record<string, unknown> = {
      requestId: r.requestId,
      modelName: target.modelName,
      version: target.version,
      predictions,
      confidences: answer.confidences,
      totalLatencyMs: round3(latencyMs),
      timestamp: new Date().toISOString(),
    };
    return {
      status: 200,
      payload: JSON.stringify(result),
      headers: { 'x-request-id': r.requestId },
      result,
      error: undefined,
      finish: () => {
        this.deps.metrics.observe(target.modelName, target.version, target.role, 200, latencyMs / 1000);
        const instances = r.input as unknown[];
        for (let i = 0; i < instances.length; i++) this.safeRecord(this.recordOf(r, target, latencyMs, `${r.requestId}:${i}`, instances[i], predictions[i] ?? null, undefined, false, serverId));
        this.deps.sink.commit?.();
        this.mirror(r, target, route, predictions);
      },
    };
  }

  /** A model server answered with an error (bad features, inference failure): its body goes to the caller as is. */
  private upstreamFailed(r: NativeRequest, target: Target, route: CompiledRoute | undefined, status: number, raw: Buffer, answer: Record<string, unknown>, serverId: string): NativeOutcome {
    const err = answer.error as Partial<ErrorObject> | undefined;
    const error: ErrorObject = {
      code: typeof err?.code === 'string' ? err.code : status >= 500 ? 'INFERENCE_ERROR' : 'VALIDATION_ERROR',
      message: typeof err?.message === 'string' ? err.message : `Model server answered ${status}`,
      details: Array.isArray(err?.details) ? err.details : [],
    };
    return this.failure(r, target, route, status, raw, error, {}, serverId);
  }

  private failed(r: NativeRequest, target: Target | undefined, route: CompiledRoute | undefined, e: AppError): NativeOutcome {
    return this.failure(r, target, route, e.status, JSON.stringify(errorBody(e, r.traceId)), { code: e.code, message: e.message, details: e.details }, e.headers);
  }

  private failure(
    r: NativeRequest,
    target: Target | undefined,
    _route: CompiledRoute | undefined,
    status: number,
    payload: string | Buffer,
    error: ErrorObject,
    extra: Record<string, string>,
    serverId?: string,
  ): NativeOutcome {
    const latencyMs = performance.now() - r.t0;
    return {
      status,
      payload,
      headers: { ...extra, 'x-request-id': r.requestId },
      result: undefined,
      error,
      finish: () => {
        const model = target?.modelName ?? (error.code === 'MODEL_NOT_FOUND' ? 'unknown' : r.modelName);
        this.deps.metrics.observe(model, target?.version ?? '', target?.role ?? '', status, latencyMs / 1000);
        this.deps.metrics.error(model, target?.version ?? '', target?.role ?? '', error.code);
        if (!target) return;
        if (r.kind === 'batch' && Array.isArray(r.input)) {
          const instances = r.input as unknown[];
          for (let i = 0; i < instances.length; i++) this.safeRecord(this.recordOf(r, target, latencyMs, `${r.requestId}:${i}`, instances[i], null, error.code, false, serverId));
        } else this.safeRecord(this.recordOf(r, target, latencyMs, r.requestId, r.input, null, error.code, false, serverId));
        this.deps.sink.commit?.();
      },
    };
  }

  /** One prediction-log record, built in one literal (a fixed shape: cheap to create, copy and serialise). */
  private recordOf(r: NativeRequest, t: Target, latencyMs: number, requestId: string, features: unknown, outputs: unknown, errorCode: string | undefined, cached: boolean, serverId: string | undefined): PredictionRecord {
    return {
      requestId,
      time: new Date(r.arrivedAt),
      modelId: t.modelId,
      modelName: t.modelName,
      version: t.version,
      versionId: t.versionId,
      environment: t.environment,
      role: t.role,
      features,
      outputs,
      latencyMs,
      status: errorCode === undefined ? 'Completed' : 'Failed',
      errorCode,
      traceId: r.traceId,
      cached,
      serverId,
    };
  }

  private safeRecord(rec: PredictionRecord): void {
    try {
      this.deps.sink.record(rec);
    } catch (err) {
      this.deps.log.warn({ err }, 'gateway: prediction sink threw');
    }
  }

  private mirror(r: NativeRequest, target: Target, route: CompiledRoute | undefined, primaryOutputs: unknown): void {
    const shadow = route?.shadow;
    if (!shadow || shadow.target.versionId === target.versionId || !shouldMirror(shadow.percentage, Math.random())) return;
    this.deps.shadow.offer({
      target: shadow.target,
      kind: r.kind,
      path: r.kind === 'single' ? shadow.target.predictPath : shadow.target.batchPath,
      body: r.body,
      primaryRequestId: r.requestId,
      primaryOutputs,
      input: r.input,
      traceId: r.traceId,
      traceparent: r.traceparent,
      arrivedAt: r.arrivedAt,
    });
  }
}

function upstreamHeaders(r: NativeRequest): UpstreamHeaders {
  const headers: UpstreamHeaders = { 'content-type': JSON_TYPE, 'x-request-id': r.requestId };
  if (r.traceparent !== undefined) headers.traceparent = r.traceparent;
  return headers;
}

/** Anything thrown becomes an AppError; unknown errors are logged and become INTERNAL_ERROR. */
export function asAppError(e: unknown, log: Logger): AppError {
  if (isAppError(e)) return e;
  const database = fromDatabase(e);
  if (database) {
    log.warn({ err: e }, 'gateway: database unavailable; answered 503');
    return database;
  }
  log.error({ err: e }, 'gateway: unexpected error');
  return new AppError('INTERNAL_ERROR');
}
