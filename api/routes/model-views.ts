import type { Model, ModelVersion } from '../../domain/models/model';

/** JSON views of registry records: ISO dates, aliases resolved for versions. */
export function modelView(m: Model) {
  return {
    modelId: m.modelId,
    name: m.name,
    ...(m.description !== undefined && { description: m.description }),
    framework: m.framework,
    type: m.type,
    owner: m.owner,
    tags: m.tags,
    activeVersion: m.activeVersion,
    aliases: m.aliases,
    isArchived: m.isArchived,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}

export function versionView(v: ModelVersion, model?: Model) {
  const aliases = model ? Object.entries(model.aliases).filter(([, ver]) => ver === v.version).map(([a]) => a) : [];
  return {
    versionId: v.versionId,
    modelId: v.modelId,
    modelName: v.modelName,
    version: v.version,
    artifactPath: v.artifactPath,
    checksum: v.checksum,
    artifactSizeBytes: v.artifactSizeBytes,
    inputSchema: v.inputSchema,
    outputSchema: v.outputSchema,
    interface: v.interface,
    graph: v.graph,
    trainingMetadata: v.trainingMetadata ?? null,
    baseline: v.baseline ?? null,
    lineage: v.lineage ?? null,
    modelCard: v.modelCard ?? null,
    fairness: v.fairness ?? null,
    status: v.status,
    statusHistory: v.statusHistory.map((s) => ({ ...s, at: s.at.toISOString() })),
    approvedBy: v.approvedBy ?? null,
    approvedAt: v.approvedAt?.toISOString() ?? null,
    isDeprecated: v.isDeprecated,
    aliases,
    createdAt: v.createdAt.toISOString(),
    createdBy: v.createdBy,
  };
}
