import type { Collection, Db, Filter, Sort, UpdateFilter } from 'mongodb';
import type { Model } from '../../domain/models/model';
import { isDuplicateKeyError } from './client';
import { AppError } from '../../domain/errors';
import { escapeRegex } from './escape-regex';

interface ModelDoc extends Omit<Model, 'modelId'> {
  _id: string;
  schemaVersion: 1;
  /** Set while a purge deletes versions and artifacts; hides the model from reads. */
  purging?: boolean;
}

export interface ModelQuery {
  framework?: string;
  type?: string;
  tag?: string;
  owner?: string;
  search?: string;
  includeArchived?: boolean;
  sort: { field: 'name' | 'createdAt' | 'updatedAt'; direction: 1 | -1 };
  limit: number;
  offset: number;
}

const toModel = ({ _id, schemaVersion: _s, purging: _p, ...rest }: ModelDoc): Model => ({ modelId: _id, ...rest });

/** Models collection. Every write is a single-document atomic update: no transactions. */
export class ModelRepository {
  private readonly col: Collection<ModelDoc>;
  constructor(db: Db) {
    this.col = db.collection<ModelDoc>('models');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ name: 1 }, { unique: true, name: 'unique_name' });
    await this.col.createIndex({ framework: 1, type: 1 }, { name: 'framework_type' });
    await this.col.createIndex({ tags: 1 }, { name: 'tags' });
    await this.col.createIndex({ owner: 1 }, { name: 'owner' });
  }

  async insert(model: Model): Promise<void> {
    const { modelId, ...rest } = model;
    try {
      await this.col.insertOne({ _id: modelId, schemaVersion: 1, ...rest });
    } catch (e) {
      if (isDuplicateKeyError(e)) throw new AppError('CONFLICT', `Model ${model.name} already exists`, [{ field: 'name', message: 'is already registered' }]);
      throw e;
    }
  }

  async findByIdOrName(idOrName: string): Promise<Model | null> {
    const doc = await this.col.findOne({ $or: [{ _id: idOrName }, { name: idOrName }], purging: { $ne: true } });
    return doc ? toModel(doc) : null;
  }

  async list(q: ModelQuery): Promise<{ models: Model[]; total: number }> {
    const filter: Filter<ModelDoc> = { purging: { $ne: true } };
    if (!q.includeArchived) filter.isArchived = false;
    if (q.framework) filter.framework = q.framework as Model['framework'];
    if (q.type) filter.type = q.type as Model['type'];
    if (q.tag) filter.tags = q.tag;
    if (q.owner) filter.owner = q.owner;
    if (q.search) filter.name = { $regex: escapeRegex(q.search) };
    const sort: Sort = { [q.sort.field]: q.sort.direction, _id: 1 };
    const [docs, total] = await Promise.all([
      this.col.find(filter).sort(sort).skip(q.offset).limit(q.limit).toArray(),
      this.col.countDocuments(filter),
    ]);
    return { models: docs.map(toModel), total };
  }

  /** Applies `$set` to one model and returns it, or null when it does not exist. */
  async update(modelId: string, set: Partial<Omit<Model, 'modelId' | 'createdAt' | 'createdBy'>>, now: Date): Promise<Model | null> {
    const doc = await this.col.findOneAndUpdate(
      { _id: modelId, purging: { $ne: true } },
      { $set: { ...set, updatedAt: now } },
      { returnDocument: 'after' },
    );
    return doc ? toModel(doc) : null;
  }

  /** Points `alias` at `version` in one atomic update, so an alias never names two versions. */
  async setAlias(modelId: string, alias: string, version: string | null, now: Date): Promise<Model | null> {
    const update = (version === null
      ? { $unset: { [`aliases.${alias}`]: '' }, $set: { updatedAt: now } }
      : { $set: { [`aliases.${alias}`]: version, updatedAt: now } }) as UpdateFilter<ModelDoc>;
    const doc = await this.col.findOneAndUpdate({ _id: modelId, purging: { $ne: true } }, update, { returnDocument: 'after' });
    return doc ? toModel(doc) : null;
  }

  async markPurging(modelId: string): Promise<void> {
    await this.col.updateOne({ _id: modelId }, { $set: { purging: true } });
  }

  async findPurging(idOrName: string): Promise<Model | null> {
    const doc = await this.col.findOne({ $or: [{ _id: idOrName }, { name: idOrName }], purging: true });
    return doc ? toModel(doc) : null;
  }

  async delete(modelId: string): Promise<void> {
    await this.col.deleteOne({ _id: modelId });
  }
}
