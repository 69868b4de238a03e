/**
 * zod schemas of the deployment request and of each strategy's configuration. Strict: an unknown
 * field is an error, never silently ignored. Defaults live here, in one place:
 *
 * | strategy   | field                     | default        | meaning |
 * |------------|---------------------------|----------------|---------|
 * | all        | warmupDuration            | PT10M          | longest time loading and warming may take on all servers |
 * | all        | bakeWindow                | PT30M          | after promotion the previous version stays warm this long: the deployment is Active (phase KeepingPreviousWarm), a rollback is one routing change, promote ends it early, a new deployment supersedes it; PT0S retires the previous version at once |
 * | Canary     | initialPercentage (alias canaryPercentage) | 10 | candidate traffic at the first step |
 * |            | incrementStep             | 15             | percentage points added per step (10 → 25 → 40 … → 100) |
 * |            | monitoringDuration        | PT5M           | analysis window per step |
 * |            | rollbackThresholds        | see below      | |
 * |            | minSamplesPerStep         | 100            | requests per version before a window can pass |
 * |            | minLabelledSamplesPerStep | 50             | labelled predictions per version before accuracy can pass |
 * |            | maxInconclusiveExtensions | 2              | extra windows on Inconclusive before failing safe (rollback) |
 * | BlueGreen  | smokeTestSamples          | 100            | labelled samples run against green before the switch |
 * |            | smokeTestMinAccuracyRatio | 0.95           | smoke accuracy must be ≥ baseline × this |
 * |            | monitoringDuration        | PT5M           | post-switch window |
 * |            | keepBlueDuration          | (bakeWindow)   | older name of bakeWindow, still accepted |
 * |            | minSamples / minLabelledSamples / maxInconclusiveExtensions | 100 / 50 / 2 | |
 * | ABTesting  | splitRatio                | 0.5            | share of traffic to the candidate |
 * |            | minimumSamples            | 1000           | per arm: the test's full information (horizon) |
 * |            | significanceLevel         | 0.05           | two-sided α, kept across repeated looks by alpha spending |
 * |            | primaryMetric             | accuracy       | accuracy (two-proportion z) or latency (Welch t) |
 * |            | duration                  | P7D            | longest the test runs; then a final look |
 * |            | lookInterval              | PT1H           | how often the workflow looks at the data |
 * |            | spending                  | obrien-fleming | alpha-spending function |
 * |            | stickyHeader              | x-user-id      | request header whose value pins a caller to one arm |
 * |            | rollbackThresholds, guardrailMinSamples | see below, 100 | guardrails checked at every look |
 * | Shadow     | shadowPercentage          | 100            | share of requests mirrored to the candidate |
 * |            | comparisonSamples         | 1000           | compared predictions needed for a verdict |
 * |            | predictionDifferenceThreshold | 0.1        | max disagreement rate and max mean absolute score difference |
 * |            | duration                  | PT1H           | longest time to collect comparisonSamples, then fail safe |
 * |            | checkInterval             | PT1M           | how often the comparison is read |
 * |            | latencyIncrease / errorRateIncrease | 1.5 / 0.01 | shadow vs primary |
 * | Rolling    | batchSize                 | 1              | servers updated at a time |
 * |            | waitDuration              | PT1M           | wait after each batch before health and metric checks |
 * |            | maxFailures               | 1              | failed batch attempts tolerated; past it every updated server rolls back |
 * |            | rollbackThresholds, minSamples | see below, 50 | metric check between batches |
 *
 * Every strategy also takes `validationGates` (latency, accuracy, memory and bias gates and the
 * override timeout; domain/validation/gate-thresholds.ts).
 *
 * rollbackThresholds default to the spec's {accuracyDrop: 0.05 (relative), latencyIncrease: 1.5
 * (ratio), errorRateIncrease: 0.01 (absolute)}; a field set to null is not checked.
 */
import { z } from 'zod';
import { parseIsoDuration } from './iso-duration';
import { DEPLOYMENT_STRATEGIES, ENVIRONMENTS } from './enums';
import { ValidationGatesSchema } from '../validation/gate-thresholds';

/** An ISO-8601 duration of days/hours/minutes/seconds, at least `minMs` long. */
export const isoDuration = (minMs = 0) =>
  z.string().refine((s) => {
    const ms = parseIsoDuration(s);
    return ms !== null && ms >= minMs;
  }, minMs > 0 ? `must be an ISO-8601 duration such as PT5M (at least ${minMs / 1000}s; no years or months)` : 'must be an ISO-8601 duration such as PT5M (no years or months)');

const percentage = (min = 1) => z.number().int().min(min).max(100);
const count = (min = 1) => z.number().int().min(min);

export const RollbackThresholdsSchema = z.strictObject({
  /** Relative: 0.05 fails when candidate accuracy is more than 5% below stable's. */
  accuracyDrop: z.number().min(0).max(1).nullable().default(0.05),
  /** Ratio: 1.5 fails when candidate p99 or mean latency is more than 1.5× stable's. */
  latencyIncrease: z.number().min(1).max(100).nullable().default(1.5),
  /** Absolute: 0.01 fails when candidate error rate exceeds stable's by more than 1 point. */
  errorRateIncrease: z.number().min(0).max(1).nullable().default(0.01),
});
export type RollbackThresholds = z.output<typeof RollbackThresholdsSchema>;

const thresholds = () => RollbackThresholdsSchema.prefault({});
const warmupDuration = () => isoDuration(1000).default('PT10M');
/** Thresholds of the measured validation gates (domain/validation/gate-thresholds.ts has the table). */
const validationGates = () => ValidationGatesSchema.prefault({});
/** Why 30 minutes: long enough for error rates, latency and the first labelled feedback to show a regression that the analysis windows missed; it costs one extra loaded version meanwhile. */
export const DEFAULT_BAKE_WINDOW = 'PT30M';
const bakeWindow = () => isoDuration().default(DEFAULT_BAKE_WINDOW);
/** The strategy docs' examples repeat "strategy" inside the config: accept it when it matches. */
const echo = <S extends string>(strategy: S) => z.literal(strategy).optional();

export const CanaryConfigSchema = z
  .strictObject({
    strategy: echo('Canary'),
    initialPercentage: percentage().optional(),
    canaryPercentage: percentage().optional(),
    incrementStep: percentage().default(15),
    monitoringDuration: isoDuration(1000).default('PT5M'),
    rollbackThresholds: thresholds(),
    minSamplesPerStep: count().default(100),
    minLabelledSamplesPerStep: count(0).default(50),
    maxInconclusiveExtensions: z.number().int().min(0).max(50).default(2),
    warmupDuration: warmupDuration(),
    validationGates: validationGates(),
    bakeWindow: bakeWindow(),
  })
  .refine((c) => c.initialPercentage === undefined || c.canaryPercentage === undefined || c.initialPercentage === c.canaryPercentage, {
    message: 'canaryPercentage is an alias of initialPercentage; they disagree',
    path: ['canaryPercentage'],
  })
  .transform(({ strategy: _s, canaryPercentage, initialPercentage, ...rest }) => ({ ...rest, initialPercentage: initialPercentage ?? canaryPercentage ?? 10 }));
export type CanaryConfig = z.output<typeof CanaryConfigSchema>;

export const BlueGreenConfigSchema = z
  .strictObject({
    strategy: echo('BlueGreen'),
    smokeTestSamples: count().max(100_000).default(100),
    smokeTestMinAccuracyRatio: z.number().min(0).max(1).default(0.95),
    monitoringDuration: isoDuration(1000).default('PT5M'),
    bakeWindow: isoDuration().optional(),
    keepBlueDuration: isoDuration().optional(),
    rollbackThresholds: thresholds(),
    minSamples: count().default(100),
    minLabelledSamples: count(0).default(50),
    maxInconclusiveExtensions: z.number().int().min(0).max(50).default(2),
    warmupDuration: warmupDuration(),
    validationGates: validationGates(),
  })
  .refine((c) => c.bakeWindow === undefined || c.keepBlueDuration === undefined || c.bakeWindow === c.keepBlueDuration, {
    message: 'keepBlueDuration is an older name of bakeWindow; they disagree',
    path: ['keepBlueDuration'],
  })
  .transform(({ strategy: _s, keepBlueDuration, bakeWindow, ...rest }) => ({ ...rest, bakeWindow: bakeWindow ?? keepBlueDuration ?? DEFAULT_BAKE_WINDOW }));
export type BlueGreenConfig = z.output<typeof BlueGreenConfigSchema>;

export const AB_PRIMARY_METRICS = ['accuracy', 'latency'] as const;
export type AbPrimaryMetric = (typeof AB_PRIMARY_METRICS)[number];

export const AbTestConfigSchema = z
  .strictObject({
    strategy: echo('ABTesting'),
    splitRatio: z.number().gt(0).lt(1).default(0.5),
    minimumSamples: count(10).default(1000),
    significanceLevel: z.number().gt(0).max(0.5).default(0.05),
    primaryMetric: z.enum(AB_PRIMARY_METRICS).default('accuracy'),
    duration: isoDuration(1000).default('P7D'),
    lookInterval: isoDuration(1000).default('PT1H'),
    spending: z.enum(['obrien-fleming', 'pocock']).default('obrien-fleming'),
    stickyHeader: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name').default('x-user-id'),
    rollbackThresholds: thresholds(),
    guardrailMinSamples: count().default(100),
    warmupDuration: warmupDuration(),
    validationGates: validationGates(),
    bakeWindow: bakeWindow(),
  })
  .transform(({ strategy: _s, ...rest }) => rest);
export type AbTestConfig = z.output<typeof AbTestConfigSchema>;

export const ShadowConfigSchema = z
  .strictObject({
    strategy: echo('Shadow'),
    shadowPercentage: percentage().default(100),
    comparisonSamples: count().default(1000),
    predictionDifferenceThreshold: z.number().min(0).max(1).default(0.1),
    duration: isoDuration(1000).default('PT1H'),
    checkInterval: isoDuration(1000).default('PT1M'),
    latencyIncrease: z.number().min(1).max(100).nullable().default(1.5),
    errorRateIncrease: z.number().min(0).max(1).nullable().default(0.01),
    warmupDuration: warmupDuration(),
    validationGates: validationGates(),
    bakeWindow: bakeWindow(),
  })
  .transform(({ strategy: _s, ...rest }) => rest);
export type ShadowConfig = z.output<typeof ShadowConfigSchema>;

export const RollingConfigSchema = z
  .strictObject({
    strategy: echo('Rolling'),
    batchSize: count().max(1000).default(1),
    waitDuration: isoDuration().default('PT1M'),
    maxFailures: z.number().int().min(0).max(100).default(1),
    rollbackThresholds: thresholds(),
    minSamples: count().default(50),
    warmupDuration: warmupDuration(),
    validationGates: validationGates(),
    bakeWindow: bakeWindow(),
  })
  .transform(({ strategy: _s, ...rest }) => rest);
export type RollingConfig = z.output<typeof RollingConfigSchema>;

export const STRATEGY_CONFIG_SCHEMAS = {
  Canary: CanaryConfigSchema,
  BlueGreen: BlueGreenConfigSchema,
  ABTesting: AbTestConfigSchema,
  Shadow: ShadowConfigSchema,
  Rolling: RollingConfigSchema,
} as const;

export interface StrategyConfigs {
  Canary: CanaryConfig;
  BlueGreen: BlueGreenConfig;
  ABTesting: AbTestConfig;
  Shadow: ShadowConfig;
  Rolling: RollingConfig;
}

const id = () => z.string().min(1).max(200);
const requestBase = { modelId: id(), versionId: id(), environment: z.enum(ENVIRONMENTS) };

/**
 * POST /api/v1/deployments body (API_REFERENCE "Create Deployment"): the strategy selects the
 * config schema; an omitted strategyConfig takes every default.
 */
export const DeploymentRequestSchema = z.discriminatedUnion('strategy', [
  z.strictObject({ ...requestBase, strategy: z.literal('Canary'), strategyConfig: CanaryConfigSchema.prefault({}) }),
  z.strictObject({ ...requestBase, strategy: z.literal('BlueGreen'), strategyConfig: BlueGreenConfigSchema.prefault({}) }),
  z.strictObject({ ...requestBase, strategy: z.literal('ABTesting'), strategyConfig: AbTestConfigSchema.prefault({}) }),
  z.strictObject({ ...requestBase, strategy: z.literal('Shadow'), strategyConfig: ShadowConfigSchema.prefault({}) }),
  z.strictObject({ ...requestBase, strategy: z.literal('Rolling'), strategyConfig: RollingConfigSchema.prefault({}) }),
]);
export type DeploymentRequest = z.output<typeof DeploymentRequestSchema>;

/** Parses a strategy's config on its own (e.g. for a dry run). Example: parseStrategyConfig('Canary', {}).initialPercentage === 10. */
export function parseStrategyConfig<S extends (typeof DEPLOYMENT_STRATEGIES)[number]>(strategy: S, input: unknown): StrategyConfigs[S] {
  return (STRATEGY_CONFIG_SCHEMAS[strategy] as z.ZodType).parse(input ?? {}) as StrategyConfigs[S];
}
