import type { AsyncRequestStore } from '../gateway/async-request-store';
import type { FeedbackRepository } from '../../infra/mongo/feedback-repository';
import type { MetricBucketRepository } from '../../infra/mongo/metric-bucket-repository';
import type { PredictionLogRepository } from '../../infra/mongo/prediction-log-repository';

export interface DeletedCounts {
  predictions: number;
  feedback: number;
  metricBuckets: number;
  asyncRequests: number;
}

/** The model as the deletions need it: its id, and the name async requests may carry instead. */
export interface ModelRef {
  modelId: string;
  name: string;
}

/**
 * Deletes the request data a model's serving left behind: prediction log entries, feedback,
 * metric buckets and async requests (GDPR erasure). The audit trail and the routing revisions
 * stay; they hold who changed what, not request data. Every step is idempotent, so a deletion
 * interrupted half-way is finished by repeating it.
 */
export class DataDeletionService {
  constructor(
    private readonly deps: {
      predictions: PredictionLogRepository;
      feedback: FeedbackRepository;
      buckets: MetricBucketRepository;
      asyncRequests: AsyncRequestStore;
      /** Writes predictions still buffered in this process, so that they are deleted too. */
      flushBuffered: () => Promise<void>;
    },
  ) {}

  /** Everything of a model (purge). */
  async purgeModel(model: ModelRef): Promise<DeletedCounts> {
    await this.deps.flushBuffered();
    const predictions = await this.deps.predictions.deleteModel(model.modelId);
    const feedback = await this.deps.feedback.deleteByModel(model.modelId);
    const metricBuckets = await this.deps.buckets.deleteByModel(model.modelId);
    const asyncRequests = await this.deps.asyncRequests.deleteByModel([model.name, model.modelId]);
    return { predictions, feedback, metricBuckets, asyncRequests };
  }

  /**
   * One request's data: its prediction log entries (batch rows and shadow copies included), its
   * feedback and its async request. Metric buckets hold only counts, so they stay.
   */
  async deleteRequest(model: ModelRef, requestId: string): Promise<DeletedCounts> {
    await this.deps.flushBuffered();
    const predictions = await this.deps.predictions.deleteRequest(model.modelId, requestId);
    const feedback = await this.deps.feedback.deleteByRequest(model.modelId, requestId);
    const asyncRequests = await this.deps.asyncRequests.deleteRequest([model.name, model.modelId], requestId);
    return { predictions, feedback, metricBuckets: 0, asyncRequests };
  }
}
