/**
 * Converges this server to the stored desired state, the way a Kubernetes controller does: at
 * start, then every MODEL_SERVER_RECONCILE_MS, it reads what should be served (routing tables,
 * running deployments and their holds: infra/mongo/desired-state-source.ts), computes what this
 * server should hold (domain/serving/desired-state.ts), loads what is missing and unloads what
 * nothing wants any more. No human action and no control-API call is needed after a restart, a
 * crash, a database outage, a new server joining or a version being retired.
 *
 * Safe by construction:
 * - nothing is unloaded on a failed read (a database outage changes nothing here);
 * - a version is unloaded only after nothing wanted it for MODEL_SERVER_UNLOAD_GRACE_MS, and
 *   never while a running deployment manages it (its workflow loads and unloads it);
 * - a load that fails is retried with back-off (2 s doubling to 60 s), a load refused by the
 *   memory budget is reported (heartbeat `refused`) and tried again when memory frees up.
 */
import type { StoredServingState } from '../infra/mongo/desired-state-source';
import { desiredState, type DesiredVersion } from '../domain/serving/desired-state';
import { loadRequestFor } from '../domain/serving/load-request';
import { assessReadiness, type Readiness } from '../domain/serving/readiness';
import type { PlacementMap } from '../domain/serving/placement';
import { isAppError, type ErrorCode } from '../domain/errors';
import type { ModelVersion } from '../domain/models/model';
import { CoalescedTask } from '../infra/async/coalesced-task';
import type { Logger } from '../infra/telemetry/logger';
import { toLoadSpec, type LoadDefaults } from './load-spec';
import type { VersionRegistry } from './version-registry';

const FIRST_RETRY_MS = 2000;
const MAX_RETRY_MS = 60_000;

export interface ReconcilerDeps {
  serverId: string;
  pool: string;
  registry: VersionRegistry;
  source: { read(): Promise<StoredServingState> };
  versions: { find(modelId: string, versionId: string): Promise<ModelVersion | null> };
  loadDefaults: LoadDefaults;
  placement: PlacementMap;
  intervalMs: number;
  unloadGraceMs: number;
  drainTimeoutMs: number;
  logger: Logger;
  now?: () => number;
}

/** A desired version this server does not hold, and why. */
export interface Refusal {
  versionId: string;
  modelName: string;
  /** The load error's code: INSUFFICIENT_CAPACITY (memory budget), VALIDATION_ERROR (a bad model), INTERNAL_ERROR (e.g. the artifact store), ... */
  code: ErrorCode;
  reason: string;
}

/** What one pass decided. */
export interface ReconcilePass {
  /** Loads started by this pass. */
  loading: string[];
  /** Unloads started by this pass. */
  unloading: string[];
  /** False when the desired state could not be read (nothing was changed). */
  read: boolean;
}

export class Reconciler {
  private readonly task = new CoalescedTask(async () => {
    await this.pass();
  });
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly unwantedSince = new Map<string, number>();
  private readonly retries = new Map<string, { attempts: number; retryAt: number }>();
  private readonly refusals = new Map<string, Refusal>();
  private readonly busy = new Map<string, Promise<void>>();
  private readFailures = 0;
  /** Version ids the last successful read assigned here; null before the first one. */
  private assigned: string[] | null = null;

  constructor(private readonly deps: ReconcilerDeps) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  start(): void {
    if (this.timer || this.stopped) return;
    void this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.deps.intervalMs);
    this.timer.unref();
  }

  /** Runs a pass now (or joins the one pending); resolves when it has been decided (loads and unloads go on in the background). */
  reconcile(): Promise<void> {
    return this.task.run();
  }

  /** Desired versions this server could not load, for the heartbeat. */
  refused(): Refusal[] {
    return [...this.refusals.values()];
  }

  /** Whether every version assigned here is Ready (domain/serving/readiness.ts): /health/ready. */
  readiness(): Readiness {
    const { registry } = this.deps;
    const refusedForCapacity = new Set([...this.refusals.values()].filter((r) => r.code === 'INSUFFICIENT_CAPACITY').map((r) => r.versionId));
    return assessReadiness({ read: this.assigned !== null, assigned: this.assigned ?? [], stateOf: (id) => registry.get(id)?.state, refusedForCapacity });
  }

  /** Stops reconciling and waits for the pass in progress (loads it started are the registry's to cancel: unloadAll drains them). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.task.idle();
  }

  private async pass(): Promise<ReconcilePass> {
    if (this.stopped) return { loading: [], unloading: [], read: false };
    let state: StoredServingState;
    try {
      state = await this.deps.source.read();
      if (this.readFailures > 0) this.deps.logger.info({ afterFailures: this.readFailures }, 'reconciler: desired state readable again');
      this.readFailures = 0;
    } catch (e) {
      if (this.readFailures++ % 30 === 0) this.deps.logger.warn({ err: e }, 'reconciler: cannot read the desired state; holding what is loaded');
      return { loading: [], unloading: [], read: false };
    }
    const { serverId, pool, registry } = this.deps;
    const desired = desiredState({ server: { id: serverId, pool }, servers: state.servers, tables: state.tables, running: state.running, holds: state.holds, placement: this.deps.placement });
    this.assigned = [...desired.load.keys()];
    const now = this.now();
    const loading: string[] = [];
    for (const d of desired.load.values()) {
      this.unwantedSince.delete(d.versionId);
      const host = registry.get(d.versionId);
      if (host && host.state !== 'Failed') continue;
      if (this.busy.has(d.versionId)) continue;
      const retry = this.retries.get(d.versionId);
      if (retry && retry.retryAt > now) continue;
      loading.push(d.versionId);
      this.track(d.versionId, this.load(d));
    }
    for (const id of [...this.refusals.keys()]) if (!desired.load.has(id)) this.refusals.delete(id);
    for (const id of [...this.retries.keys()]) if (!desired.load.has(id)) this.retries.delete(id);

    const unloading: string[] = [];
    for (const host of registry.all()) {
      const id = host.spec.versionId;
      // Only a Ready version counts down: a load in progress (from the control API) finishes first.
      if (desired.load.has(id) || desired.protect.has(id) || this.busy.has(id) || host.state !== 'Ready') {
        if (!desired.load.has(id)) this.unwantedSince.delete(id);
        continue;
      }
      const since = this.unwantedSince.get(id);
      if (since === undefined) {
        this.unwantedSince.set(id, now);
        continue;
      }
      if (now - since < this.deps.unloadGraceMs) continue;
      this.unwantedSince.delete(id);
      unloading.push(id);
      this.deps.logger.info({ versionId: id, model: host.modelName, version: host.version, unwantedForMs: now - since }, 'reconciler: unloading a version nothing wants here any more');
      this.track(
        id,
        registry.unload(id, this.deps.drainTimeoutMs).then(() => undefined),
      );
    }
    for (const id of [...this.unwantedSince.keys()]) if (!registry.get(id)) this.unwantedSince.delete(id);
    return { loading, unloading, read: true };
  }

  private track(versionId: string, work: Promise<void>): void {
    const p = work
      .catch((e: unknown) => this.deps.logger.warn({ err: e, versionId }, 'reconciler: action failed'))
      .finally(() => this.busy.delete(versionId));
    this.busy.set(versionId, p);
  }

  private async load(d: DesiredVersion): Promise<void> {
    const version = await this.deps.versions.find(d.modelId, d.versionId);
    if (!version) return this.failed(d, 'VERSION_NOT_FOUND', `version ${d.versionId} of ${d.modelName} is not in the registry`);
    const spec = toLoadSpec(this.deps.loadDefaults, loadRequestFor(version, d.modelName));
    this.deps.logger.info({ versionId: d.versionId, model: d.modelName, version: version.version, why: d.reasons }, 'reconciler: loading a desired version');
    let outcome;
    try {
      outcome = await this.deps.registry.load(spec);
    } catch (e) {
      // Refused before loading (e.g. the same model and version hosted under another id).
      return this.failed(d, isAppError(e) ? e.code : 'INTERNAL_ERROR', e instanceof Error ? e.message : String(e));
    }
    if (outcome.ok) {
      this.retries.delete(d.versionId);
      this.refusals.delete(d.versionId);
      return;
    }
    return this.failed(d, outcome.error.code, outcome.error.message);
  }

  private failed(d: DesiredVersion, code: ErrorCode, reason: string): void {
    const attempts = (this.retries.get(d.versionId)?.attempts ?? 0) + 1;
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts - 1));
    this.retries.set(d.versionId, { attempts, retryAt: this.now() + delay });
    const known = this.refusals.get(d.versionId)?.reason === reason;
    this.refusals.set(d.versionId, { versionId: d.versionId, modelName: d.modelName, code, reason });
    if (!known) this.deps.logger.warn({ versionId: d.versionId, model: d.modelName, reason, retryInMs: delay }, 'reconciler: could not load a desired version');
  }
}
