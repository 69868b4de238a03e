import type { RunningDeployment } from '../../domain/serving/desired-state';
import type { Collection, Db, Filter } from 'mongodb';
import type { DeploymentStatusView } from '../../domain/deployments/deployment-status';
import { isTerminalStatus, type DeploymentStatus, type DeploymentStrategy, type Environment } from '../../domain/deployments/enums';
import { isDuplicateKeyError } from './client';

/** Where a deployment's workflow runs: the API reaches it (queries, updates) through these. */
export interface WorkflowLocation {
  workflowId: string;
  /** The run the API started; a handle with it follows continue-as-new and never reaches a later deployment that reuses the workflow id. */
  firstExecutionRunId: string;
}

/**
 * The `deployments` collection: the durable projection of each deployment workflow's status,
 * keyed by deploymentId (the `_id`, hence unique). Status reads work from here while no worker
 * runs. `sequence` grows with every change the workflow publishes; older writes never win.
 */
export interface DeploymentDoc extends Omit<DeploymentStatusView, 'deploymentId'>, Partial<WorkflowLocation> {
  _id: string;
  schemaVersion: 1;
  /** The run that published last (changes on continue-as-new). */
  runId?: string;
}

export interface DeploymentQuery {
  /** `current` (default of the API): one deployment per (model, environment), see currentPerPair; `all`: every deployment. */
  scope?: 'current' | 'all';
  modelId?: string;
  status?: DeploymentStatus;
  strategy?: DeploymentStrategy;
  environment?: Environment;
  limit: number;
  offset: number;
}

export type StoredDeployment = DeploymentStatusView & Partial<WorkflowLocation> & { runId?: string };

const toView = ({ _id, schemaVersion: _s, ...rest }: DeploymentDoc): StoredDeployment => ({ deploymentId: _id, ...rest });

/** A projection lock older than this belongs to a writer that died; the next writer takes it. */
const LOCK_TTL_MS = 5000;
const MAX_LOCK_ATTEMPTS = 1000;

/**
 * `running_deployments`: one small document per deployment whose workflow has not finished, kept
 * in step with the projection by every projection write. The model servers read it every
 * reconcile pass; a filter on `deployments` itself would read every deployment ever made, with
 * its history, on FerretDB (which only narrows a query by _id).
 */
interface RunningDoc {
  _id: string;
  modelId: string;
  modelName: string;
  environment: Environment;
  candidateVersionId: string;
  stableVersionId: string | null;
}

type RunningFields = Pick<DeploymentDoc, 'modelId' | 'modelName' | 'environment' | 'versionId' | 'stable' | 'completedAt'>;

export class DeploymentRepository {
  readonly col: Collection<DeploymentDoc>;
  private readonly runningCol: Collection<RunningDoc>;
  constructor(db: Db) {
    this.col = db.collection<DeploymentDoc>('deployments');
    this.runningCol = db.collection<RunningDoc>('running_deployments');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ modelId: 1, environment: 1, startedAt: -1 }, { name: 'model_env_started' });
    await this.col.createIndex({ status: 1, startedAt: -1 }, { name: 'status_started' });
    await this.col.createIndex({ startedAt: -1 }, { name: 'started' });
  }

  /**
   * Marks the deployments that were running before running_deployments existed (a migration:
   * the api runs it once at start; it reads every unfinished deployment, so no other process does).
   */
  async markRunning(): Promise<void> {
    const unmarked = await this.col.find({ completedAt: null }, { projection: { modelId: 1, modelName: 1, environment: 1, versionId: 1, stable: 1, completedAt: 1 } }).toArray();
    for (const d of unmarked) await this.syncRunning(d._id, d);
  }

  /** Makes running_deployments agree with a deployment's projection (read back when `fields` is absent). */
  private async syncRunning(deploymentId: string, fields?: RunningFields | null): Promise<void> {
    const d = fields ?? (await this.col.findOne({ _id: deploymentId }, { projection: { modelId: 1, modelName: 1, environment: 1, versionId: 1, stable: 1, completedAt: 1 } }));
    if (!d || d.completedAt) {
      await this.runningCol.deleteOne({ _id: deploymentId });
      return;
    }
    const doc: Omit<RunningDoc, '_id'> = { modelId: d.modelId, modelName: d.modelName, environment: d.environment, candidateVersionId: d.versionId, stableVersionId: d.stable?.versionId ?? null };
    await this.runningCol.updateOne({ _id: deploymentId }, { $set: doc }, { upsert: true });
  }

  /**
   * The API's first write, right after the workflow started: creates the projection (sequence 0)
   * unless the workflow already published, and records where the workflow runs either way.
   */
  async create(view: DeploymentStatusView, location: WorkflowLocation): Promise<void> {
    const { deploymentId, ...rest } = view;
    const write = () => this.col.updateOne({ _id: deploymentId }, { $setOnInsert: { ...rest, schemaVersion: 1, sequence: 0 }, $set: { ...location } }, { upsert: true });
    // Why the lock and the retry: the workflow starts before this write, and its first projection
    // (record) may race it; two upserts of one new _id collide on the insert, and the loser must
    // then update the document the winner created instead of failing the request.
    await this.withLock(deploymentId, async () => {
      try {
        await write();
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        await write();
      }
      await this.syncRunning(deploymentId);
    });
  }

  /**
   * Upserts the projection when `view.sequence` is newer than the stored one; returns whether it
   * did. Why a lock: on FerretDB a conditional update is not atomic under concurrency (see
   * routing-repository.ts), so an older write racing a newer one could land last. Writers of one
   * deployment are serialised by a unique-insert lock (inserts of a duplicate _id are refused
   * atomically on FerretDB and MongoDB alike); a holder that crashed loses it after LOCK_TTL_MS.
   */
  async record(view: DeploymentStatusView, runId?: string): Promise<boolean> {
    const { deploymentId, ...rest } = view;
    const set = { ...rest, schemaVersion: 1 as const, ...(runId && { runId }) };
    return this.withLock(deploymentId, async () => {
      let recorded = false;
      try {
        const r = await this.col.updateOne({ _id: deploymentId, sequence: { $lt: view.sequence } }, { $set: set }, { upsert: true });
        recorded = r.modifiedCount > 0 || r.upsertedCount > 0;
      } catch (e) {
        // The document exists with a sequence ≥ ours: the upsert's insert collided. Nothing to do.
        if (!isDuplicateKeyError(e)) throw e;
      }
      // Not recorded: a newer write won, or this is a retry of one that crashed before this line; read back either way.
      await this.syncRunning(deploymentId, recorded ? rest : undefined);
      return recorded;
    });
  }

  private async withLock<T>(deploymentId: string, fn: () => Promise<T>): Promise<T> {
    const locks = this.col.db.collection<{ _id: string; expiresAt: Date }>('deployment_projection_locks');
    for (let attempt = 0; ; attempt++) {
      try {
        await locks.insertOne({ _id: deploymentId, expiresAt: new Date(Date.now() + LOCK_TTL_MS) });
        break;
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        if (attempt >= MAX_LOCK_ATTEMPTS) throw new Error(`deployment ${deploymentId}: projection lock not acquired (concurrent writers)`);
        await locks.deleteOne({ _id: deploymentId, expiresAt: { $lt: new Date() } });
        await new Promise((r) => setTimeout(r, 2 + Math.random() * 10));
      }
    }
    try {
      return await fn();
    } finally {
      await locks.deleteOne({ _id: deploymentId });
    }
  }

  /** When the deployment started (ISO), or null when there is no such deployment: its record without the history. */
  async startedAt(deploymentId: string): Promise<string | null> {
    const doc = await this.col.findOne({ _id: deploymentId }, { projection: { startedAt: 1 } });
    return doc?.startedAt ?? null;
  }

  async get(deploymentId: string): Promise<StoredDeployment | null> {
    const doc = await this.col.findOne({ _id: deploymentId });
    return doc ? toView(doc) : null;
  }

  /**
   * Deployments whose workflow has not finished (no completedAt): their candidate and stable
   * versions are part of the desired state of the model servers.
   */
  async running(): Promise<RunningDeployment[]> {
    const docs = await this.runningCol.find({}).toArray();
    return docs.map(({ _id, ...d }) => ({ deploymentId: _id, ...d }));
  }

  /**
   * Marks the completed Active deployments of (modelId, environment) that started before
   * `deploymentId` Superseded by it (its promotion replaced their candidate). Returns how many.
   */
  async supersedeEarlier(modelId: string, environment: Environment, deploymentId: string, at: Date): Promise<number> {
    const self = await this.col.findOne({ _id: deploymentId }, { projection: { startedAt: 1 } });
    if (!self) return 0;
    const older = await this.col
      .find({ modelId, environment, status: 'Active', completedAt: { $ne: null }, startedAt: { $lt: self.startedAt } }, { projection: { _id: 1 } })
      .toArray();
    let marked = 0;
    for (const { _id } of older) {
      if (_id === deploymentId) continue;
      const entry = { at: at.toISOString(), step: 'end', decision: 'Superseded', reason: `deployment ${deploymentId} was promoted in ${environment}` };
      // The lock: a rollback workflow publishing this projection must not interleave (see record).
      const r = await this.withLock(_id, () =>
        this.col.updateOne({ _id, status: 'Active' }, { $set: { status: 'Superseded', phase: 'Superseded', supersededBy: deploymentId, updatedAt: at.toISOString() }, $inc: { sequence: 1 }, $push: { history: entry } }),
      );
      marked += r.modifiedCount;
    }
    return marked;
  }

  /**
   * The inverse of supersedeEarlier when `deploymentId` is rolled back: the deployments it
   * superseded whose version is active again (`versionId`) are in force again (Active). Returns how many.
   */
  async reinstateSuperseded(modelId: string, environment: Environment, deploymentId: string, versionId: string, at: Date): Promise<number> {
    const superseded = await this.col.find({ modelId, environment, status: 'Superseded', supersededBy: deploymentId, versionId }, { projection: { _id: 1 } }).toArray();
    let reinstated = 0;
    for (const { _id } of superseded) {
      const entry = { at: at.toISOString(), step: 'reinstated', decision: 'Active', reason: `deployment ${deploymentId} was rolled back; this deployment's version serves again` };
      const r = await this.withLock(_id, () =>
        this.col.updateOne({ _id, status: 'Superseded' }, { $set: { status: 'Active', phase: 'Active', supersededBy: null, updatedAt: at.toISOString() }, $inc: { sequence: 1 }, $push: { history: entry } }),
      );
      reinstated += r.modifiedCount;
    }
    return reinstated;
  }

  /**
   * With scope `current`: one deployment per (model, environment), the one in force there — the
   * running one (a bake window counts), else the Active one, else the newest — filtered by status
   * and strategy after it was picked. With scope `all`: every deployment. Newest first either way.
   */
  async list(q: DeploymentQuery): Promise<{ deployments: StoredDeployment[]; total: number }> {
    if (q.scope === 'current') return this.listCurrent(q);
    const filter: Filter<DeploymentDoc> = {};
    if (q.modelId) filter.modelId = q.modelId;
    if (q.status) filter.status = q.status;
    if (q.strategy) filter.strategy = q.strategy;
    if (q.environment) filter.environment = q.environment;
    const [docs, total] = await Promise.all([
      this.col.find(filter, { projection: { history: 0 } }).sort({ startedAt: -1, _id: 1 }).skip(q.offset).limit(q.limit).toArray(),
      this.col.countDocuments(filter),
    ]);
    return { deployments: docs.map((d) => toView({ ...d, history: d.history ?? [] })), total };
  }

  private async listCurrent(q: DeploymentQuery): Promise<{ deployments: StoredDeployment[]; total: number }> {
    const pairFilter: Filter<DeploymentDoc> = {};
    if (q.modelId) pairFilter.modelId = q.modelId;
    if (q.environment) pairFilter.environment = q.environment;
    const heads = await this.col
      .find(pairFilter, { projection: { _id: 1, modelId: 1, environment: 1, startedAt: 1, status: 1, completedAt: 1 } })
      .sort({ startedAt: -1, _id: 1 })
      .toArray();
    const ids = currentPerPair(heads.map((h) => ({ deploymentId: h._id, modelId: h.modelId, environment: h.environment, status: h.status, completedAt: h.completedAt })));
    if (ids.length === 0) return { deployments: [], total: 0 };
    const filter: Filter<DeploymentDoc> = { _id: { $in: ids } };
    if (q.status) filter.status = q.status;
    if (q.strategy) filter.strategy = q.strategy;
    const docs = await this.col.find(filter, { projection: { history: 0 } }).sort({ startedAt: -1, _id: 1 }).toArray();
    return { deployments: docs.slice(q.offset, q.offset + q.limit).map((d) => toView({ ...d, history: d.history ?? [] })), total: docs.length };
  }
}

type Head = Pick<DeploymentStatusView, 'deploymentId' | 'modelId' | 'environment' | 'status' | 'completedAt'>;

/**
 * The deployment in force per (model, environment), from deployments sorted newest first: the
 * running one (including an Active one in its bake window), else the Active one, else the
 * newest. Example: [B Failed, A Active, Z Superseded] of one pair → [A].
 */
export function currentPerPair(newestFirst: Head[]): string[] {
  const byPair = new Map<string, Head[]>();
  for (const h of newestFirst) {
    const key = `${h.modelId}\u0000${h.environment}`;
    byPair.set(key, [...(byPair.get(key) ?? []), h]);
  }
  return [...byPair.values()].map((rows) => (rows.find((r) => !isTerminalStatus(r.status) || r.status === 'Active') ?? rows[0]).deploymentId);
}
