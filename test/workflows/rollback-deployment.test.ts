/**
 * rollbackDeployment (issue 11 "rollback at any time"): the workflow that rolls back a deployment
 * whose own workflow has ended. Order matters for users: reload the previous version (Ready before
 * traffic moves), route back (confirmed by every gateway), then reactivate it, retire and unload
 * the candidate.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { initialDeploymentView, type DeploymentStatusView } from '../../domain/deployments/deployment-status';
import { uniqueTaskQueue } from '../helpers/services';
import type { RollbackDeploymentInput } from '../../workflows/rollback-deployment';
import { CANDIDATE, fakeWorld, STABLE, type FakeWorld, type FakeWorldOptions } from './helpers/fake-world';
import { createHarness, ENGINEER, type Harness } from './helpers/temporal-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.env.teardown();
});

/** A canary that ended Active an hour ago, its previous version retired. */
function completed(): DeploymentStatusView {
  const at = '2026-12-07T10:00:00.000Z';
  const view = initialDeploymentView({ deploymentId: 'dep-done', modelId: 'm-fraud', modelName: 'fraud-detection', versionId: CANDIDATE.versionId, version: CANDIDATE.version, strategy: 'Canary', environment: 'Staging', initiatedBy: 'u-eng' }, false, at);
  return { ...view, stable: STABLE, status: 'Active', phase: 'Active', trafficPercentage: 100, progressPercentage: 100, completedAt: at, sequence: 30, history: [{ at, step: 'end', decision: 'Active', reason: 'deployment complete' }] };
}

async function run(opts: FakeWorldOptions, reason = 'conversion dropped'): Promise<{ world: FakeWorld; result?: DeploymentStatusView; error?: unknown }> {
  const world = fakeWorld(opts);
  const taskQueue = uniqueTaskQueue('rollback');
  const worker = await Worker.create({ connection: h.env.nativeConnection, taskQueue, workflowBundle: h.bundle, activities: world.activities });
  const input: RollbackDeploymentInput = { deployment: completed(), by: ENGINEER, reason };
  return worker.runUntil(async () => {
    try {
      const result = await h.env.client.workflow.execute('rollbackDeployment', { args: [input], taskQueue, workflowId: `rollback-dep-done-${taskQueue}` });
      // The notification is an abandoned child workflow: let it finish while the worker runs.
      await h.env.client.workflow.getHandle('notify-dep-done:deployment.rolled_back').result();
      return { world, result: result as DeploymentStatusView };
    } catch (error) {
      return { world, error };
    }
  });
}

describe('rollbackDeployment', () => {
  it('reloads the previous version, routes back, then reactivates it and retires the candidate; ends RolledBack with who and why', async () => {
    const { world, result } = await run({});
    expect(result).toMatchObject({ status: 'RolledBack', phase: 'RolledBack', trafficPercentage: 0 });
    expect(result!.rollback).toMatchObject({ trigger: 'rollback-command', requestedBy: 'bob', errors: [], routeRevision: 11 });
    expect(result!.rollback!.reason).toBe('rollback requested by bob: conversion dropped');
    expect(result!.rollback!.durationMs).toEqual(expect.any(Number));
    expect(world.calls.map((c) => c.name)).toEqual(['resolveRollbackTarget', 'warmUpVersion', 'applyRoute', 'activateVersion', 'retireVersion', 'unloadVersion', 'sendNotification']);
    // Announced once traffic is back: a manual rollback, who asked, why, how fast.
    expect(world.named('sendNotification')).toEqual([
      expect.objectContaining({
        id: 'dep-done:deployment.rolled_back',
        type: 'deployment.rolled_back',
        environment: 'Staging',
        automatic: false,
        deployment: expect.objectContaining({ modelName: 'fraud-detection', version: '2.0.0', previousVersion: '1.0.0' }),
        rollback: expect.objectContaining({ trigger: 'rollback-command', requestedBy: 'bob', durationMs: result!.rollback!.durationMs }),
      }),
    ]);
    expect(world.named('warmUpVersion')).toEqual([expect.objectContaining({ versionId: 'v1', servers: ['s1', 's2'] })]);
    // The next route sequence of the deployment (fencing), the routing it replaced.
    expect(world.named('applyRoute')).toEqual([expect.objectContaining({ deploymentId: 'dep-done', sequence: 5, route: { pools: [{ versionId: 'v1', weight: 100 }], shadow: null, sticky: null } })]);
    expect(world.named('activateVersion')).toEqual([expect.objectContaining({ versionId: 'v1', previousVersionId: 'v2' })]);
    expect(world.named('retireVersion')).toEqual([expect.objectContaining({ versionId: 'v2' })]);
    expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v2', keepIfRouted: true })]);
    expect(result!.history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ step: 'rollback', decision: 'Requested', reason: expect.stringContaining('bob: conversion dropped') }),
        expect.objectContaining({ step: 'reload', decision: 'Ready' }),
        expect.objectContaining({ step: 'rollback', decision: 'Done', reason: expect.stringContaining('routing of revision 9 restored') }),
        expect.objectContaining({ step: 'end', decision: 'RolledBack' }),
      ]),
    );
    // Projections continue the ended deployment's sequence: first RollingBack, last RolledBack.
    expect(world.projections.map((p) => [p.sequence, p.phase])).toEqual([[31, 'RollingBack'], [32, 'RolledBack']]);
  });

  it('moves no traffic when the previous version does not become Ready anywhere: the deployment stays Active, the run fails', async () => {
    const { world, error } = await run({ warmUpFailures: (_v, servers) => servers.map((server) => ({ server, reason: 'out of memory' })) });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(((error as WorkflowFailedError).cause as { type?: string }).type).toBe('SERVICE_UNAVAILABLE');
    expect(world.named('applyRoute')).toEqual([]);
    expect(world.named('unloadVersion')).toEqual([]);
    expect(world.lastProjection()).toMatchObject({ status: 'Active', phase: 'Active' });
    expect(world.lastProjection()!.history.at(-1)).toMatchObject({ step: 'rollback', decision: 'Failed' });
  });

  it('refuses (CONFLICT) when the routing table no longer serves the deployment', async () => {
    const { world, error } = await run({ rollbackTarget: { problem: 'the routing table no longer serves 2.0.0' } });
    expect(((error as WorkflowFailedError).cause as { type?: string }).type).toBe('CONFLICT');
    expect(world.calls.map((c) => c.name)).toEqual(['resolveRollbackTarget']);
  });
});
