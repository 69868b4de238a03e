import { AbTestConfigSchema, BlueGreenConfigSchema, CanaryConfigSchema, RollingConfigSchema, ShadowConfigSchema } from '../../domain/deployments/strategy-config-schemas';
import { afterPromotion, bakeWindowMs, canaryWeights, describeStep, isSkippedOnPromote, planAbTest, planBlueGreen, planCanary, planRolling, planShadow, progressPercentage, rollingBatches, type DeploymentStep } from '../../domain/deployments/steps';

const kinds = (plan: DeploymentStep[]) => plan.map(describeStep);
const ctx = { hasStable: true, approvalRequired: false };

it.each([
  [10, 15, [10, 25, 40, 55, 70, 85]],
  [10, 40, [10, 50, 90]],
  [50, 50, [50]],
  [100, 10, []],
  [1, 99, [1]],
])('canaryWeights(%p, %p)', (initial, step, expected) => expect(canaryWeights(initial, step)).toEqual(expected));

describe('planCanary', () => {
  it('alternates setWeight and analysis, the last analysis final, then promote, bake and retire', () => {
    const plan = planCanary(CanaryConfigSchema.parse({ initialPercentage: 10, incrementStep: 40, monitoringDuration: 'PT5M' }), ctx);
    expect(kinds(plan)).toEqual(['validate', 'warmUp', 'setWeight 10%', 'analysis PT5M', 'setWeight 50%', 'analysis PT5M', 'setWeight 90%', 'analysis PT5M (final)', 'promote', 'pause PT30M (keepPreviousWarm)', 'retirePrevious']);
  });
  it('bakeWindow PT0S retires right after promotion', () => {
    expect(kinds(planCanary(CanaryConfigSchema.parse({ incrementStep: 90, bakeWindow: 'PT0S' }), ctx)).slice(-2)).toEqual(['promote', 'retirePrevious']);
  });
  it('puts approval after validation in Production', () => {
    expect(kinds(planCanary(CanaryConfigSchema.parse({}), { hasStable: true, approvalRequired: true })).slice(0, 3)).toEqual(['validate', 'approval', 'warmUp']);
  });
  it('a first deployment has nothing to compare with', () => {
    expect(kinds(planCanary(CanaryConfigSchema.parse({}), { hasStable: false, approvalRequired: false }))).toEqual(['validate', 'warmUp', 'promote']);
  });
});

it('planBlueGreen', () => {
  expect(kinds(planBlueGreen(BlueGreenConfigSchema.parse({ smokeTestSamples: 20 }), ctx))).toEqual(['validate', 'warmUp', 'smokeTest 20 samples', 'setWeight 100%', 'analysis PT5M (final)', 'promote', 'pause PT30M (keepPreviousWarm)', 'retirePrevious']);
  expect(kinds(planBlueGreen(BlueGreenConfigSchema.parse({}), { hasStable: false, approvalRequired: false }))).toEqual(['validate', 'warmUp', 'smokeTest 100 samples', 'promote']);
});

it('planAbTest', () => {
  expect(kinds(planAbTest(AbTestConfigSchema.parse({ duration: 'P2D' }), ctx, 50))).toEqual(['validate', 'warmUp', 'setWeight 50%', 'experiment up to P2D', 'promote', 'pause PT30M (keepPreviousWarm)', 'retirePrevious']);
});

it('planShadow', () => {
  expect(kinds(planShadow(ShadowConfigSchema.parse({ shadowPercentage: 20, bakeWindow: 'PT1H' }), ctx))).toEqual(['validate', 'warmUp', 'mirror 20%', 'compare 1000 samples', 'promote', 'pause PT1H (keepPreviousWarm)', 'retirePrevious']);
});

it('planRolling and rollingBatches', () => {
  expect(rollingBatches(['a', 'b', 'c'], 2)).toEqual([['a', 'b'], ['c']]);
  expect(kinds(planRolling(RollingConfigSchema.parse({ batchSize: 2 }), ctx, ['a', 'b', 'c']))).toEqual(['validate', 'updateBatch 1 [a, b]', 'updateBatch 2 [c]', 'promote', 'rewarmPrevious', 'pause PT30M (keepPreviousWarm)', 'retirePrevious']);
  expect(kinds(planRolling(RollingConfigSchema.parse({ batchSize: 2, bakeWindow: 'PT0S' }), ctx, ['a', 'b', 'c'])).slice(-2)).toEqual(['promote', 'retirePrevious']);
  expect(kinds(planRolling(RollingConfigSchema.parse({}), { hasStable: false, approvalRequired: false }, ['a']))).toEqual(['validate', 'updateBatch 1 [a]', 'promote']);
});

it('bake windows of configs recorded before them: none, or blue-green keepBlueDuration (its pause kept even at 0)', () => {
  expect(bakeWindowMs({})).toBe(0);
  expect(bakeWindowMs({ keepBlueDuration: 'PT5M' })).toBe(300_000);
  expect(kinds(afterPromotion({}, ctx))).toEqual(['retirePrevious']);
  expect(kinds(afterPromotion({ keepBlueDuration: 'PT0S' }, ctx))).toEqual(['pause PT0S (keepPreviousWarm)', 'retirePrevious']);
  expect(afterPromotion({ bakeWindow: 'PT5M' }, { hasStable: false, approvalRequired: false })).toEqual([]);
});

it('promote skips waits and measurements, never gates, batches or promotion', () => {
  const skipped = (['setWeight', 'analysis', 'pause', 'rewarmPrevious', 'experiment', 'compare', 'mirror'] as const).map((kind) => ({ kind }) as unknown as DeploymentStep);
  const kept = (['validate', 'approval', 'warmUp', 'smokeTest', 'updateBatch', 'promote', 'retirePrevious'] as const).map((kind) => ({ kind }) as unknown as DeploymentStep);
  skipped.forEach((s) => expect(isSkippedOnPromote(s)).toBe(true));
  kept.forEach((s) => expect(isSkippedOnPromote(s)).toBe(false));
});

it.each([
  [0, 10, 0],
  [3, 10, 30],
  [10, 10, 100],
  [1, 3, 33],
  [2, 3, 67],
  [5, 0, 0],
])('progressPercentage(%p, %p) = %p', (done, total, pct) => expect(progressPercentage(done, total)).toBe(pct));
