import os from 'node:os';
import { cumulativeWeights, poolForBucket, randomBucket, stickyBucket } from '../../domain/routing/traffic-split';
import { CoalescedTask } from '../../infra/async/coalesced-task';
import { withTimeout } from '../../infra/async/with-timeout';
import type { GatewayRegistry } from '../../infra/mongo/gateway-registry';
import type { RoutingRepository, RoutingTableDoc } from '../../infra/mongo/routing-repository';
import type { Logger } from '../../infra/telemetry/logger';
import type { GatewayMetrics } from './gateway-metrics';
import { PredictionCache } from './prediction-cache';
import type { ServerDirectory } from './server-directory';
import { makeTarget, type Target } from './target';

/** What the cache keeps per answer: everything of a single prediction that does not vary per request. */
export interface CachedAnswer {
  prediction: unknown;
  confidence: unknown;
}

/** A routing table ready for the hot path: targets and cumulative weights precomputed. */
export interface CompiledRoute {
  id: string;
  modelId: string;
  modelName: string;
  environment: string;
  revision: number;
  targets: Target[];
  cumulative: number[];
  shadow: { target: Target; percentage: number } | null;
  /** Lower-case header whose value pins a caller to a version (A/B), or null. */
  stickyHeader: string | null;
  cache: PredictionCache<CachedAnswer> | null;
}

export function compileRoute(doc: RoutingTableDoc, previous?: CompiledRoute): CompiledRoute {
  const base = { modelId: doc.modelId, modelName: doc.modelName, environment: doc.environment };
  const targets = doc.pools.map((p) => makeTarget({ ...base, versionId: p.versionId, version: p.version, role: p.role ?? 'primary' }));
  const shadow = doc.shadow && doc.shadow.percentage > 0
    ? { target: makeTarget({ ...base, versionId: doc.shadow.versionId, version: doc.shadow.version, role: 'shadow' }), percentage: doc.shadow.percentage }
    : null;
  let cache: PredictionCache<CachedAnswer> | null = null;
  if (doc.cache?.enabled) cache = previous?.cache?.sameSettings(doc.cache) ? previous.cache : new PredictionCache<CachedAnswer>(doc.cache);
  return {
    id: doc._id,
    ...base,
    revision: doc.revision,
    targets,
    cumulative: cumulativeWeights(doc.pools.map((p) => p.weight)),
    shadow,
    stickyHeader: doc.sticky?.header ?? null,
    cache,
  };
}

/**
 * The pool a request goes to: by the sticky key's hash when the table has a sticky rule and
 * the request carries the key, else by a uniform random draw.
 */
export function selectTarget(route: CompiledRoute, stickyValue: string | undefined, random: () => number = Math.random): Target {
  const bucket = stickyValue !== undefined ? stickyBucket(stickyValue) : randomBucket(random());
  return route.targets[poolForBucket(route.cumulative, bucket)];
}

export interface RouteTablesDeps {
  repo: Pick<RoutingRepository, 'all'>;
  directory: ServerDirectory;
  registry: GatewayRegistry;
  metrics: GatewayMetrics;
  log: Logger;
  gatewayId: string;
  pollMs: number;
  heartbeatMs: number;
}

/** How long close() waits for the database (last poll, last beat, removing the heartbeat). */
const CLOSE_BUDGET_MS = 3000;

const keyOf = (modelName: string, environment: string) => `${modelName}\u0000${environment}`;

/**
 * This gateway's copy of every routing table, re-read every GATEWAY_ROUTING_POLL_MS (MongoDB
 * change streams would push changes, but FerretDB has none; a poll of a few small documents is
 * cheap). A new revision is applied only after the server directory is refreshed, so a version
 * that just became Ready is known before traffic moves to it; then the revisions served are
 * reported to the `gateways` collection at once (and every GATEWAY_HEARTBEAT_MS). While the
 * database is unreachable the last known tables keep serving.
 */
export class RouteTables {
  private byKey = new Map<string, CompiledRoute>();
  private byId = new Map<string, CompiledRoute>();
  private pollTimer: NodeJS.Timeout | null = null;
  private beatTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private stopped = false;
  private pollFailures = 0;
  private beatFailures = 0;
  private readonly startedAt = new Date();
  private readonly beats = new CoalescedTask(() => this.sendBeat());
  /** True once the first poll succeeded. */
  loaded = false;

  constructor(private readonly deps: RouteTablesDeps) {}

  get(modelName: string, environment: string): CompiledRoute | undefined {
    return this.byKey.get(keyOf(modelName, environment));
  }

  all(): CompiledRoute[] {
    return [...this.byId.values()];
  }

  async start(): Promise<void> {
    await this.poll();
    await this.beat();
    this.schedulePoll();
    this.beatTimer = setInterval(() => void this.beat(), this.deps.heartbeatMs);
    this.beatTimer.unref();
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.pollTimer = setTimeout(() => {
      void this.poll().finally(() => this.schedulePoll());
    }, this.deps.pollMs);
    this.pollTimer.unref();
  }

  /** Reads every table and applies changed revisions (single flight). */
  poll(): Promise<void> {
    this.polling ??= this.doPoll().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private async doPoll(): Promise<void> {
    let docs: RoutingTableDoc[];
    try {
      docs = await this.deps.repo.all();
      if (this.pollFailures > 0) this.deps.log.info({ afterFailures: this.pollFailures }, 'gateway: routing tables readable again');
      this.pollFailures = 0;
    } catch (err) {
      if (this.pollFailures++ % 40 === 0) this.deps.log.warn({ err }, 'gateway: cannot read routing tables; serving the last known revisions');
      return;
    }
    const changed = docs.filter((d) => this.byId.get(d._id)?.revision !== d.revision);
    const removed = docs.length - changed.length !== this.byId.size;
    if (changed.length === 0 && !removed) {
      this.loaded = true;
      return;
    }
    // Servers may have just reported a version Ready that the new revision routes to.
    if (changed.some((d) => d.pools.some((p) => p.weight > 0 && !this.deps.directory.has(p.versionId)))) await this.deps.directory.refresh();
    const byId = new Map<string, CompiledRoute>();
    const byKey = new Map<string, CompiledRoute>();
    for (const d of docs) {
      const prev = this.byId.get(d._id);
      const route = prev && prev.revision === d.revision ? prev : compileRoute(d, prev);
      byId.set(d._id, route);
      byKey.set(keyOf(route.modelName, route.environment), route);
      this.deps.metrics.setRevision(route.modelName, route.environment, route.revision);
    }
    for (const [id, r] of this.byId) if (!byId.has(id)) this.deps.metrics.dropRevision(r.modelName, r.environment);
    this.byId = byId;
    this.byKey = byKey;
    this.loaded = true;
    if (changed.length > 0) this.deps.log.info({ tables: changed.map((d) => ({ id: d._id, revision: d.revision })) }, 'gateway: routing revision applied');
    await this.beat();
  }

  /**
   * Reports the applied revisions to the `gateways` collection: now, or right after the beat in
   * progress (with the latest state). However slow the database, at most one beat waits.
   */
  private beat(): Promise<void> {
    return this.beats.run();
  }

  private async sendBeat(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.deps.registry.heartbeat({
        _id: this.deps.gatewayId,
        host: os.hostname(),
        pid: process.pid,
        startedAt: this.startedAt,
        applied: this.all().map((r) => ({ modelId: r.modelId, environment: r.environment, revision: r.revision })),
      });
      this.beatFailures = 0;
    } catch (err) {
      if (this.beatFailures++ % 40 === 0) this.deps.log.warn({ err }, 'gateway: heartbeat failed');
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.beatTimer) clearInterval(this.beatTimer);
    // Bounded: a slow or unreachable database must not hold a stopping gateway (its document
    // goes stale and readers ignore it).
    await withTimeout(
      (async () => {
        await this.polling?.catch(() => undefined);
        await this.beats.idle();
        await this.deps.registry.remove(this.deps.gatewayId);
      })(),
      CLOSE_BUDGET_MS,
    ).catch((err: unknown) => this.deps.log.warn({ err }, 'gateway: could not remove its heartbeat document at shutdown'));
  }
}
