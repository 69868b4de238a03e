import type { MetricWindow } from '../../domain/deployments/analysis';
import { createHarness, inputFor, runDeployment, runToEnd, type Harness } from './helpers/temporal-harness';
import type { DeploymentStatusView } from '../../domain/deployments/deployment-status';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.env.teardown();
});

const config = { splitRatio: 0.5, minimumSamples: 1000, significanceLevel: 0.05, primaryMetric: 'accuracy', duration: 'P1D', lookInterval: 'PT1H', stickyHeader: 'x-customer' };

/** A cumulative window with n labelled predictions (twice as many requests). */
const arm = (n: number, accuracy: number, meanLatencyMs = 40): MetricWindow => ({ requests: 2 * n, errors: 0, p99LatencyMs: 100, meanLatencyMs, labelled: n, correct: Math.round(accuracy * n), latencyStdDevMs: 15 });
/** Each look sees `step` more labelled predictions per arm. */
const growing = (step: number, control: number, treatment: number) => (call: number) => ({ stable: arm(step * (call + 1), control), candidate: arm(step * (call + 1), treatment) });

describe('abTestDeployment', () => {
  it('splits traffic with sticky assignment and promotes a clearly better candidate at an interim look', async () => {
    const { result, world } = await runToEnd(h, inputFor('ABTesting', config), { windows: growing(250, 0.8, 0.9) });
    expect(result.status).toBe('Active');
    expect(world.routes[0]).toEqual({ pools: [{ versionId: 'v1', weight: 50 }, { versionId: 'v2', weight: 50 }], shadow: null, sticky: { header: 'x-customer' } });
    expect(world.named('readMetricWindows')).toHaveLength(2);
    const report = result.abTest!.report!;
    expect(result.abTest!.outcome).toBe('TreatmentWins');
    expect(report).toMatchObject({ metric: 'accuracy', look: 2, informationFraction: 0.5 });
    expect(Math.abs(report.z)).toBeGreaterThan(report.boundary);
    expect(report.pValue).toBeLessThan(report.nominalAlpha);
    expect(report.confidenceInterval.lower).toBeGreaterThan(0);
    expect(report.effectSize.kind).toBe('cohensH');
    // The cumulative window always starts when the test started.
    const reads = world.named('readMetricWindows');
    expect(reads[1].candidate.from).toBe(reads[0].candidate.from);
  });

  it('keeps the control (rolls the candidate back) when there is no difference at the final look', async () => {
    const { result, world } = await runToEnd(h, inputFor('ABTesting', config), { windows: growing(250, 0.8, 0.8) });
    expect(result.status).toBe('RolledBack');
    expect(result.rollback?.trigger).toBe('experiment');
    expect(result.abTest).toMatchObject({ outcome: 'NoDifference', looks: 4 });
    expect(result.abTest!.report).toMatchObject({ informationFraction: 1, alphaSpent: 0.05, underpowered: false });
    expect(world.routes.at(-1)!.pools).toEqual([{ versionId: 'v1', weight: 100 }]);
  });

  it('keeps the control when it is significantly better', async () => {
    const { result } = await runToEnd(h, inputFor('ABTesting', { ...config, rollbackThresholds: { accuracyDrop: null } }), { windows: growing(250, 0.9, 0.8) });
    expect(result.status).toBe('RolledBack');
    expect(result.abTest?.outcome).toBe('ControlWins');
  });

  it('ends at the duration with a final look that spends the remaining alpha (underpowered)', async () => {
    const { result, world } = await runToEnd(h, inputFor('ABTesting', { ...config, duration: 'PT3H' }), { windows: growing(100, 0.8, 0.8) });
    expect(result.status).toBe('RolledBack');
    expect(world.named('readMetricWindows')).toHaveLength(3);
    expect(result.abTest!.report).toMatchObject({ alphaSpent: 0.05, underpowered: true });
  });

  it('compares latency with Welch\'s t-test when latency is the primary metric', async () => {
    const latency = (call: number) => ({ stable: { ...arm(300 * (call + 1), 0.8, 40), requests: 300 * (call + 1) }, candidate: { ...arm(300 * (call + 1), 0.8, 35), requests: 300 * (call + 1) } });
    const { result } = await runToEnd(h, inputFor('ABTesting', { ...config, primaryMetric: 'latency' }), { windows: latency });
    expect(result.status).toBe('Active');
    expect(result.abTest!.report).toMatchObject({ metric: 'latency', effectSize: expect.objectContaining({ kind: 'cohensD' }) });
    expect(result.abTest!.report!.difference).toBeCloseTo(-5, 6);
  });

  it('a guardrail breach rolls back at once', async () => {
    const { result } = await runToEnd(h, inputFor('ABTesting', config), { windows: (call) => ({ stable: arm(250 * (call + 1), 0.8), candidate: { ...arm(250 * (call + 1), 0.8), errors: 100 } }) });
    expect(result.status).toBe('RolledBack');
    expect(result.rollback).toMatchObject({ trigger: 'threshold' });
    expect(result.rollback!.reason).toContain('errorRate');
  });

  it('continues as new during a long test and carries its state', async () => {
    await runDeployment(h, inputFor('ABTesting', config, { continueAsNewAfterLooks: 2 }), { windows: growing(100, 0.8, 0.8) }, async ({ handle, world }) => {
      const result = (await handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('RolledBack');
      expect(result.abTest).toMatchObject({ outcome: 'NoDifference', looks: 10 });
      expect(result.history.filter((e) => e.decision === 'ContinueAsNew')).toHaveLength(4);
      const latest = await h.env.client.workflow.getHandle(handle.workflowId).describe();
      expect(latest.runId).not.toBe(handle.firstExecutionRunId);
      // The projection never went backwards across runs.
      const seqs = world.projections.map((p) => p.sequence);
      expect(new Set(seqs).size).toBe(seqs.length);
      // Validation and warm-up ran once, not once per run.
      expect(world.named('warmUpVersion')).toHaveLength(1);
    });
  });

  it('needs a control version', async () => {
    const { result } = await runToEnd(h, inputFor('ABTesting', config), { stable: null });
    expect(result.status).toBe('Failed');
  });
});
