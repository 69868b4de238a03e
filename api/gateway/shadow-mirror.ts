import { isAppError } from '../../domain/errors';
import type { Logger } from '../../infra/telemetry/logger';
import type { GatewayMetrics } from './gateway-metrics';
import { shadowRequestId, type PredictionRecord, type PredictionSink } from './prediction-sink';
import type { Target } from './target';
import type { UpstreamHeaders } from './upstream';
import type { VersionClient } from './version-client';

export type MirroredKind = 'single' | 'batch' | 'v2';

/** A copy of a primary request, to be replayed against the shadow version. */
export interface ShadowJob {
  target: Target;
  kind: MirroredKind;
  path: string;
  body: Buffer;
  /** v2 under the binary tensor data extension: the length of the body's JSON part. */
  inferenceHeaderLength?: number;
  primaryRequestId: string;
  /** What the primary answered: its prediction (single), its predictions (batch); undefined for v2. */
  primaryOutputs: unknown;
  /** The primary's features (single) or instances (batch); v2 inputs are parsed from `body`. */
  input: unknown;
  traceId: string;
  traceparent: string | undefined;
  /** When the primary request arrived (epoch ms). */
  arrivedAt: number;
}

/** A fixed-capacity FIFO: push fails when full instead of growing. */
class BoundedQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  length = 0;
  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }
  push(item: T): boolean {
    if (this.length === this.capacity) return false;
    this.items[(this.head + this.length) % this.capacity] = item;
    this.length++;
    return true;
  }
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.length--;
    return item;
  }
}

/**
 * Shadow mirroring: after the primary answered, a sampled copy of the request goes to the
 * shadow version through a bounded queue drained by at most SHADOW_CONCURRENCY requests at a
 * time. A full queue drops the copy and counts it (hotswap_shadow_dropped_total), so overload
 * sheds mirror traffic, never primary traffic. Shadow answers and failures go to the
 * prediction sink only (role 'shadow', with the primary's request id), never to a caller.
 */
export class ShadowMirror {
  private readonly queue: BoundedQueue<ShadowJob>;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  dropped = 0;

  constructor(
    private readonly deps: { client: VersionClient; sink: PredictionSink; metrics: GatewayMetrics; log: Logger; queueSize: number; concurrency: number },
  ) {
    this.queue = new BoundedQueue(deps.queueSize);
  }

  /** Queues a copy; false (and counted) when the queue is full. */
  offer(job: ShadowJob): boolean {
    if (!this.queue.push(job)) {
      this.dropped++;
      this.deps.metrics.shadowDrop(job.target.modelName);
      return false;
    }
    this.pump();
    return true;
  }

  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.deps.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.inFlight++;
      void this.run(job).finally(() => {
        this.inFlight--;
        this.pump();
        if (this.pending === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      });
    }
  }

  private async run(job: ShadowJob): Promise<void> {
    const t = job.target;
    const t0 = performance.now();
    let status = 0;
    let parsed: Record<string, unknown> | undefined;
    let errorCode: string | undefined;
    let serverId: string | undefined;
    try {
      const headers: UpstreamHeaders = { 'content-type': 'application/json', 'x-request-id': `${job.primaryRequestId}-shadow` };
      if (job.inferenceHeaderLength !== undefined) {
        headers['content-type'] = 'application/octet-stream';
        headers['inference-header-content-length'] = job.inferenceHeaderLength;
      }
      if (job.traceparent !== undefined) headers.traceparent = job.traceparent;
      const r = await this.deps.client.call(t, 'POST', job.path, headers, job.body);
      status = r.status;
      serverId = r.upstream.id;
      parsed = JSON.parse(r.body.toString('utf8', 0, r.inferenceHeaderLength ?? r.body.length)) as Record<string, unknown>;
      if (status !== 200) errorCode = typeof (parsed.error as { code?: unknown } | undefined)?.code === 'string' ? (parsed.error as { code: string }).code : status >= 500 ? 'INFERENCE_ERROR' : 'VALIDATION_ERROR';
    } catch (e) {
      errorCode = isAppError(e) ? e.code : 'INTERNAL_ERROR';
      status = isAppError(e) ? e.status : 500;
      if (!isAppError(e)) this.deps.log.warn({ err: e, model: t.modelName, version: t.version }, 'gateway: shadow request failed');
    }
    const latencyMs = performance.now() - t0;
    this.deps.metrics.observe(t.modelName, t.version, 'shadow', status, latencyMs / 1000);
    if (errorCode) this.deps.metrics.error(t.modelName, t.version, 'shadow', errorCode);
    try {
      this.record(job, parsed, errorCode, latencyMs, serverId);
    } catch (err) {
      this.deps.log.warn({ err }, 'gateway: could not record a shadow prediction');
    }
  }

  private record(job: ShadowJob, answer: Record<string, unknown> | undefined, errorCode: string | undefined, latencyMs: number, serverId: string | undefined): void {
    const t = job.target;
    const ok = errorCode === undefined && answer !== undefined;
    const base = {
      time: new Date(job.arrivedAt),
      modelId: t.modelId,
      modelName: t.modelName,
      version: t.version,
      versionId: t.versionId,
      environment: t.environment,
      role: 'shadow' as const,
      latencyMs,
      status: ok ? ('Completed' as const) : ('Failed' as const),
      ...(errorCode !== undefined && { errorCode }),
      ...(serverId !== undefined && { serverId }),
      traceId: job.traceId,
    };
    const sink = this.deps.sink;
    if (job.kind === 'batch') {
      const instances = job.input as unknown[];
      const predictions = ok ? (answer.predictions as unknown[]) : undefined;
      for (let i = 0; i < instances.length; i++) {
        const primaryOutputs = Array.isArray(job.primaryOutputs) ? job.primaryOutputs[i] : undefined;
        const r: PredictionRecord = { ...base, requestId: shadowRequestId(`${job.primaryRequestId}:${i}`), primaryRequestId: `${job.primaryRequestId}:${i}`, primaryOutputs, features: instances[i], outputs: predictions?.[i] ?? null };
        sink.record(r);
      }
      return;
    }
    let features = job.input;
    if (job.kind === 'v2') features = (JSON.parse(job.body.toString('utf8', 0, job.inferenceHeaderLength ?? job.body.length)) as { inputs?: unknown }).inputs ?? null;
    const outputs = ok ? (job.kind === 'v2' ? answer.outputs : answer.prediction) : null;
    sink.record({ ...base, requestId: shadowRequestId(job.primaryRequestId), primaryRequestId: job.primaryRequestId, primaryOutputs: job.primaryOutputs, features, outputs });
  }
}
