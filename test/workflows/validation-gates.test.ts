import { ADMIN, createHarness, ENGINEER, inputFor, refusal, runDeployment, runToEnd, type Harness } from './helpers/temporal-harness';
import { overrideGateUpdate } from '../../workflows/messages';
import type { DeploymentStatusView } from '../../domain/deployments/deployment-status';
import type { CandidateMeasurement } from '../../domain/validation/measurement';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.env.teardown();
});

/** A candidate 5× slower than the stable version timed next to it on the same server. */
const slow: Partial<CandidateMeasurement> = { notMeasured: null, latencyMs: { candidate: [5, 5, 5], stable: [1, 1, 1] } };
const canary = (gates: Record<string, unknown> = {}) => inputFor('Canary', { initialPercentage: 50, incrementStep: 50, validationGates: gates });

describe('measured validation gates and the Admin override', () => {
  it('a failed gate waits for an override; a non-Admin and a wrong gate are refused; the Admin override lets it go on, recorded', async () => {
    await runDeployment(h, canary(), { measurement: slow }, async ({ handle, world, waitFor }) => {
      const waiting = await waitFor((s) => s.phase === 'AwaitingOverride', 'awaiting override');
      expect(waiting.status).toBe('Validating');
      expect(waiting.validationResult?.passed).toBe(false);
      expect(waiting.validationResult?.checks.find((c) => c.name === 'latency')).toMatchObject({ passed: false, outcome: 'Failed', overridable: true, measured: { candidateMs: 5, referenceMs: 1 } });
      expect(world.named('measureCandidate')).toEqual([expect.objectContaining({ stableVersionId: 'v1', environment: 'Staging', holdoutSamples: 500, latencySamples: 30 })]);
      expect(world.named('warmUpVersion')).toEqual([]);

      expect(await refusal(handle.executeUpdate(overrideGateUpdate, { args: [{ by: ENGINEER, gate: 'latency', reason: 'fine' }] }))).toMatch(/may not override/);
      expect(await refusal(handle.executeUpdate(overrideGateUpdate, { args: [{ by: ADMIN, gate: 'accuracy', reason: 'fine' }] }))).toMatch(/gate accuracy has not failed/);
      expect(await refusal(handle.executeUpdate(overrideGateUpdate, { args: [{ by: ADMIN, gate: 'latency', reason: '' }] }))).toMatch(/reason is required/);

      const report = await handle.executeUpdate(overrideGateUpdate, { args: [{ by: ADMIN, gate: 'latency', reason: 'nightly batch scoring, latency does not matter' }] });
      expect(report.passed).toBe(true);
      const result = (await handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('Active');
      expect(result.validationResult?.checks.find((c) => c.name === 'latency')).toMatchObject({ passed: true, outcome: 'Overridden', override: { by: ADMIN.id, byName: 'alice', reason: 'nightly batch scoring, latency does not matter' } });
      expect(result.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'validate', decision: 'Overridden', reason: expect.stringContaining('alice overrode gate latency') })]));
      expect(world.named('warmUpVersion').length).toBeGreaterThan(0);
    });
  });

  it('without an override the deployment fails once overrideTimeout passed, before anything is loaded', async () => {
    const { result, world } = await runToEnd(h, canary({ overrideTimeout: 'PT2H' }), { measurement: slow });
    expect(result.status).toBe('Failed');
    expect(result.rollback).toMatchObject({ trigger: 'validation' });
    expect(result.errorMessage).toMatch(/validation failed: latency: candidate 5 ms vs stable 1 ms/);
    expect(result.history.map((e) => e.decision)).toEqual(expect.arrayContaining(['AwaitingOverride', 'OverrideTimedOut']));
    expect(Date.parse(result.completedAt!) - Date.parse(result.startedAt)).toBeGreaterThanOrEqual(2 * 3600_000);
    expect(world.named('warmUpVersion')).toEqual([]);
  });

  it('fails at once when a gate that cannot be overridden failed too, or overrideTimeout is PT0S; a gate set to null does not block', async () => {
    const broken = await runToEnd(h, canary(), { measurement: slow, validation: { loads: false } });
    expect(broken.result.status).toBe('Failed');
    expect(broken.result.history.map((e) => e.decision)).not.toContain('AwaitingOverride');
    const strict = await runToEnd(h, canary({ overrideTimeout: 'PT0S' }), { measurement: slow });
    expect(strict.result.status).toBe('Failed');
    expect(Date.parse(strict.result.completedAt!) - Date.parse(strict.result.startedAt)).toBeLessThan(3600_000);
    const off = await runToEnd(h, canary({ latencyIncrease: null }), { measurement: slow });
    expect(off.result.status).toBe('Active');
    expect(off.result.validationResult?.checks.find((c) => c.name === 'latency')?.outcome).toBe('NotMeasured');
  });
});
