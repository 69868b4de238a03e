/**
 * Replays recorded histories of real runs against today's workflow code: a change that would
 * break deployments already running (a non-deterministic edit) fails here.
 *
 * Histories live in test/fixtures/histories/*.json. Re-record them on purpose only, when a
 * change is meant to be incompatible and is shipped with workflow versioning (patched()):
 *   HOTSWAP_RECORD_HISTORIES=1 npx jest test/workflows/replay-histories
 *
 * Why not historyToJSON: in this install @temporalio/common and @temporalio/proto carry separate
 * protobufjs copies, and the SDK's proto3-JSON helpers fail across them ("type must be a Type").
 * The files hold the History message as protobufjs toObject gives it, read back with fromObject.
 */
const History = temporal.api.history.v1.History;
const toFile = (history: temporal.api.history.v1.IHistory) => JSON.stringify(History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String }));
const fromFile = (text: string) => History.fromObject(JSON.parse(text));
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { goodCandidate, goodStable, goodShadow } from './helpers/fake-world';
import { ADMIN, createHarness, ENGINEER, inputFor, runDeployment, type Harness } from './helpers/temporal-harness';
import { approveUpdate, pauseUpdate, resumeUpdate, rollbackUpdate } from '../../workflows/messages';
import { installQuietTemporalRuntime } from '../helpers/temporal-test-env';
import type { DeploymentInput } from '../../workflows/deployment-input';
import type { FakeWorldOptions } from './helpers/fake-world';
import type { Running } from './helpers/temporal-harness';

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const RECORD = process.env.HOTSWAP_RECORD_HISTORIES === '1';
const quietLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

interface Scenario {
  name: string;
  input: () => DeploymentInput;
  world?: FakeWorldOptions;
  drive?: (r: Running, h: Harness) => Promise<void>;
}

const canary = { initialPercentage: 20, incrementStep: 40, monitoringDuration: 'PT5M' };
const SCENARIOS: Scenario[] = [
  { name: 'canary-promoted', input: () => inputFor('Canary', canary) },
  { name: 'canary-rolled-back-on-latency', input: () => inputFor('Canary', canary), world: { windows: (call) => ({ stable: goodStable, candidate: call === 1 ? { ...goodCandidate, p99LatencyMs: 300 } : goodCandidate }) } },
  {
    name: 'canary-production-approved-paused-resumed',
    input: () => inputFor('Canary', canary, { environment: 'Production' }),
    drive: async ({ handle, waitFor }, h) => {
      await waitFor((s) => s.status === 'AwaitingApproval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: ADMIN, reason: 'reviewed' }] });
      await waitFor((s) => s.phase === 'Analysing');
      await handle.executeUpdate(pauseUpdate, { args: [{ by: ENGINEER }] });
      await h.env.sleep('1 hour');
      await handle.executeUpdate(resumeUpdate, { args: [{ by: ENGINEER }] });
    },
  },
  {
    name: 'canary-cancelled',
    input: () => inputFor('Canary', canary),
    drive: async ({ handle, waitFor }) => {
      await waitFor((s) => s.phase === 'Analysing');
      await handle.cancel();
    },
  },
  {
    name: 'blue-green-rollback-command',
    input: () => inputFor('BlueGreen', { monitoringDuration: 'PT5M', keepBlueDuration: 'PT30M' }),
    drive: async ({ handle, waitFor }, h) => {
      await waitFor((s) => s.phase === 'Analysing');
      await h.env.sleep('6 minutes');
      await waitFor((s) => s.phase === 'KeepingPreviousWarm');
      await handle.executeUpdate(rollbackUpdate, { args: [{ by: ENGINEER, reason: 'tickets' }] });
    },
  },
  {
    name: 'ab-test-continue-as-new',
    input: () => inputFor('ABTesting', { minimumSamples: 1000, duration: 'P1D', lookInterval: 'PT1H' }, { continueAsNewAfterLooks: 2 }),
    world: { windows: (call) => ({ stable: { ...goodStable, labelled: 100 * (call + 1), correct: 80 * (call + 1) }, candidate: { ...goodCandidate, requests: 1000, labelled: 100 * (call + 1), correct: 80 * (call + 1) } }) },
  },
  { name: 'shadow-promoted', input: () => inputFor('Shadow', { comparisonSamples: 1000, duration: 'PT30M', checkInterval: 'PT5M' }), world: { shadow: () => goodShadow(1500) } },
  {
    name: 'rolling-max-failures',
    input: () => inputFor('Rolling', { batchSize: 1, waitDuration: 'PT1M', maxFailures: 0 }),
    world: { servers: ['s1', 's2', 's3'], health: (list, call) => list.map((server) => ({ server, healthy: call < 1, ready: true })) },
  },
];

(RECORD ? describe : describe.skip)('record histories (HOTSWAP_RECORD_HISTORIES=1)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
    fs.mkdirSync(DIR, { recursive: true });
  });
  afterAll(async () => {
    await h?.env.teardown();
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (name, scenario) => {
    await runDeployment(h, scenario.input(), scenario.world ?? {}, async (r) => {
      await scenario.drive?.(r, h);
      await r.handle.result().catch(() => undefined);
      // The first run's history (for continue-as-new it ends with the continue-as-new command).
      const first = h.env.client.workflow.getHandle(r.handle.workflowId, r.handle.firstExecutionRunId);
      fs.writeFileSync(path.join(DIR, `${name}.json`), toFile(await first.fetchHistory()));
    });
  });
});

describe('replay of recorded deployment histories', () => {
  const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort() : [];

  it('has a recorded history for every scenario', () => {
    expect(files.map((f) => f.replace(/\.json$/, ''))).toEqual(SCENARIOS.map((s) => s.name).sort());
  });

  it('replays every history with the current workflow code without a determinism error', async () => {
    installQuietTemporalRuntime();
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: fromFile(fs.readFileSync(path.join(DIR, f), 'utf8')) }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
  });
});
