import { SpanStatusCode, trace } from '@opentelemetry/api';
import * as ort from 'onnxruntime-node';
import { AppError } from '../domain/errors';
import {
  compileFeatureEncoder,
  compileOutputDecoder,
  FeatureSchemaError,
  sampleRows,
  schemaGraphProblems,
  type EncodedRows,
  type FeatureEncoder,
  type OutputDecoder,
  type RowPrediction,
} from '../domain/feature-schema';
import type { LoadRequest } from '../domain/serving/load-request';
import type { ArtifactStore } from '../infra/artifact-store/artifact-store';
import type { Logger } from '../infra/telemetry/logger';
import { fetchArtifact } from './artifact-fetcher';
import { Batcher } from './batcher';
import { LoadError } from './load-error';
import { isBatchable, runOipBatch, type OipResult, type OipRun } from './oip-batch';
import type { VersionMetrics } from './metrics';
import { createSession, describeGraph, toModelGraph, type GraphInfo, type SessionSettings } from './session-factory';

export type VersionState = 'Loading' | 'Ready' | 'Draining' | 'Unloaded' | 'Failed';

export interface VersionOptions {
  intraOpThreads: number;
  interOpThreads: number;
  graphOptimization: SessionSettings['graphOptimization'];
  allowSpinning: boolean;
  maxBatchSize: number;
  maxQueueDelayMicros: number;
  warmupRuns: number;
}

/** A load request with every session setting decided (model-server/load-spec.ts). estimatedBytes counts against the budget until the version is measured. */
export type LoadSpec = Omit<LoadRequest, 'options'> & { options: VersionOptions };

export interface VersionSummary {
  versionId: string;
  modelName: string;
  version: string;
  state: VersionState;
  artifactKey: string;
  checksum: string;
  /** Artifact size + RSS growth measured around session creation. */
  memoryBytes: number | null;
  artifactSizeBytes: number | null;
  inFlight: number;
  queued: number;
  loadedAt: string | null;
  loadMs: number | null;
  options: VersionOptions;
  reason?: string;
}

export interface VersionHostDeps {
  artifactStore: ArtifactStore;
  cacheDir: string;
  logger: Logger;
  metrics: VersionMetrics;
}

const tracer = trace.getTracer('hotswap-model-server');

/** Raised to a request that reached a version which is not (or no longer) serving. */
export const notServing = (v: { modelName: string; version: string; state: VersionState }) =>
  new AppError('SERVICE_UNAVAILABLE', `Version ${v.modelName} ${v.version} is ${v.state.toLowerCase()} on this server`, [], { 'retry-after': '1' });

/**
 * One model version on this server: load (fetch → verify → session → graph check → warm-up),
 * serve (batched native predictions and raw runs), drain and release.
 */
export class VersionHost {
  state: VersionState = 'Loading';
  reason: string | undefined;
  /** null for an OIP-only version (no feature schema): it serves /v2 only. */
  encoder: FeatureEncoder | null = null;
  decoder: OutputDecoder | null = null;
  graph!: GraphInfo;
  loadedAt: Date | null = null;
  private session: ort.InferenceSession | null = null;
  private batcher: Batcher<EncodedRows, RowPrediction[]> | null = null;
  /** The Open Inference Protocol's dynamic batcher; null when the graph cannot be stacked on dim 0. */
  private oipBatcher: Batcher<OipRun, OipResult> | null = null;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private artifactSizeBytes: number | null = null;
  private rssDeltaBytes = 0;
  private loadMs: number | null = null;
  private drainPromise: Promise<DrainResult> | null = null;

  constructor(
    readonly spec: LoadSpec,
    private readonly deps: VersionHostDeps,
  ) {}

  get modelName(): string {
    return this.spec.modelName;
  }
  get version(): string {
    return this.spec.version;
  }
  get metrics(): VersionMetrics {
    return this.deps.metrics;
  }

  /** Loads the version; resolves when Ready, rejects with a LoadError (state Failed). */
  async load(): Promise<void> {
    const t0 = performance.now();
    const { spec, deps } = this;
    try {
      this.compileSchemas();
      const artifact = await fetchArtifact(deps.artifactStore, spec.artifactKey, spec.checksum, deps.cacheDir);
      this.artifactSizeBytes = artifact.sizeBytes;
      if (this.state !== 'Loading') throw new LoadError('CONFLICT', `load of ${spec.versionId} was cancelled`, 'versionId');
      const rssBefore = process.memoryUsage.rss();
      let session: ort.InferenceSession;
      try {
        session = await createSession(artifact.path, spec.options);
      } catch (e) {
        throw new LoadError('VALIDATION_ERROR', `onnxruntime could not load the model: ${(e as Error).message}`, 'artifactKey');
      }
      this.rssDeltaBytes = Math.max(0, process.memoryUsage.rss() - rssBefore);
      this.session = session;
      this.graph = describeGraph(session);
      // The registry refuses a mismatch at registration with the same rules; this catches versions stored before it did.
      const problems = spec.inputSchema === null ? [] : schemaGraphProblems(toModelGraph(this.graph), spec.inputSchema, spec.outputSchema);
      if (problems.length)
        throw new LoadError('VALIDATION_ERROR', `model graph does not match the version's schemas: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems[0].field.split('.')[0]);
      // An OIP-only version has no encoder: no rows to warm up with, no native batcher.
      const { encoder, decoder } = this;
      if (encoder && decoder) await this.warmUp(encoder, decoder);
      if (this.state !== 'Loading') throw new LoadError('CONFLICT', `load of ${spec.versionId} was cancelled`, 'versionId');
      if (encoder && decoder) {
        this.batcher = new Batcher<EncodedRows, RowPrediction[]>(
          (items, rows) => this.runTracedBatch(encoder, decoder, items, rows),
          (e) => e.rows,
          { maxBatchSize: spec.options.maxBatchSize, maxQueueDelayMicros: spec.options.maxQueueDelayMicros },
          { onBatch: (rows, queue) => deps.metrics.observeBatch(rows, queue) },
        );
      }
      if (isBatchable(this.graph)) {
        this.oipBatcher = new Batcher<OipRun, OipResult>(
          (items) => runOipBatch((feeds, fetches) => this.run(feeds, fetches), items),
          (r) => r.rows,
          { maxBatchSize: spec.options.maxBatchSize, maxQueueDelayMicros: spec.options.maxQueueDelayMicros },
          { onBatch: (rows, queue) => deps.metrics.observeBatch(rows, queue) },
        );
      }
      this.loadMs = performance.now() - t0;
      this.loadedAt = new Date();
      this.state = 'Ready';
      deps.logger.info({ versionId: spec.versionId, model: spec.modelName, version: spec.version, loadMs: Math.round(this.loadMs), cached: artifact.cached, memoryBytes: this.memoryBytes }, 'version ready');
    } catch (e) {
      const err = e instanceof LoadError ? e : new LoadError('INTERNAL_ERROR', `load failed: ${(e as Error).message}`, 'versionId');
      this.state = 'Failed';
      this.reason = err.message;
      await this.releaseSession();
      deps.logger.warn({ versionId: spec.versionId, reason: err.message }, 'version load failed');
      throw err;
    }
  }

  /** Builds the native JSON encoder and decoder; an OIP-only version (no schemas) has neither. */
  private compileSchemas(): void {
    if (this.spec.inputSchema === null || this.spec.outputSchema === null) return;
    try {
      this.encoder = compileFeatureEncoder(this.spec.inputSchema);
    } catch (e) {
      if (e instanceof FeatureSchemaError) throw new LoadError('VALIDATION_ERROR', e.message, 'inputSchema');
      throw e;
    }
    try {
      this.decoder = compileOutputDecoder(this.spec.outputSchema);
    } catch (e) {
      if (e instanceof FeatureSchemaError) throw new LoadError('VALIDATION_ERROR', e.message, 'outputSchema');
      throw e;
    }
  }

  /** Single-row runs (the hot shape) and one batch of all warm-up rows, through the real decode path. */
  private async warmUp(encoder: FeatureEncoder, decoder: OutputDecoder): Promise<void> {
    const n = this.spec.options.warmupRuns;
    if (n === 0) return;
    let rows: Record<string, unknown>[];
    let batch: EncodedRows;
    try {
      rows = sampleRows(this.spec.inputSchema, n);
      batch = encoder.encodeMany(rows);
    } catch (e) {
      throw new LoadError('VALIDATION_ERROR', `could not build warm-up rows from the inputSchema: ${(e as Error).message}`, 'inputSchema');
    }
    try {
      for (const row of rows) await this.runBatch(encoder, decoder, [encoder.encodeOne(row)], 1);
      await this.runBatch(encoder, decoder, [batch], batch.rows);
    } catch (e) {
      throw new LoadError('VALIDATION_ERROR', `warm-up inference failed: ${(e as Error).message}`, 'artifactKey');
    }
  }

  /**
   * A batch run inside one `model.predict` span. Spans per request for preprocess/predict/
   * postprocess would cost more than the work they measure (a recording span is ~7 µs, the
   * whole preprocess of a row ~1 µs), so requests carry attributes on their HTTP span and each
   * model run gets one root span (its rows are spread over several requests' traces).
   * Without an exporter the tracer is a no-op and this costs nothing.
   */
  private async runTracedBatch(encoder: FeatureEncoder, decoder: OutputDecoder, items: readonly EncodedRows[], rows: number): Promise<RowPrediction[][]> {
    const span = tracer.startSpan('model.predict', {
      root: true,
      attributes: { 'hotswap.model': this.spec.modelName, 'hotswap.version': this.spec.version, 'hotswap.batch.rows': rows, 'hotswap.batch.requests': items.length },
    });
    try {
      return await this.runBatch(encoder, decoder, items, rows);
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw e;
    } finally {
      span.end();
    }
  }

  /** One tensor run for several requests: rows concatenated, outputs split back per request. */
  private async runBatch(encoder: FeatureEncoder, decoder: OutputDecoder, items: readonly EncodedRows[], rows: number): Promise<RowPrediction[][]> {
    const session = this.session;
    if (!session) throw new AppError('SERVICE_UNAVAILABLE', 'session released');
    const tensor = toTensor(items, rows, encoder.width);
    const out = await session.run({ [encoder.tensorName]: tensor }, decoder.fetches as string[]);
    const results: RowPrediction[][] = new Array(items.length);
    let r = 0;
    for (let i = 0; i < items.length; i++) {
      const n = items[i].rows;
      const preds: RowPrediction[] = new Array(n);
      for (let j = 0; j < n; j++) preds[j] = decoder.decodeRow(out, r++);
      results[i] = preds;
    }
    return results;
  }

  /** Counts a request in; false when the version is not serving (the caller answers 503). */
  tryAcquire(): boolean {
    if (this.state !== 'Ready') return false;
    this.inFlight++;
    return true;
  }

  release(): void {
    if (--this.inFlight === 0 && this.idleWaiters.length) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Queues encoded rows for a batched run (caller holds an acquire). */
  predict(rows: EncodedRows): Promise<RowPrediction[]> {
    if (!this.batcher) return Promise.reject(notServing(this));
    return this.batcher.submit(rows);
  }

  /** A raw run with caller-built feeds (Open Inference Protocol; caller holds an acquire). */
  async run(feeds: Record<string, ort.Tensor>, fetches: string[]): Promise<Record<string, ort.Tensor>> {
    if (!this.session) throw notServing(this);
    return await this.session.run(feeds, fetches);
  }

  /**
   * An Open Inference Protocol run through the dynamic batcher (stacked with other requests on
   * dim 0 when the graph allows it; caller holds an acquire).
   */
  async runOip(feeds: Record<string, ort.Tensor>, fetches: string[], rows: number): Promise<Record<string, ort.Tensor>> {
    if (!this.oipBatcher) return this.run(feeds, fetches);
    const r = await this.oipBatcher.submit({ feeds, fetches, rows });
    if (r instanceof Error) throw r;
    return r;
  }

  /**
   * Stops taking requests (they get 503 and the gateway retries elsewhere), waits up to
   * `timeoutMs` for in-flight requests, then releases the session. Idempotent.
   */
  drain(timeoutMs: number, loading?: Promise<unknown>): Promise<DrainResult> {
    this.drainPromise ??= this.doDrain(timeoutMs, loading);
    return this.drainPromise;
  }

  private async doDrain(timeoutMs: number, loading?: Promise<unknown>): Promise<DrainResult> {
    const t0 = performance.now();
    if (this.state === 'Loading') {
      this.state = 'Draining';
      await loading?.catch(() => undefined);
    }
    this.state = 'Draining';
    const inFlightAtStart = this.inFlight;
    let timedOut = false;
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      timedOut = await Promise.race([
        new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(false))),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    // Whatever still waits in the queue after the deadline is refused; the run in progress finishes first.
    await this.batcher?.close(notServing(this));
    await this.oipBatcher?.close(notServing(this));
    await this.releaseSession();
    this.state = 'Unloaded';
    const drainMs = performance.now() - t0;
    this.deps.logger.info({ versionId: this.spec.versionId, inFlightAtStart, timedOut, drainMs: Math.round(drainMs) }, 'version unloaded');
    return { inFlightAtStart, timedOut, drainMs };
  }

  private async releaseSession(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.release().catch((e: unknown) => this.deps.logger.warn({ err: e, versionId: this.spec.versionId }, 'session release failed'));
  }

  get memoryBytes(): number | null {
    return this.artifactSizeBytes === null ? null : this.artifactSizeBytes + this.rssDeltaBytes;
  }

  summary(): VersionSummary {
    const s = this.spec;
    return {
      versionId: s.versionId,
      modelName: s.modelName,
      version: s.version,
      state: this.state,
      artifactKey: s.artifactKey,
      checksum: s.checksum,
      memoryBytes: this.memoryBytes,
      artifactSizeBytes: this.artifactSizeBytes,
      inFlight: this.inFlight,
      queued: (this.batcher?.queued ?? 0) + (this.oipBatcher?.queued ?? 0),
      loadedAt: this.loadedAt?.toISOString() ?? null,
      loadMs: this.loadMs === null ? null : Math.round(this.loadMs * 10) / 10,
      options: s.options,
      ...(this.reason ? { reason: this.reason } : {}),
    };
  }
}

export interface DrainResult {
  inFlightAtStart: number;
  timedOut: boolean;
  drainMs: number;
}

function toTensor(items: readonly EncodedRows[], rows: number, width: number): ort.Tensor {
  const first = items[0];
  if (first.kind === 'dense') {
    let data: Float32Array;
    if (items.length === 1) data = first.data;
    else {
      data = new Float32Array(rows * width);
      let at = 0;
      for (const it of items) {
        data.set(it.data as Float32Array, at);
        at += it.data.length;
      }
    }
    return new ort.Tensor('float32', data, [rows, width]);
  }
  let data: string[];
  if (items.length === 1) data = first.data;
  else {
    data = new Array<string>(rows);
    let at = 0;
    for (const it of items) for (const s of it.data as string[]) data[at++] = s;
  }
  return new ort.Tensor('string', data, [rows, 1]);
}
