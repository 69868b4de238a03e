import { AbTestConfigSchema, BlueGreenConfigSchema, CanaryConfigSchema, DeploymentRequestSchema, parseStrategyConfig, RollingConfigSchema, ShadowConfigSchema } from '../../domain/deployments/strategy-config-schemas';
import { durationMs, formatIsoDuration, parseIsoDuration } from '../../domain/deployments/iso-duration';
import { DEFAULT_VALIDATION_GATES } from '../../domain/validation/gate-thresholds';

const thresholds = { accuracyDrop: 0.05, latencyIncrease: 1.5, errorRateIncrease: 0.01 };

describe('strategy config defaults', () => {
  it('Canary', () => {
    expect(CanaryConfigSchema.parse({})).toEqual({ initialPercentage: 10, incrementStep: 15, monitoringDuration: 'PT5M', rollbackThresholds: thresholds, minSamplesPerStep: 100, minLabelledSamplesPerStep: 50, maxInconclusiveExtensions: 2, warmupDuration: 'PT10M', bakeWindow: 'PT30M', validationGates: DEFAULT_VALIDATION_GATES });
  });
  it('BlueGreen', () => {
    expect(BlueGreenConfigSchema.parse({})).toMatchObject({ smokeTestSamples: 100, smokeTestMinAccuracyRatio: 0.95, monitoringDuration: 'PT5M', bakeWindow: 'PT30M', rollbackThresholds: thresholds });
  });
  it('ABTesting', () => {
    expect(AbTestConfigSchema.parse({})).toMatchObject({ splitRatio: 0.5, minimumSamples: 1000, significanceLevel: 0.05, primaryMetric: 'accuracy', duration: 'P7D', lookInterval: 'PT1H', spending: 'obrien-fleming', stickyHeader: 'x-user-id' });
  });
  it('Shadow', () => {
    expect(ShadowConfigSchema.parse({})).toMatchObject({ shadowPercentage: 100, comparisonSamples: 1000, predictionDifferenceThreshold: 0.1, duration: 'PT1H', checkInterval: 'PT1M', latencyIncrease: 1.5, errorRateIncrease: 0.01 });
  });
  it('Rolling', () => {
    expect(RollingConfigSchema.parse({})).toMatchObject({ batchSize: 1, waitDuration: 'PT1M', maxFailures: 1, minSamples: 50 });
  });
});

describe('Canary config', () => {
  it('accepts the spec example with the canaryPercentage alias (and a partial threshold object)', () => {
    const c = CanaryConfigSchema.parse({ canaryPercentage: 10, incrementStep: 15, monitoringDuration: 'PT5M', rollbackThresholds: { accuracyDrop: 0.05, latencyIncrease: 1.5 } });
    expect(c.initialPercentage).toBe(10);
    expect('canaryPercentage' in c).toBe(false);
    expect(c.rollbackThresholds).toEqual(thresholds);
  });
  it('accepts the strategies guide example, which repeats "strategy"', () => {
    expect(CanaryConfigSchema.parse({ strategy: 'Canary', initialPercentage: 10, incrementStep: 15, monitoringDuration: 'PT5M', rollbackThresholds: thresholds })).not.toHaveProperty('strategy');
    expect(CanaryConfigSchema.safeParse({ strategy: 'Shadow' }).success).toBe(false);
  });
  it('every strategy has a bake window (PT30M by default, PT0S allowed); blue-green still accepts keepBlueDuration', () => {
    for (const schema of [CanaryConfigSchema, BlueGreenConfigSchema, AbTestConfigSchema, ShadowConfigSchema, RollingConfigSchema] as const) {
      expect((schema.parse({}) as { bakeWindow: string }).bakeWindow).toBe('PT30M');
      expect((schema.parse({ bakeWindow: 'PT0S' }) as { bakeWindow: string }).bakeWindow).toBe('PT0S');
    }
    expect(BlueGreenConfigSchema.parse({ keepBlueDuration: 'PT5M' }).bakeWindow).toBe('PT5M');
  });
  it('rejects a disagreeing alias', () => {
    const r = CanaryConfigSchema.safeParse({ initialPercentage: 10, canaryPercentage: 20 });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['canaryPercentage']);
  });
  it.each([
    [{ rollbackThreshold: {} }, 'unknown field'],
    [{ rollbackThresholds: { accuracy: 0.1 } }, 'unknown nested field'],
    [{ initialPercentage: 0 }, 'zero percent'],
    [{ initialPercentage: 10.5 }, 'fractional percent'],
    [{ incrementStep: 101 }, 'step over 100'],
    [{ monitoringDuration: '5m' }, 'not ISO-8601'],
    [{ monitoringDuration: 'P1M' }, 'months'],
    [{ monitoringDuration: 'PT0S' }, 'zero window'],
    [{ rollbackThresholds: { latencyIncrease: 0.5 } }, 'latency ratio below 1'],
    [{ rollbackThresholds: { accuracyDrop: 2 } }, 'accuracy drop above 1'],
    [{ minSamplesPerStep: 0 }, 'zero samples'],
  ] as [Record<string, unknown>, string][])('rejects %j (%s)', (input) => {
    expect(CanaryConfigSchema.safeParse(input).success).toBe(false);
  });
  it('a null threshold disables that check', () => {
    expect(CanaryConfigSchema.parse({ rollbackThresholds: { accuracyDrop: null } }).rollbackThresholds.accuracyDrop).toBeNull();
  });
});

describe('other strategies reject bad input', () => {
  it.each([
    [AbTestConfigSchema, { splitRatio: 1 }],
    [AbTestConfigSchema, { primaryMetric: 'f1' }],
    [AbTestConfigSchema, { significanceLevel: 0 }],
    [AbTestConfigSchema, { stickyHeader: 'bad header' }],
    [ShadowConfigSchema, { shadowPercentage: 0 }],
    [ShadowConfigSchema, { predictionDifferenceThreshold: 1.5 }],
    [RollingConfigSchema, { batchSize: 0 }],
    [RollingConfigSchema, { maxFailures: -1 }],
    [BlueGreenConfigSchema, { keepBlueDuration: 'forever' }],
    [BlueGreenConfigSchema, { bakeWindow: 'PT10M', keepBlueDuration: 'PT5M' }],
    [CanaryConfigSchema, { bakeWindow: 'thirty minutes' }],
    [RollingConfigSchema, { bakeWindow: 'P1M' }],
    [BlueGreenConfigSchema, { smokeTests: 5 }],
  ] as const)('%#: %j', (schema, input) => {
    expect(schema.safeParse(input).success).toBe(false);
  });
});

describe('DeploymentRequestSchema', () => {
  const body = { modelId: 'model-123', versionId: 'version-456', strategy: 'Canary', environment: 'Production', strategyConfig: { canaryPercentage: 10, incrementStep: 15, monitoringDuration: 'PT5M', rollbackThresholds: { accuracyDrop: 0.05, latencyIncrease: 1.5 } } };
  it('parses the API reference example', () => {
    const r = DeploymentRequestSchema.parse(body);
    expect(r.strategy).toBe('Canary');
    expect(r.strategyConfig).toMatchObject({ initialPercentage: 10, incrementStep: 15 });
  });
  it('applies every default when strategyConfig is omitted', () => {
    const { strategyConfig: _c, ...rest } = body;
    expect(DeploymentRequestSchema.parse({ ...rest, strategy: 'Rolling' }).strategyConfig).toMatchObject({ batchSize: 1 });
  });
  it('validates the config by its strategy', () => {
    expect(DeploymentRequestSchema.safeParse({ ...body, strategy: 'Rolling' }).success).toBe(false);
  });
  it.each([[{ ...body, extra: 1 }], [{ ...body, environment: 'Prod' }], [{ ...body, strategy: 'Big-Bang' }], [{ ...body, modelId: '' }]])('rejects %#', (input) => {
    expect(DeploymentRequestSchema.safeParse(input).success).toBe(false);
  });
  it('parseStrategyConfig parses one strategy alone', () => {
    expect(parseStrategyConfig('ABTesting', undefined).splitRatio).toBe(0.5);
  });
});

describe('ISO-8601 durations', () => {
  it.each([
    ['PT5M', 300_000],
    ['P7D', 604_800_000],
    ['P1W', 604_800_000],
    ['P1DT2H', 93_600_000],
    ['PT0.25S', 250],
    ['PT1H30M15S', 5_415_000],
    ['PT0S', 0],
  ])('%s = %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
    expect(durationMs(text)).toBe(ms);
  });
  it.each(['P', 'PT', 'P1M', 'P1Y', '5m', 'PT-1S', 'P1DT', ''])('rejects %p', (text) => {
    expect(parseIsoDuration(text)).toBeNull();
    expect(() => durationMs(text)).toThrow(RangeError);
  });
  it.each([
    [93_600_000, 'P1DT2H'],
    [1500, 'PT1.5S'],
    [0, 'PT0S'],
    [300_000, 'PT5M'],
  ])('formatIsoDuration(%d) = %s', (ms, text) => {
    expect(formatIsoDuration(ms)).toBe(text);
    expect(parseIsoDuration(text)).toBe(ms);
  });
});
