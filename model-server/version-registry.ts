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

function compareVersions(a: VersionHost, b: VersionHost): number {
  const va = semver.valid(a.version);
  const vb = semver.valid(b.version);
  if (va && vb) return semver.compare(va, vb);
  if (va) return 1;
  if (vb) return -1;
  return (a.loadedAt?.getTime() ?? 0) - (b.loadedAt?.getTime() ?? 0);
}
