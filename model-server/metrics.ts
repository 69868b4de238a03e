import client from 'prom-client';
import type { ProcessMetrics } from '../infra/telemetry/metrics';

/** Per-version instruments, bound to their (model, version) labels once so the hot path does no label hashing. */
export interface VersionMetrics {
  /** One finished request (single or batch): its model-server time in seconds and how many rows it predicted. */
  observeRequest(seconds: number, rows: number): void;
  /** One failed request (inference failure, not a client error). */
  observeError(): void;
  /** One batch run: its rows and each request's time in the queue. */
  observeBatch(rows: number, queueSeconds: readonly number[]): void;
}

export interface ModelServerMetrics {
  forVersion(model: string, version: string): VersionMetrics;
  /** HTTP request metric with per-(method, route, status) children cached. */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  loadedVersions: client.Gauge<'state'>;
}

/** Fine buckets from 100 µs: a tiny model answers in well under a millisecond. */
const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const QUEUE_BUCKETS = [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export function createModelServerMetrics(pm: ProcessMetrics): ModelServerMetrics {
  const registers = [pm.registry];
  const labelNames = ['model', 'version'] as const;
  const duration = new client.Histogram({
    name: 'hotswap_inference_duration_seconds',
    help: 'Model-server time per inference request (preprocess, queue, run, postprocess)',
    labelNames,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const predictions = new client.Counter({ name: 'hotswap_predictions_total', help: 'Rows predicted', labelNames, registers });
  const errors = new client.Counter({ name: 'hotswap_inference_errors_total', help: 'Inference requests that failed on the server side', labelNames, registers });
  const queue = new client.Histogram({ name: 'hotswap_inference_queue_seconds', help: 'Time a request waited for its batch to start', labelNames, buckets: QUEUE_BUCKETS, registers });
  const batchSize = new client.Histogram({ name: 'hotswap_inference_batch_size', help: 'Rows per model run', labelNames, buckets: BATCH_BUCKETS, registers });
  const loadedVersions = new client.Gauge({ name: 'hotswap_model_server_versions', help: 'Versions hosted by this server, by state', labelNames: ['state'] as const, registers });

  const httpChildren = new Map<string, client.Histogram.Internal<'method' | 'route' | 'status'>>();

  return {
    loadedVersions,
    forVersion(model, version) {
      const labels = { model, version };
      const d = duration.labels(labels);
      const p = predictions.labels(labels);
      const e = errors.labels(labels);
      const q = queue.labels(labels);
      const b = batchSize.labels(labels);
      return {
        observeRequest(seconds, rows) {
          d.observe(seconds);
          p.inc(rows);
        },
        observeError() {
          e.inc();
        },
        observeBatch(rows, queueSeconds) {
          b.observe(rows);
          for (let i = 0; i < queueSeconds.length; i++) q.observe(queueSeconds[i]);
        },
      };
    },
    observeHttp(method, route, status, seconds) {
      const key = `${method} ${route} ${status}`;
      let child = httpChildren.get(key);
      if (!child) {
        child = pm.httpDuration.labels({ method, route, status: String(status) });
        httpChildren.set(key, child);
      }
      child.observe(seconds);
    },
  };
}
