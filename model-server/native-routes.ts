import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../domain/errors';
import type { EncodedRows } from '../domain/feature-schema';
import { readJson, sendJson } from './http-io';
import { notServing, type VersionHost } from './version-host';
import type { VersionRegistry } from './version-registry';

/** Largest batch request accepted, in rows. */
export const MAX_INSTANCES = 10_000;

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

function requestIdOf(req: IncomingMessage): string {
  const h = req.headers['x-request-id'];
  return typeof h === 'string' && h.length > 0 && h.length <= 200 ? h : randomUUID();
}

/** Resolves (model, version) to a serving host, or throws the error the caller should see. */
export function resolveHost(registry: VersionRegistry, modelName: string, version: string): VersionHost {
  const host = registry.find(modelName, version);
  if (!host) {
    if (!registry.hasModel(modelName)) throw new AppError('MODEL_NOT_FOUND', `Model ${modelName} is not loaded on this server`);
    throw new AppError('VERSION_NOT_FOUND', `Version ${version} of ${modelName} is not loaded on this server`);
  }
  return host;
}

/** Server-side failures count as inference errors; client errors (4xx) do not. */
function asInferenceError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  return new AppError('INFERENCE_ERROR', `Model inference failed: ${(e as Error).message}`);
}

/** The answer to a JSON features request for a version registered without a feature schema. */
export const oipOnly = (modelName: string, version: string) =>
  new AppError('VALIDATION_ERROR', `${modelName} ${version} has no feature schema (OIP-only): send Open Inference Protocol requests to /v2/models/${modelName}/versions/${version}/infer`, [
    { field: 'features', message: 'this version takes Open Inference Protocol v2 tensors only (POST /v2/models/{model}/versions/{version}/infer)' },
  ]);

/**
 * The native JSON data plane the gateway calls:
 * POST /v1/models/{m}/versions/{v}/predict        {features:{...}}
 * POST /v1/models/{m}/versions/{v}/predict/batch  {instances:[...]}
 */
export async function handlePredict(registry: VersionRegistry, modelName: string, version: string, batch: boolean, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const start = performance.now();
  const host = resolveHost(registry, modelName, version);
  const encoder = host.encoder;
  if (!encoder) throw oipOnly(modelName, version);
  if (!host.tryAcquire()) throw notServing(host);
  const requestId = requestIdOf(req);
  res.setHeader('x-request-id', requestId);
  try {
    const body = await readJson(req);
    let encoded: EncodedRows;
    if (!batch) {
      const features = typeof body === 'object' && body !== null ? (body as { features?: unknown }).features : undefined;
      if (features === undefined) throw new AppError('VALIDATION_ERROR', 'Request body needs "features"', [{ field: 'features', message: 'is required' }]);
      encoded = encoder.encodeOne(features);
    } else {
      const instances = typeof body === 'object' && body !== null ? (body as { instances?: unknown }).instances : undefined;
      if (!Array.isArray(instances) || instances.length === 0)
        throw new AppError('VALIDATION_ERROR', 'Request body needs "instances"', [{ field: 'instances', message: 'must be a non-empty array' }]);
      if (instances.length > MAX_INSTANCES)
        throw new AppError('PAYLOAD_TOO_LARGE', undefined, [{ field: 'instances', message: `must hold at most ${MAX_INSTANCES} rows` }]);
      encoded = encoder.encodeMany(instances);
    }
    let preds;
    try {
      preds = await host.predict(encoded);
    } catch (e) {
      const err = asInferenceError(e);
      if (err.status >= 500) host.metrics.observeError();
      throw err;
    }
    const ms = performance.now() - start;
    host.metrics.observeRequest(ms / 1000, encoded.rows);
    const span = trace.getActiveSpan();
    if (span?.isRecording()) span.setAttributes({ 'hotswap.model': modelName, 'hotswap.version': version, 'hotswap.rows': encoded.rows, 'hotswap.request_id': requestId });
    const timestamp = new Date().toISOString();
    if (!batch) {
      const p = preds[0];
      sendJson(res, 200, { requestId, modelName, version, prediction: p.prediction, confidence: p.confidence, latencyMs: round3(ms), timestamp });
    } else {
      const predictions = new Array(preds.length);
      const confidences = new Array(preds.length);
      for (let i = 0; i < preds.length; i++) {
        predictions[i] = preds[i].prediction;
        confidences[i] = preds[i].confidence;
      }
      sendJson(res, 200, { requestId, modelName, version, predictions, confidences, totalLatencyMs: round3(ms), timestamp });
    }
  } finally {
    host.release();
  }
}
