import { goodShadow } from './helpers/fake-world';
import { createHarness, inputFor, runToEnd, type Harness } from './helpers/temporal-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.env.teardown();
});

const config = { shadowPercentage: 50, comparisonSamples: 1000, predictionDifferenceThreshold: 0.1, duration: 'PT30M', checkInterval: 'PT5M' };

describe('shadowDeployment', () => {
  it('mirrors traffic, waits for enough comparisons, then switches at once', async () => {
    const { result, world } = await runToEnd(h, inputFor('Shadow', config), { shadow: (call) => goodShadow(call < 2 ? 300 * (call + 1) : 1200) });
    expect(result.status).toBe('Active');
    expect(world.routes[0]).toEqual({ pools: [{ versionId: 'v1', weight: 100 }], shadow: { versionId: 'v2', percentage: 50 }, sticky: null });
    expect(world.routes[1]).toEqual({ pools: [{ versionId: 'v2', weight: 100 }], shadow: null, sticky: null });
    expect(world.named('readShadowComparison')).toHaveLength(3);
    expect(result.shadow).toMatchObject({ decision: 'Promote', report: expect.objectContaining({ samples: 1200 }) });
    // Mirroring is not user traffic.
    expect(result.history.find((e) => e.decision === 'Mirroring')).toBeDefined();
  });

  it('rejects with the comparison report when predictions disagree; users never saw the candidate', async () => {
    const { result, world } = await runToEnd(h, inputFor('Shadow', config), { shadow: () => ({ ...goodShadow(1500), labelAgreement: 0.8 }) });
    expect(result.status).toBe('Failed');
    expect(result.rollback?.trigger).toBe('shadow-rejected');
    expect(result.shadow?.reasons.join()).toMatch(/disagree on 20\.00%/);
    expect(world.routes.at(-1)).toEqual({ pools: [{ versionId: 'v1', weight: 100 }], shadow: null, sticky: null });
    expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v2' })]);
  });

  it('fails safe when not enough comparisons arrive before the duration ends', async () => {
    const { result, world } = await runToEnd(h, inputFor('Shadow', config), { shadow: () => goodShadow(100) });
    expect(result.status).toBe('Failed');
    expect(result.shadow?.reasons.join()).toContain('time is up');
    expect(world.named('readShadowComparison')).toHaveLength(6);
  });

  it('needs a serving version to compare with', async () => {
    const { result } = await runToEnd(h, inputFor('Shadow', config), { stable: null });
    expect(result.status).toBe('Failed');
    expect(result.errorMessage).toContain('needs a serving version');
  });
});
