import type { Collection, Db } from 'mongodb';
import type { ModelVersion, StatusChange } from '../../domain/models/model';
import type { VersionStatus } from '../../domain/models/enums';
import { AppError } from '../../domain/errors';
import { isDuplicateKeyError } from './client';

interface VersionDoc extends Omit<ModelVersion, 'versionId'> {
  _id: string;
  schemaVersion: 1;
}

// Versions stored before the registry read graphs have neither field: they were registered with a feature schema.
const toVersion = ({ _id, schemaVersion: _s, ...rest }: VersionDoc): ModelVersion => ({ versionId: _id, ...rest, interface: rest.interface ?? 'native', graph: rest.graph ?? null });

export class VersionRepository {
  private readonly col: Collection<VersionDoc>;
  constructor(db: Db) {
    this.col = db.collection<VersionDoc>('model_versions');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ modelId: 1, version: 1 }, { unique: true, name: 'unique_model_version' });
    await this.col.createIndex({ modelName: 1, version: 1 }, { name: 'model_name_version' });
  }

  async insert(v: ModelVersion): Promise<void> {
    const { versionId, ...rest } = v;
    try {
      await this.col.insertOne({ _id: versionId, schemaVersion: 1, ...rest });
    } catch (e) {
      if (isDuplicateKeyError(e))
        throw new AppError('CONFLICT', `Version ${v.version} of ${v.modelName} already exists`, [{ field: 'version', message: 'is already registered for this model' }]);
      throw e;
    }
  }

  async exists(modelId: string, version: string): Promise<boolean> {
    return (await this.col.countDocuments({ modelId, version }, { limit: 1 })) > 0;
  }

  /** By version id or semantic version, within one model. */
  async find(modelId: string, versionOrId: string): Promise<ModelVersion | null> {
    const doc = await this.col.findOne({ modelId, $or: [{ _id: versionOrId }, { version: versionOrId }] });
    return doc ? toVersion(doc) : null;
  }

  async listByModel(modelId: string): Promise<ModelVersion[]> {
    return (await this.col.find({ modelId }).sort({ createdAt: 1, _id: 1 }).toArray()).map(toVersion);
  }

  /**
   * Moves a version from `from` to `to` in one conditional update; null when the version is no
   * longer in `from` (someone else moved it first).
   */
  async transition(versionId: string, from: VersionStatus, change: StatusChange, extra: Partial<ModelVersion> = {}): Promise<ModelVersion | null> {
    const doc = await this.col.findOneAndUpdate(
      { _id: versionId, status: from },
      { $set: { ...extra, status: change.status, isDeprecated: change.status === 'Deprecated' }, $push: { statusHistory: change } },
      { returnDocument: 'after' },
    );
    return doc ? toVersion(doc) : null;
  }

  async update(versionId: string, set: Partial<Pick<ModelVersion, 'modelCard' | 'baseline' | 'lineage' | 'trainingMetadata'>>): Promise<ModelVersion | null> {
    const doc = await this.col.findOneAndUpdate({ _id: versionId }, { $set: set }, { returnDocument: 'after' });
    return doc ? toVersion(doc) : null;
  }

  async archiveAll(modelId: string, change: StatusChange): Promise<void> {
    await this.col.updateMany({ modelId, status: { $nin: ['Archived', 'Deployed'] } }, { $set: { status: 'Archived' }, $push: { statusHistory: change } });
  }

  async delete(versionId: string): Promise<void> {
    await this.col.deleteOne({ _id: versionId });
  }
}
