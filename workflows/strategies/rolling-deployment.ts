import { isCancellation, patched } from '@temporalio/workflow';
import { assessWindow } from '../../domain/deployments/analysis';
import { durationMs } from '../../domain/deployments/iso-duration';
import { describeStep, planRolling } from '../../domain/deployments/steps';
import { serverShareSplit } from '../../domain/deployments/traffic-split';
import type { DeploymentResult, VersionRef } from '../../domain/deployments/deployment-status';
import type { RouteApplied, RouteSpec } from '../../activities/deployment-activity-types';
import { changes, reads, warmUps } from '../activity-stubs';
import type { RollingDeploymentInput } from '../deployment-input';
import type { DeploymentRun } from '../deployment-run';
import { accuracyEvidence } from '../gates/analysis-loop';
import { endingAfterTraffic } from '../gates/ending';
import { applyForwardRoute } from '../gates/routing';
import { runDeploymentWorkflow } from '../run-deployment';

/** Replay safety: runs recorded before this change loaded, routed, then unloaded stable in every batch. */
export const ROLLING_ONE_VERSION_PER_SERVER_PATCH = 'rolling-one-version-per-server';

/** The route for a server assignment: each version's pool is its servers, weighted by count. */
function rollingRoute(run: DeploymentRun, onCandidate: Set<string>): RouteSpec {
  const candidateServers = run.servers.filter((s) => onCandidate.has(s));
  const stableServers = run.stable ? run.servers.filter((s) => !onCandidate.has(s)) : [];
  const weights = serverShareSplit({ stable: stableServers.length, candidate: candidateServers.length });
  const pools = [];
  if (weights.stable) pools.push({ versionId: run.stable!.versionId, weight: weights.stable, servers: stableServers });
  if (weights.candidate) pools.push({ versionId: run.input.versionId, weight: weights.candidate, servers: candidateServers });
  return { pools, shadow: null, sticky: null };
}

/**
 * Rolling: batchSize servers at a time. Each batch: load the candidate, route the batch's share
 * to it, unload stable there (a server serves one version of a model), wait waitDuration, check
 * health and metrics. A failed batch is put back on stable and retried after waitDuration; past
 * maxFailures failed attempts every updated server is rolled back. Promote updates all
 * remaining servers in one batch.
 */
export async function rollingDeployment(input: RollingDeploymentInput): Promise<DeploymentResult> {
  const c = input.config;
  const waitMs = durationMs(c.waitDuration);
  const onCandidate = new Set<string>();
  let failures = 0;
  const ids = { deploymentId: input.deploymentId, modelId: input.modelId };

  async function revertBatch(run: DeploymentRun, servers: string[]): Promise<void> {
    if (run.stable && servers.some((s) => run.compensation.stableUnloadedOn.includes(s))) {
      await warmUps(durationMs(c.warmupDuration)).warmUpVersion({ ...ids, versionId: run.stable.versionId, servers });
      run.compensation.stableUnloadedOn = run.compensation.stableUnloadedOn.filter((s) => !servers.includes(s));
    }
    servers.forEach((s) => onCandidate.delete(s));
    await applyForwardRoute(run, rollingRoute(run, onCandidate), 'revert failed batch');
    await changes.unloadVersion({ ...ids, versionId: input.versionId, servers });
  }

  /** One attempt at a batch; returns why it failed, or null. */
  async function updateServers(run: DeploymentRun, label: string, servers: string[]): Promise<string | null> {
    run.compensation.candidateOn = [...new Set([...run.compensation.candidateOn, ...servers])];
    const stable = run.stable;
    const unloadStable = async (from: VersionRef) => {
      run.compensation.stableUnloadedOn = [...new Set([...run.compensation.stableUnloadedOn, ...servers])];
      await changes.unloadVersion({ ...ids, versionId: from.versionId, servers });
    };
    const lastBatch = new Set([...onCandidate, ...servers]).size >= run.servers.length;
    // Why this order: a route pool is every server holding the version Ready (gateways do not pin
    // pools to servers), so a server holding both versions answers for both. Stable leaves the
    // batch before the candidate arrives; on the last batch traffic moves first (to the servers
    // already updated), since stable has nowhere else to go. A single all-server batch cannot
    // avoid a moment with both versions loaded.
    const oneAtATime = stable !== null && (!lastBatch || onCandidate.size > 0) && patched(ROLLING_ONE_VERSION_PER_SERVER_PATCH);
    let applied: RouteApplied | undefined;
    if (oneAtATime) {
      if (lastBatch) {
        servers.forEach((s) => onCandidate.add(s));
        applied = await applyForwardRoute(run, rollingRoute(run, onCandidate), label);
      }
      await unloadStable(stable);
    }
    const warm = await warmUps(durationMs(c.warmupDuration)).warmUpVersion({ ...ids, versionId: input.versionId, servers });
    if (warm.failed.length > 0) {
      if (oneAtATime) await revertBatch(run, servers);
      else await changes.unloadVersion({ ...ids, versionId: input.versionId, servers });
      return `warm-up failed: ${warm.failed.map((f) => `${f.server}: ${f.reason}`).join('; ')}`;
    }
    servers.forEach((s) => onCandidate.add(s));
    applied ??= await applyForwardRoute(run, rollingRoute(run, onCandidate), label);
    if (stable && !oneAtATime) await unloadStable(stable);
    run.view.assignedServers = run.servers.filter((s) => onCandidate.has(s));
    run.record(label, 'Switched', `${servers.join(', ')} serve ${run.view.version} (revision ${applied.revision}, ${run.view.trafficPercentage}% of traffic)`);
    await run.publish();
    const switchedAt = Date.now();
    await run.waitFor(waitMs);
    const health = await reads.checkServerHealth({ modelId: input.modelId, versionId: input.versionId, servers });
    const sick = health.filter((h) => !h.healthy || !h.ready);
    if (sick.length > 0) return `unhealthy after the update: ${sick.map((h) => `${h.server}${h.reason ? ` (${h.reason})` : ''}`).join(', ')}`;
    if (run.stable && onCandidate.size < run.servers.length) {
      const window = { from: new Date(switchedAt).toISOString(), to: new Date(Date.now()).toISOString() };
      try {
        const w = await reads.readMetricWindows({ modelId: input.modelId, environment: input.environment, stable: { versionId: run.stable.versionId, ...window }, candidate: { versionId: input.versionId, ...window } });
        const assessment = assessWindow(w.candidate, w.stable, c.rollbackThresholds, c.minSamples, { accuracyEvidence: accuracyEvidence() });
        run.view.metrics = { ...window, stable: w.stable, candidate: w.candidate, assessment };
        // Rolling is health-gated: Inconclusive metrics are recorded, only a breach fails the batch.
        if (assessment.decision === 'Rollback') return `threshold breached: ${assessment.reasons.join('; ')}`;
        run.record(label, assessment.decision, assessment.reasons.join('; '));
      } catch (err) {
        if (isCancellation(err)) throw err;
        run.record(label, 'Error', `metrics could not be read: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return null;
  }

  return runDeploymentWorkflow(input, {
    plan: (ctx, targets) => planRolling(c, ctx, targets.servers),
    precondition: (targets) => (targets.servers.length === 0 ? `no model servers host the model in ${input.environment}` : null),
    handlers: {
      updateBatch: async (run, step) => {
        await run.setStatus('Deploying', 'UpdatingServers');
        const label = describeStep(step);
        for (;;) {
          const pending = (run.promoteRequested ? run.servers : step.servers).filter((s) => !onCandidate.has(s));
          if (pending.length === 0) return;
          const failure = await updateServers(run, run.promoteRequested ? `${label} (promote: all remaining)` : label, pending);
          if (failure === null) return;
          failures += 1;
          run.record(label, 'Failed', `${failure} (failure ${failures} of ${c.maxFailures} allowed)`);
          if (failures > c.maxFailures) throw endingAfterTraffic(run.compensation.routeChanged, 'max-failures', `more than maxFailures (${c.maxFailures}) failed batches; last: ${failure}`);
          const switched = pending.filter((s) => onCandidate.has(s));
          if (switched.length > 0) await revertBatch(run, switched);
          await run.publish();
          await run.waitFor(waitMs);
        }
      },
    },
  });
}
