/**
 * The deployment scenarios whose histories are recorded (test/workflows/record-histories.recorder.ts,
 * `npm run record-histories`) and replayed (replay-histories.test.ts).
 *
 * Why not historyToJSON: in this install @temporalio/common and @temporalio/proto carry separate
 * protobufjs copies, and the SDK's proto3-JSON helpers fail across them ("type must be a Type").
 * The files hold the History message as protobufjs toObject gives it, read back with fromObject.
 */
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { goodCandidate, goodStable, goodShadow } from './helpers/fake-world';
import { ADMIN, ENGINEER, inputFor, type Harness } from './helpers/temporal-harness';
import { approveUpdate, pauseUpdate, resumeUpdate, rollbackUpdate, supersedeUpdate } from '../../workflows/messages';
import type { DeploymentInput } from '../../workflows/deployment-input';
import type { FakeWorldOptions } from './helpers/fake-world';
import type { Running } from './helpers/temporal-harness';

export const History = temporal.api.history.v1.History;
export const toFile = (history: temporal.api.history.v1.IHistory) => JSON.stringify(History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String }));
export const fromFile = (text: string) => History.fromObject(JSON.parse(text));

export const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
export const quietLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface Scenario {
  name: string;
  input: () => DeploymentInput;
  world?: FakeWorldOptions;
  drive?: (r: Running, h: Harness) => Promise<void>;
}

const canary = { initialPercentage: 20, incrementStep: 40, monitoringDuration: 'PT5M' };
export const SCENARIOS: Scenario[] = [
  { name: 'canary-promoted', input: () => inputFor('Canary', canary) },
  {
    name: 'canary-bake-superseded',
    input: () => inputFor('Canary', { ...canary, bakeWindow: 'PT20M' }),
    drive: async ({ handle, waitFor }, h) => {
      await waitFor((s) => s.phase === 'Analysing');
      await h.env.sleep('16 minutes');
      await waitFor((s) => s.phase === 'KeepingPreviousWarm' && s.currentStep?.step.kind === 'pause');
      await handle.executeUpdate(supersedeUpdate, { args: [{ by: ENGINEER, reason: 'a newer deployment', supersededBy: 'dep-next' }] });
    },
  },
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

