import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../../domain/errors';
import { shouldMirror } from '../../domain/routing/traffic-split';
import type { Logger } from '../../infra/telemetry/logger';
import type { AuthGate } from './auth-gate';
import type { GatewayMetrics } from './gateway-metrics';
import { readBody } from '../../infra/http/read-body';
import { requestIdOf, sendOipError, sendPayload } from './lean-http';
import type { RequestSpan } from '../../infra/telemetry/tracing';
import type { UpstreamHeaders } from './upstream';
import { asAppError } from './native-inference';
import type { PredictionSink } from './prediction-sink';
import type { ShadowMirror } from './shadow-mirror';
import type { CompiledRoute } from './route-tables';
import type { Resolved, TargetResolver } from './target-resolver';
import type { VersionClient } from './version-client';

export const GATEWAY_NAME = 'hotswap-gateway';
export const GATEWAY_VERSION = '0.1.0';

export interface OipDeps {
  gate: AuthGate;
  resolver: TargetResolver;
  client: VersionClient;
  shadow: ShadowMirror;
  sink: PredictionSink;
  metrics: GatewayMetrics;
  log: Logger;
  maxBodyBytes: number;
  /** Environment from the X-HotSwap-Environment header or ?environment= (throws 400). */
  environmentOf(req: IncomingMessage, query: string): string;
  ready(): boolean;
  /** Every routing table this gateway serves from (the repository index). */
  routes(): readonly CompiledRoute[];
  /** Whether a live model server holds the version Ready. */
  served(versionId: string): boolean;
}

const JSON_TYPE = 'application/json';
const BINARY_TYPE = 'application/octet-stream';
/** The OIP binary tensor data extension's header: the length of the JSON part of a body. */
const HEADER_LENGTH = 'inference-header-content-length';
/** The protocol extensions the gateway serves (exactly those the model servers implement). */
export const EXTENSIONS = ['binary_tensor_data', 'model_configuration'];

/**
 * The Open Inference Protocol v2 (KServe / Triton REST) on the gateway. Server-level routes
 * answer here; model routes are proxied to a model server holding the version — the routing
 * table's choice when the path names none — always on the server's versioned path, so what a
 * server would pick by itself never matters. Errors use the protocol's body {"error": "..."}.
 */
export class OipV2Handler {
  constructor(private readonly d: OipDeps) {}

  /** `parts`: decoded path segments after /v2; `span`: the gateway's span of this request (trace ids). */
  async handle(method: string, parts: string[] | null, query: string, req: IncomingMessage, res: ServerResponse, span: RequestSpan): Promise<void> {
    if (parts === null) {
      req.resume();
      return sendOipError(res, 400, 'Malformed URL: a path segment is not valid percent-encoding');
    }
    const n = parts.length;
    if (n === 0 && method === 'GET') return sendPayload(res, 200, JSON.stringify({ name: GATEWAY_NAME, version: GATEWAY_VERSION, extensions: EXTENSIONS }));
    if (parts[0] === 'health' && n === 2 && method === 'GET') {
      if (parts[1] === 'live') return sendPayload(res, 200, '{"live":true}');
      if (parts[1] === 'ready') {
        const ok = this.d.ready();
        return sendPayload(res, ok ? 200 : 503, JSON.stringify({ ready: ok }));
      }
    }
    if (parts[0] === 'repository' && n === 2 && parts[1] === 'index' && method === 'POST') return this.repositoryIndex(query, req, res);
    if (parts[0] !== 'models' || n < 2) return this.notFound(method, parts, req, res);
    const modelName = parts[1];
    let version: string | undefined;
    let rest: string[];
    if (parts[2] === 'versions' && n >= 4) {
      version = parts[3]!;
      rest = parts.slice(4);
    } else rest = parts.slice(2);
    const action = rest.length === 0 ? 'metadata' : rest.length === 1 && (rest[0] === 'ready' || rest[0] === 'infer' || rest[0] === 'config') ? rest[0] : null;
    if (action === null || (action === 'infer') !== (method === 'POST') || (method !== 'GET' && method !== 'POST')) return this.notFound(method, parts, req, res);

    const arrivedAt = Date.now();
    const t0 = performance.now();
    const requestId = requestIdOf(req);
    const traceId = span.traceId ?? requestId;
    let resolved: Resolved | undefined;
    try {
      const principal = this.d.gate.cached(req, 'inference:run') ?? (await this.d.gate.authenticate(req, 'inference:run'));
      if (action === 'infer') this.d.gate.limit(principal);
      const environment = this.d.environmentOf(req, query);
      const body = action === 'infer' ? await readBody(req, this.d.maxBodyBytes) : null;
      if (body === null) req.resume();
      const header = (h: string) => {
        const v = req.headers[h];
        return typeof v === 'string' ? v : undefined;
      };
      resolved = await this.d.resolver.resolve(modelName, environment, version, header);
      const t = resolved.target;
      if (action === 'ready') {
        let ready = false;
        try {
          ready = (await this.d.client.call(t, 'GET', `${t.v2Path}/ready`, {}, null)).status === 200;
        } catch (e) {
          if (!(e instanceof AppError) || e.code !== 'SERVICE_UNAVAILABLE') throw e;
        }
        return sendPayload(res, ready ? 200 : 503, JSON.stringify({ name: modelName, ...(version !== undefined && { version }), ready }));
      }
      const path = action === 'metadata' ? t.v2Path : `${t.v2Path}/${action}`;
      const headers: UpstreamHeaders = { 'x-request-id': requestId };
      const binaryHeader = req.headers[HEADER_LENGTH];
      if (body && typeof binaryHeader === 'string') {
        if (!/^\d{1,15}$/.test(binaryHeader)) throw new AppError('VALIDATION_ERROR', 'Inference-Header-Content-Length must be a byte count');
        headers['content-type'] = BINARY_TYPE;
        headers[HEADER_LENGTH] = binaryHeader;
      } else if (body) headers['content-type'] = JSON_TYPE;
      const traceparent = span.traceparent;
      if (traceparent !== undefined) headers.traceparent = traceparent;
      let up;
      try {
        up = await this.d.client.call(t, method, path, headers, body);
      } catch (e) {
        // As on the native path: an unpinned request whose version is gone everywhere goes once
        // more through the routing table as it is now (TargetResolver.rerouteAfter).
        const now = action === 'infer' ? this.d.resolver.rerouteAfter(e, t, modelName, environment, version, header) : undefined;
        if (!now) throw e;
        this.d.metrics.retry('rerouted');
        resolved = now;
        up = await this.d.client.call(now.target, method, `${now.target.v2Path}/infer`, headers, body);
      }
      // Recorded (and journaled) before the answer leaves: a crash after it loses no prediction.
      if (action === 'infer') {
        const bodyHeaderLength = typeof binaryHeader === 'string' ? Number(binaryHeader) : undefined;
        this.afterInfer({ resolved, requestId, traceId, traceparent, arrivedAt, t0, body: body!, bodyHeaderLength, status: up.status, answer: up.body, answerHeaderLength: up.inferenceHeaderLength });
      }
      if (up.inferenceHeaderLength === undefined) sendPayload(res, up.status, up.body, { 'x-request-id': requestId });
      else sendPayload(res, up.status, up.body, { 'x-request-id': requestId, 'content-type': BINARY_TYPE, [HEADER_LENGTH]: String(up.inferenceHeaderLength) });
    } catch (e) {
      const err = asAppError(e, this.d.log);
      if (action === 'infer') {
        const t = resolved?.target;
        const model = t?.modelName ?? (err.code === 'MODEL_NOT_FOUND' || !resolved ? 'unknown' : modelName);
        this.d.metrics.observe(model, t?.version ?? '', t?.role ?? '', err.status, (performance.now() - t0) / 1000);
        this.d.metrics.error(model, t?.version ?? '', t?.role ?? '', err.code);
        if (t && err.code === 'SERVICE_UNAVAILABLE') this.record(resolved!, requestId, traceId, arrivedAt, t0, null, null, 'SERVICE_UNAVAILABLE');
      }
      sendOipError(res, err.status, err.message, { ...err.headers, 'x-request-id': requestId });
    }
  }

  private afterInfer(x: InferOutcome): void {
    const { resolved, requestId, traceId, traceparent, arrivedAt, t0, body, status, answer } = x;
    const t = resolved.target;
    const latencyMs = performance.now() - t0;
    this.d.metrics.observe(t.modelName, t.version, t.role, status, latencyMs / 1000);
    let errorCode: string | undefined;
    if (status !== 200) {
      errorCode = status >= 500 ? 'INFERENCE_ERROR' : 'VALIDATION_ERROR';
      this.d.metrics.error(t.modelName, t.version, t.role, errorCode);
    }
    // The log keeps the JSON part of binary bodies (tensor metadata and any JSON data), not the raw bytes.
    this.record(resolved, requestId, traceId, arrivedAt, t0, jsonPart(body, x.bodyHeaderLength), status === 200 ? jsonPart(answer, x.answerHeaderLength) : null, errorCode);
    const shadow = resolved.route?.shadow;
    if (shadow && shadow.target.versionId !== t.versionId && shouldMirror(shadow.percentage, Math.random()))
      this.d.shadow.offer({
        target: shadow.target,
        kind: 'v2',
        path: `${shadow.target.v2Path}/infer`,
        body,
        ...(x.bodyHeaderLength !== undefined && { inferenceHeaderLength: x.bodyHeaderLength }),
        primaryRequestId: requestId,
        primaryOutputs: undefined,
        input: undefined,
        traceId,
        traceparent,
        arrivedAt,
      });
  }

  /** POST /v2/repository/index: the versions the environment's routing tables send traffic to. */
  private async repositoryIndex(query: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await (this.d.gate.cached(req, 'inference:run') ?? this.d.gate.authenticate(req, 'inference:run'));
      const environment = this.d.environmentOf(req, query);
      let readyOnly = false;
      const raw = await readBody(req, 64 * 1024).catch(() => null);
      if (raw !== null) {
        const body = tryParse(raw);
        if (!body || Array.isArray(body) || (body.ready !== undefined && typeof body.ready !== 'boolean')) throw new AppError('VALIDATION_ERROR', 'the index request is {"ready": true|false}');
        readyOnly = body.ready === true;
      }
      const index: { name: string; version: string; state: string; reason?: string }[] = [];
      for (const route of this.d.routes()) {
        if (route.environment !== environment) continue;
        for (const t of route.targets) {
          const ready = this.d.served(t.versionId);
          if (readyOnly && !ready) continue;
          index.push({ name: t.modelName, version: t.version, state: ready ? 'READY' : 'UNAVAILABLE', ...(!ready && { reason: 'no live model server holds it Ready' }) });
        }
      }
      sendPayload(res, 200, JSON.stringify(index));
    } catch (e) {
      const err = asAppError(e, this.d.log);
      sendOipError(res, err.status, err.message, err.headers);
    }
  }

  private record(resolved: Resolved, requestId: string, traceId: string, arrivedAt: number, t0: number, body: Buffer | null, answer: Buffer | null, errorCode: string | undefined): void {
    const t = resolved.target;
    try {
      const features = body ? (tryParse(body)?.inputs ?? null) : null;
      const outputs = answer ? (tryParse(answer)?.outputs ?? null) : null;
      this.d.sink.record({
        requestId,
        time: new Date(arrivedAt),
        modelId: t.modelId,
        modelName: t.modelName,
        version: t.version,
        versionId: t.versionId,
        environment: t.environment,
        role: t.role,
        features,
        outputs,
        latencyMs: performance.now() - t0,
        status: errorCode === undefined ? 'Completed' : 'Failed',
        ...(errorCode !== undefined && { errorCode }),
        traceId,
      });
      this.d.sink.commit?.();
    } catch (err) {
      this.d.log.warn({ err }, 'gateway: could not record a v2 prediction');
    }
  }

  private notFound(method: string, parts: string[], req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    sendOipError(res, 404, `no route for ${method} /v2${parts.length ? `/${parts.join('/')}` : ''}`);
  }
}

interface InferOutcome {
  resolved: Resolved;
  requestId: string;
  traceId: string;
  traceparent: string | undefined;
  arrivedAt: number;
  t0: number;
  body: Buffer;
  /** Inference-Header-Content-Length of the request (binary extension), when sent. */
  bodyHeaderLength: number | undefined;
  status: number;
  answer: Buffer;
  answerHeaderLength: number | undefined;
}

/** The JSON part of an OIP body: all of it, or its first `headerLength` bytes under the binary extension. */
function jsonPart(buf: Buffer, headerLength: number | undefined): Buffer {
  return headerLength !== undefined && Number.isSafeInteger(headerLength) && headerLength >= 0 && headerLength <= buf.length ? buf.subarray(0, headerLength) : buf;
}

function tryParse(buf: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(buf.toString('utf8'));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
