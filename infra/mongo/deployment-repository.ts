import type { Collection, Db, Filter } from 'mongodb';
import type { DeploymentStatusView } from '../../domain/deployments/deployment-status';
import type { DeploymentStatus, DeploymentStrategy, Environment } from '../../domain/deployments/enums';
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
  modelId?: string;
  status?: DeploymentStatus;
  strategy?: DeploymentStrategy;
  environment?: Environment;
  limit: number;
  offset: number;
}

export type StoredDeployment = DeploymentStatusView & Partial<WorkflowLocation> & { runId?: string };

const toView = ({ _id, schemaVersion: _s, ...rest }: DeploymentDoc): StoredDeployment => ({ deploymentId: _id, ...rest });

/** How often a write re-checks that no older sequence overwrote it (see `record`). */
const MAX_FENCE_ROUNDS = 10;

export class DeploymentRepository {
  readonly col: Collection<DeploymentDoc>;
  constructor(db: Db) {
    this.col = db.collection<DeploymentDoc>('deployments');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ modelId: 1, environment: 1, startedAt: -1 }, { name: 'model_env_started' });
    await this.col.createIndex({ status: 1, startedAt: -1 }, { name: 'status_started' });
    await this.col.createIndex({ startedAt: -1 }, { name: 'started' });
  }

  /**
   * The API's first write, right after the workflow started: creates the projection (sequence 0)
   * unless the workflow already published, and records where the workflow runs either way.
   */
  async create(view: DeploymentStatusView, location: WorkflowLocation): Promise<void> {
    const { deploymentId, ...rest } = view;
    await this.col.updateOne(
      { _id: deploymentId },
      { $setOnInsert: { ...rest, schemaVersion: 1, sequence: 0 }, $set: { ...location } },
      { upsert: true },
    );
  }

  /**
   * Upserts the projection when `view.sequence` is newer than the stored one; returns whether it
   * did. Why the re-read loop: on FerretDB a conditional update is not atomic under concurrency
   * (see routing-repository.ts), so an older write racing a newer one could land last; the newer
   * writer re-reads and writes again until the stored sequence is at least its own.
   */
  async record(view: DeploymentStatusView, runId?: string): Promise<boolean> {
    const { deploymentId, ...rest } = view;
    const set = { ...rest, schemaVersion: 1 as const, ...(runId && { runId }) };
    let wrote = false;
    for (let round = 0; round < MAX_FENCE_ROUNDS; round++) {
      try {
        const r = await this.col.updateOne({ _id: deploymentId, sequence: { $lt: view.sequence } }, { $set: set }, { upsert: true });
        wrote = wrote || r.modifiedCount > 0 || r.upsertedCount > 0;
      } catch (e) {
        // The document exists with a sequence ≥ ours: the upsert's insert collided. Nothing to do.
        if (!isDuplicateKeyError(e)) throw e;
      }
      const stored = await this.col.findOne({ _id: deploymentId }, { projection: { sequence: 1 } });
      if (stored && stored.sequence >= view.sequence) return wrote;
      // Overwritten by an older write: let the racing writers finish before writing again.
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (round + 1)));
    }
    throw new Error(`deployment ${deploymentId}: sequence ${view.sequence} could not be stored (concurrent writers)`);
  }

  async get(deploymentId: string): Promise<StoredDeployment | null> {
    const doc = await this.col.findOne({ _id: deploymentId });
    return doc ? toView(doc) : null;
  }

  /** Newest first. */
  async list(q: DeploymentQuery): Promise<{ deployments: StoredDeployment[]; total: number }> {
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
}
