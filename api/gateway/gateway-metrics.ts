import client from 'prom-client';
import type { Registry } from 'prom-client';

/** Gateway time per request, end to end: from a few hundred µs (cache hit) to seconds. */
const DURATION_BUCKETS = [0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export type RetryReason = 'connect' | 'reset' | 'unavailable' | 'not_loaded' | 'rerouted';

/**
 * The gateway's Prometheus instruments on the api's registry. Children are cached per label
 * combination so the hot path does one Map look-up instead of prom-client's label hashing.
 * Label values are bounded: model names only once a model is known ('unknown' otherwise).
 */
export class GatewayMetrics {
  private readonly requests: client.Counter<'model' | 'version' | 'role' | 'status'>;
  private readonly duration: client.Histogram<'model' | 'version' | 'role'>;
  private readonly errors: client.Counter<'model' | 'version' | 'role' | 'code'>;
  private readonly retries: client.Counter<'reason'>;
  private readonly revision: client.Gauge<'model' | 'environment'>;
  private readonly shadowDropped: client.Counter<'model'>;
  private readonly cache: client.Counter<'model' | 'result'>;
  private readonly coalescedRows: client.Histogram;
  private readonly children = new Map<string, { count: client.Counter.Internal; seconds: client.Histogram.Internal<'model' | 'version' | 'role'> }>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new client.Counter({ name: 'hotswap_inference_requests_total', help: 'Inference requests through the gateway by model, version, role and HTTP status', labelNames: ['model', 'version', 'role', 'status'] as const, registers });
    this.duration = new client.Histogram({ name: 'hotswap_inference_duration_seconds', help: 'Gateway time per inference request (routing, model server, response)', labelNames: ['model', 'version', 'role'] as const, buckets: DURATION_BUCKETS, registers });
    this.errors = new client.Counter({ name: 'hotswap_inference_errors_total', help: 'Failed inference requests through the gateway by catalogue code', labelNames: ['model', 'version', 'role', 'code'] as const, registers });
    this.retries = new client.Counter({ name: 'hotswap_gateway_retries_total', help: 'Requests retried on another model server (or, rerouted, on the version the routing table now picks), by reason', labelNames: ['reason'] as const, registers });
    this.revision = new client.Gauge({ name: 'hotswap_routing_revision', help: 'Routing-table revision this gateway serves', labelNames: ['model', 'environment'] as const, registers });
    this.shadowDropped = new client.Counter({ name: 'hotswap_shadow_dropped_total', help: 'Shadow copies dropped because the shadow queue was full', labelNames: ['model'] as const, registers });
    this.coalescedRows = new client.Histogram({ name: 'hotswap_gateway_coalesced_batch_size', help: 'Single predictions sent together in one coalesced model-server call', buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers });
    this.cache = new client.Counter({ name: 'hotswap_prediction_cache_total', help: 'Prediction-cache look-ups by result (hit, miss)', labelNames: ['model', 'result'] as const, registers });
  }

  /** One finished request. */
  observe(model: string, version: string, role: string, status: number, seconds: number): void {
    const key = `${model}\u0000${version}\u0000${role}\u0000${status}`;
    let c = this.children.get(key);
    if (!c) {
      c = { count: this.requests.labels(model, version, role, String(status)), seconds: this.duration.labels(model, version, role) };
      this.children.set(key, c);
    }
    c.count.inc();
    c.seconds.observe(seconds);
  }

  error(model: string, version: string, role: string, code: string): void {
    this.errors.labels(model, version, role, code).inc();
  }

  retry(reason: RetryReason): void {
    this.retries.labels(reason).inc();
  }

  setRevision(model: string, environment: string, revision: number): void {
    this.revision.labels(model, environment).set(revision);
  }

  dropRevision(model: string, environment: string): void {
    this.revision.remove(model, environment);
  }

  shadowDrop(model: string): void {
    this.shadowDropped.labels(model).inc();
  }

  coalesced(rows: number): void {
    this.coalescedRows.observe(rows);
  }

  cacheLookup(model: string, hit: boolean): void {
    this.cache.labels(model, hit ? 'hit' : 'miss').inc();
  }
}
