/**
 * Typed activity stubs, grouped by how they may fail and how long they may take.
 * Why several proxies: retry and timeout policy is per proxy, and a routing change (fast,
 * must not give up during a rollback) is not a model load (slow, heartbeats).
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { DeploymentActivities } from '../activities/deployment-activity-types';
import { NOTIFICATION_REJECTED } from '../domain/notifications/events';

const NON_RETRYABLE = ['VALIDATION_ERROR', 'MODEL_NOT_FOUND', 'VERSION_NOT_FOUND', 'ARTIFACT_NOT_FOUND', 'NOT_FOUND'];

/** Reads: registry, metrics, health, comparisons, validation gates. */
export const reads = proxyActivities<DeploymentActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * Validation checks that read the artifact store (integrity, a trial load): like reads, but an
 * artifact store that is away is waited for (about 5 minutes) rather than failing the deployment.
 */
export const storeReads = proxyActivities<DeploymentActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 30, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Routing-table writes: return when every gateway confirmed; retried hard (a rollback must get through). */
export const routing = proxyActivities<DeploymentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Registry writes and unloads. */
export const changes = proxyActivities<DeploymentActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** The projection and notifications: best effort, never blocks a deployment for long. */
export const bookkeeping = proxyActivities<DeploymentActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 6 },
});

/**
 * Notification webhooks: retried with exponential backoff for 3 to 5 minutes (a receiver that
 * restarts gets its message), not at all when the receiver refused the request (4xx). Called
 * so that a notification never holds up a deployment (workflows/gates/notify.ts).
 */
export const notifications = proxyActivities<DeploymentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 9, nonRetryableErrorTypes: [NOTIFICATION_REJECTED] },
});

/**
 * Loads take as long as the strategy's warmupDuration allows; they heartbeat, and a cancelled
 * deployment waits for the load to stop so a late load cannot follow the compensating unload.
 */
export function warmUps(timeoutMs: number) {
  return proxyActivities<DeploymentActivities>({
    startToCloseTimeout: timeoutMs,
    heartbeatTimeout: '30 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
  });
}
