/** The deployment's projection in MongoDB, so status reads work while no worker runs. */
import { createHash } from 'node:crypto';
import { asyncLocalStorage } from '@temporalio/activity';
import type { HistoryEntry } from '../domain/deployments/deployment-status';
import type { DeploymentProjection } from './deployment-activity-types';
import type { DeploymentActivityDeps } from './deployment-deps';
import { badInput } from './activity-support';

const entryKey = (deploymentId: string, h: HistoryEntry) =>
  `deployment:${deploymentId}:${createHash('sha256').update(JSON.stringify([h.at, h.step, h.decision, h.reason])).digest('base64url').slice(0, 22)}`;

/** Who decided, when the decision was a person's (approval, rollback command), for the audit record. */
function decidedBy(p: DeploymentProjection, h: HistoryEntry): string | null {
  if (h.step === 'approval') return p.approval.decidedByName ?? p.approval.decidedBy;
  if (h.step === 'rollback') return p.rollback?.requestedBy ?? null;
  return null;
}

export function createProjectionActivities(deps: DeploymentActivityDeps) {
  /**
   * Appends an audit record for each history entry (a workflow decision: step advanced,
   * analysis verdict, approval, promotion, rollback) that the stored projection does not hold
   * yet. Before the projection is written, so a failed append fails the activity and its retry
   * still sees the entries as new; each record's key makes a repeated append a no-op.
   */
  async function auditDecisions(projection: DeploymentProjection, workflowId: string | null): Promise<void> {
    const stored = await deps.deployments.get(projection.deploymentId);
    const known = new Set((stored?.history ?? []).map((h) => entryKey(projection.deploymentId, h)));
    for (const h of projection.history) {
      const key = entryKey(projection.deploymentId, h);
      if (known.has(key)) continue;
      await deps.audit.append(
        {
          actor: { type: 'workflow', id: workflowId, name: 'deployment workflow', role: null },
          action: 'deployment.decision',
          target: { type: 'deployment', id: projection.deploymentId },
          status: null,
          after: { status: projection.status, phase: projection.phase, trafficPercentage: projection.trafficPercentage },
          details: {
            step: h.step,
            decision: h.decision,
            reason: h.reason,
            decidedAt: h.at,
            decidedBy: decidedBy(projection, h),
            modelName: projection.modelName,
            version: projection.version,
            environment: projection.environment,
            strategy: projection.strategy,
          },
          requestId: null,
          traceId: null,
        },
        key,
      );
    }
  }

  return {
    /**
     * Upserts the projection when its sequence is newer than the stored one (older or repeated
     * writes change nothing), after auditing the decisions it carries that are new. Records the
     * run that published it, so the API follows continue-as-new.
     */
    async recordDeploymentStatus(projection: DeploymentProjection): Promise<void> {
      if (typeof projection?.deploymentId !== 'string' || projection.deploymentId.length === 0 || !Number.isInteger(projection.sequence))
        throw badInput('VALIDATION_ERROR', 'a projection needs a deploymentId and an integer sequence');
      const info = asyncLocalStorage.getStore()?.info;
      await auditDecisions(projection, info?.workflowExecution?.workflowId ?? null);
      await deps.deployments.record(projection, info?.workflowExecution?.runId);
    },
  };
}
