import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { HOTSWAP_SEARCH_ATTRIBUTES } from '../../ops/services/temporal-dev-server';
import { greet, greetAfterAMonth, readModelName } from '../fixtures/workflows/ops-fixture-workflows';
import { uniqueTaskQueue } from '../helpers/services';
import { createLocalEnv, createTimeSkippingEnv } from '../helpers/temporal-test-env';

const modelName = defineSearchAttributeKey('ModelName', SearchAttributeType.KEYWORD);
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  // Bundled once for both environments: webpack is the slow part of Worker.create.
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/workflows/ops-fixture-workflows'), logger: quietLogger });
});

describe('time-skipping test server (temporal-test-server from the tools cache)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow that sleeps 30 days without waiting for them', async () => {
    const taskQueue = uniqueTaskQueue('ops-ts');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
    const t0 = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute(greetAfterAMonth, { args: ['time'], taskQueue, workflowId: `${taskQueue}-wf` }),
    );
    expect(result).toBe('hello time');
    expect(env.supportsTimeSkipping).toBe(true);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

describe('dev server started by global setup', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createLocalEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow', async () => {
    const taskQueue = uniqueTaskQueue('ops-local');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
    const result = await worker.runUntil(env.client.workflow.execute(greet, { args: ['dev server'], taskQueue, workflowId: `${taskQueue}-wf` }));
    expect(result).toBe('hello dev server');
  });

  it('has every HotSwap search attribute as a Keyword', async () => {
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const name of HOTSWAP_SEARCH_ATTRIBUTES) {
      expect(customAttributes?.[name]).toBe(2 /* INDEXED_VALUE_TYPE_KEYWORD */);
    }
  });

  it('accepts a workflow started with the ModelName search attribute', async () => {
    const taskQueue = uniqueTaskQueue('ops-sa');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
    const handle = await env.client.workflow.start(readModelName, {
      taskQueue,
      workflowId: `${taskQueue}-wf`,
      typedSearchAttributes: [{ key: modelName, value: 'iris-classifier' }],
    });
    await expect(worker.runUntil(handle.result())).resolves.toBe('iris-classifier');
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(modelName)).toBe('iris-classifier');
  });
});

// Webpack progress and bundle statistics are noise in test output.
const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
