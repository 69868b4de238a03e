import type { ModelRepository } from '../../infra/mongo/model-repository';
import type { VersionRepository } from '../../infra/mongo/version-repository';
import { TtlCache } from '../auth/ttl-cache';
import { makeTarget, type Target } from './target';

const FOUND_TTL_MS = 5_000;
/** Unknown names are remembered briefly, so a flood of them does not become a flood of queries. */
const MISSING_TTL_MS = 1_000;

export interface ModelRef {
  modelId: string;
  name: string;
}

/**
 * Cached look-ups the gateway needs outside the routing tables: does a model exist (404 vs
 * "no route"), and the version a caller pinned with `version` that no pool names.
 */
export class ModelCatalog {
  private readonly models = new TtlCache<ModelRef | null>(FOUND_TTL_MS, () => new Date());
  private readonly missingModels = new TtlCache<true>(MISSING_TTL_MS, () => new Date());
  private readonly versions = new TtlCache<{ versionId: string; version: string }>(FOUND_TTL_MS, () => new Date());
  private readonly missingVersions = new TtlCache<true>(MISSING_TTL_MS, () => new Date());

  constructor(private readonly deps: { models: ModelRepository; versions: VersionRepository }) {}

  async model(name: string): Promise<ModelRef | null> {
    const hit = this.models.get(name);
    if (hit) return hit;
    if (this.missingModels.get(name)) return null;
    const m = await this.deps.models.findByIdOrName(name);
    if (!m || m.isArchived) {
      this.missingModels.set(name, true);
      return null;
    }
    const ref = { modelId: m.modelId, name: m.name };
    this.models.set(name, ref);
    return ref;
  }

  /** A target for (model, version) in `environment`, role primary; null when the version does not exist. */
  async target(model: ModelRef, version: string, environment: string): Promise<Target | null> {
    const key = `${model.modelId}\u0000${version}`;
    let v = this.versions.get(key);
    if (!v) {
      if (this.missingVersions.get(key)) return null;
      const found = await this.deps.versions.find(model.modelId, version);
      if (!found) {
        this.missingVersions.set(key, true);
        return null;
      }
      v = { versionId: found.versionId, version: found.version };
      this.versions.set(key, v);
    }
    return makeTarget({ modelId: model.modelId, modelName: model.name, environment, versionId: v.versionId, version: v.version, role: 'primary' });
  }
}
