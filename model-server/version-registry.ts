import semver from 'semver';
import { AppError } from '../domain/errors';
import type { Logger } from '../infra/telemetry/logger';
import type { ArtifactStore } from '../infra/artifact-store/artifact-store';
import type { ModelServerMetrics } from './metrics';
import { LoadError } from './load-error';
import { VersionHost, type DrainResult, type LoadSpec, type VersionSummary } from './version-host';

export interface RegistryDeps {
  artifactStore: ArtifactStore;
  cacheDir: string;
  logger: Logger;
  metrics: ModelServerMetrics;
  /** Memory the loaded versions may take together; 0 = no limit. */
  memoryBudgetBytes?: number;
  /** Called after a load finishes (either way) or an unload completes: heartbeat at once. */
  onChange?: () => void;
}

export type LoadOutcome = { ok: true; summary: VersionSummary } | { ok: false; error: LoadError; summary: VersionSummary };

/**
 * The versions this server hosts, by versionId and by (modelName, version). Loads are
 * idempotent per versionId (a second request joins the first), failed loads are forgotten
 * so a retry starts afresh, and unloads drain before removing.
 */
export class VersionRegistry {
  private readonly byId = new Map<string, VersionHost>();
  /** modelName → version → host: the hot-path lookup. */
  private readonly byModel = new Map<string, Map<string, VersionHost>>();
  private readonly loads = new Map<string, Promise<LoadOutcome>>();

  constructor(private readonly deps: RegistryDeps) {}

  /** The host serving (modelName, version), whatever its state; undefined when unknown. */
  find(modelName: string, version: string): VersionHost | undefined {
    return this.byModel.get(modelName)?.get(version);
  }

  hasModel(modelName: string): boolean {
    const m = this.byModel.get(modelName);
    return m !== undefined && m.size > 0;
  }

  /** The highest Ready version of a model (semver order; non-semver versions sort by load time). */
  newestReady(modelName: string): VersionHost | undefined {
    const versions = this.byModel.get(modelName);
    if (!versions) return undefined;
    let best: VersionHost | undefined;
    for (const h of versions.values()) if (h.state === 'Ready' && (!best || compareVersions(h, best) > 0)) best = h;
    return best;
  }

  /** Every version of a model, newest first. */
  versionsOf(modelName: string): VersionHost[] {
    return [...(this.byModel.get(modelName)?.values() ?? [])].sort((a, b) => compareVersions(b, a));
  }

  get(versionId: string): VersionHost | undefined {
    return this.byId.get(versionId);
  }

  all(): VersionHost[] {
    return [...this.byId.values()];
  }

  summaries(): VersionSummary[] {
    return this.all().map((h) => h.summary());
  }

  get readyCount(): number {
    let n = 0;
    for (const h of this.byId.values()) if (h.state === 'Ready') n++;
    return n;
  }

  load(spec: LoadSpec): Promise<LoadOutcome> {
    const existing = this.byId.get(spec.versionId);
    if (existing) {
      const s = existing.spec;
      if (s.modelName !== spec.modelName || s.version !== spec.version || s.artifactKey !== spec.artifactKey || s.checksum.toLowerCase() !== spec.checksum.toLowerCase())
        throw new AppError('CONFLICT', `versionId ${spec.versionId} is already loaded as ${s.modelName} ${s.version} (${s.artifactKey}, ${s.checksum})`);
      if (existing.state === 'Draining' || existing.state === 'Unloaded')
        throw new AppError('CONFLICT', `versionId ${spec.versionId} is being unloaded; load it again once the unload has finished`);
      const inProgress = this.loads.get(spec.versionId);
      if (inProgress) return inProgress;
      return Promise.resolve({ ok: true, summary: existing.summary() });
    }
    const clash = this.find(spec.modelName, spec.version);
    if (clash) throw new AppError('CONFLICT', `${spec.modelName} ${spec.version} is already hosted as versionId ${clash.spec.versionId}`);
    const refusal = this.budgetRefusal(spec);
    if (refusal) return Promise.resolve({ ok: false, error: refusal, summary: refusedSummary(spec, refusal.message) });

    const host = new VersionHost(spec, {
      artifactStore: this.deps.artifactStore,
      cacheDir: this.deps.cacheDir,
      logger: this.deps.logger,
      metrics: this.deps.metrics.forVersion(spec.modelName, spec.version),
    });
    this.add(host);
    const p = host.load().then(
      (): LoadOutcome => ({ ok: true, summary: host.summary() }),
      (e: unknown): LoadOutcome => {
        const summary = host.summary();
        if (this.byId.get(spec.versionId) === host && host.state === 'Failed') this.remove(host);
        return { ok: false, error: e as LoadError, summary };
      },
    );
    this.loads.set(spec.versionId, p);
    void p.finally(() => {
      this.loads.delete(spec.versionId);
      this.deps.onChange?.();
    });
    return p;
  }

  /** Memory counted against the budget: measured where known, else the load's estimate. */
  get memoryInUseBytes(): number {
    let used = 0;
    for (const h of this.byId.values()) if (h.state !== 'Failed' && h.state !== 'Unloaded') used += h.memoryBytes ?? h.spec.estimatedBytes ?? 0;
    return used;
  }

  /** Why `spec` does not fit in the memory budget, or null when it does (or there is no budget). */
  budgetRefusal(spec: LoadSpec): LoadError | null {
    const budget = this.deps.memoryBudgetBytes ?? 0;
    const need = spec.estimatedBytes ?? 0;
    const used = this.memoryInUseBytes;
    if (budget <= 0 || used + need <= budget) return null;
    return new LoadError(
      'INSUFFICIENT_CAPACITY',
      `${spec.modelName} ${spec.version} needs about ${mib(need)} MiB; ${mib(used)} of this server's ${mib(budget)} MiB memory budget is in use by ${this.byId.size} version(s) (MODEL_SERVER_MEMORY_BUDGET_MB)`,
      'estimatedBytes',
    );
  }

  /** Drains and removes a version; resolves with null when it was not hosted (unload is idempotent). */
  async unload(versionId: string, timeoutMs: number): Promise<DrainResult | null> {
    const host = this.byId.get(versionId);
    if (!host) return null;
    const result = await host.drain(timeoutMs, this.loads.get(versionId));
    if (this.byId.get(versionId) === host) this.remove(host);
    this.deps.onChange?.();
    return result;
  }

  /** Drains every version in parallel (shutdown). */
  async unloadAll(timeoutMs: number): Promise<void> {
    await Promise.all(this.all().map((h) => this.unload(h.spec.versionId, timeoutMs)));
  }

  private add(host: VersionHost): void {
    this.byId.set(host.spec.versionId, host);
    let versions = this.byModel.get(host.modelName);
    if (!versions) this.byModel.set(host.modelName, (versions = new Map()));
    versions.set(host.version, host);
  }

  private remove(host: VersionHost): void {
    this.byId.delete(host.spec.versionId);
    const versions = this.byModel.get(host.modelName);
    if (versions?.get(host.version) === host) versions.delete(host.version);
    if (versions?.size === 0) this.byModel.delete(host.modelName);
  }
}

const mib = (bytes: number) => Math.ceil(bytes / 1024 / 1024);

function refusedSummary(spec: LoadSpec, reason: string): VersionSummary {
  return { versionId: spec.versionId, modelName: spec.modelName, version: spec.version, state: 'Failed', artifactKey: spec.artifactKey, checksum: spec.checksum, memoryBytes: null, artifactSizeBytes: null, inFlight: 0, queued: 0, loadedAt: null, loadMs: null, options: spec.options, reason };
}

function compareVersions(a: VersionHost, b: VersionHost): number {
  const va = semver.valid(a.version);
  const vb = semver.valid(b.version);
  if (va && vb) return semver.compare(va, vb);
  if (va) return 1;
  if (vb) return -1;
  return (a.loadedAt?.getTime() ?? 0) - (b.loadedAt?.getTime() ?? 0);
}
