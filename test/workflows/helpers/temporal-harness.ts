/**
 * A time-skipping Temporal server with the HotSwap search attributes registered, the workflows
 * bundled once per test file, and helpers to run one deployment against a fake world.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { HOTSWAP_SEARCH_ATTRIBUTES } from '../../../ops/services/temporal-dev-server';
import { parseStrategyConfig } from '../../../domain/deployments/strategy-config-schemas';
import type { Actor } from '../../../domain/deployments/commands';
import type { DeploymentStatusView } from '../../../domain/deployments/deployment-status';
import type { DeploymentInput } from '../../../workflows/deployment-input';
import { statusQuery } from '../../../workflows/messages';
import { uniqueTaskQueue } from '../../helpers/services';
import { createTimeSkippingEnv } from '../../helpers/temporal-test-env';
import { CANDIDATE, fakeWorld, type FakeWorld, type FakeWorldOptions } from './fake-world';

const quietLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface Harness {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
}

export async function createHarness(): Promise<Harness> {
  const [env, bundle] = await Promise.all([
    createTimeSkippingEnv(),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../../workflows'), logger: quietLogger }),
  ]);
  // The time-skipping server rejects unknown search attributes: register ours as on the dev server.
  await env.connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes: Object.fromEntries(HOTSWAP_SEARCH_ATTRIBUTES.map((n) => [n, 2 /* KEYWORD */])) });
  return { env, bundle };
}

export const ADMIN: Actor = { id: 'u-admin', username: 'alice', role: 'Admin' };
export const ENGINEER: Actor = { id: 'u-eng', username: 'bob', role: 'MLEngineer' };
export const SCIENTIST: Actor = { id: 'u-ds', username: 'carol', role: 'DataScientist' };

type Strategy = DeploymentInput['strategy'];

/** A workflow input with the strategy's config parsed (defaults applied) from `config`. */
export function inputFor<S extends Strategy>(strategy: S, config: Record<string, unknown> = {}, extra: Partial<DeploymentInput> = {}): Extract<DeploymentInput, { strategy: S }> {
  return {
    deploymentId: `dep-${Math.random().toString(36).slice(2, 10)}`,
    modelId: 'm-fraud',
    versionId: CANDIDATE.versionId,
    environment: 'Staging',
    initiatedBy: ENGINEER.id,
    strategy,
    config: parseStrategyConfig(strategy, config),
    ...extra,
  } as Extract<DeploymentInput, { strategy: S }>;
}

export const WORKFLOW_BY_STRATEGY = {
  Canary: 'canaryDeployment',
  BlueGreen: 'blueGreenDeployment',
  ABTesting: 'abTestDeployment',
  Shadow: 'shadowDeployment',
  Rolling: 'rollingDeployment',
} as const;

export interface Running {
  handle: WorkflowHandleWithFirstExecutionRunId;
  world: FakeWorld;
  /** Polls the status query until `predicate` holds (time does not skip meanwhile). */
  waitFor(predicate: (s: DeploymentStatusView) => boolean, what?: string): Promise<DeploymentStatusView>;
  status(): Promise<DeploymentStatusView>;
}

/**
 * Starts the deployment on a fresh worker and runs `body` while the worker runs. Time skips
 * only while something awaits the workflow result (handle.result()) or env.sleep.
 */
export async function runDeployment<T>(h: Harness, input: DeploymentInput, worldOptions: FakeWorldOptions, body: (r: Running) => Promise<T>): Promise<T> {
  const world = fakeWorld(worldOptions);
  const taskQueue = uniqueTaskQueue('deploy');
  const worker = await Worker.create({ connection: h.env.nativeConnection, taskQueue, workflowBundle: h.bundle, activities: world.activities });
  return worker.runUntil(async () => {
    const handle = await h.env.client.workflow.start(WORKFLOW_BY_STRATEGY[input.strategy], { args: [input], taskQueue, workflowId: `${input.deploymentId}-${taskQueue}` });
    const status = () => handle.query(statusQuery);
    const waitFor = async (predicate: (s: DeploymentStatusView) => boolean, what = 'condition') => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const s = await status();
        if (predicate(s)) return s;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; status ${s.status}/${s.phase} step ${s.currentStep?.label}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      return await body({ handle, world, waitFor, status });
    } finally {
      // A run a failed test left behind would hold the time-skipping server's clock for the next tests.
      // One whose deployment has ended (an abort or rollback update returned) is only sending its
      // notifications: let it finish, as terminating it mid-activity holds the clock as well.
      const ended = await status().then((v) => v.completedAt !== null).catch(() => false);
      if (ended) await handle.result().catch(() => undefined);
      const { status: s } = await handle.describe();
      if (s.name === 'RUNNING') await handle.terminate('test finished').catch(() => undefined);
    }
  });
}

/** Runs to completion and returns the result and the world. */
export async function runToEnd(h: Harness, input: DeploymentInput, worldOptions: FakeWorldOptions = {}): Promise<{ result: DeploymentStatusView; world: FakeWorld }> {
  let world!: FakeWorld;
  const result = await runDeployment(h, input, worldOptions, async (r) => {
    world = r.world;
    return (await r.handle.result()) as DeploymentStatusView;
  });
  return { result, world };
}

/** The reason an update was refused (the validator's message travels as the failure's cause). */
export async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    const e = err as { message?: string; cause?: { message?: string } };
    return `${e.message ?? ''} ${e.cause?.message ?? ''}`;
  }
  throw new Error('the update was accepted');
}
