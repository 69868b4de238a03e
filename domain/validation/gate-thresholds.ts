/**
 * The validation gates' thresholds (FR-ML-005), one `validationGates` object in every strategy's
 * config. A gate set to null is not checked.
 *
 * | field                 | default | meaning |
 * |-----------------------|---------|---------|
 * | latencyIncrease       | 1.2     | candidate latency (lower quartile) on the model server ≤ reference × this … |
 * | latencyMinIncreaseMs  | 0.5     | … or at most this many ms above it (sub-millisecond models jitter by more than 20 %) |
 * | accuracyTolerance     | 0.05    | relative: holdout accuracy ≥ reference × (1 − this) |
 * | memory                | true    | the candidate's measured memory fits the budget of every server of the pool, next to what they hold |
 * | bias                  | {…}     | only for versions that declare `fairness.sensitiveAttributes` |
 * | bias.maxAccuracyGap   | 0.1     | absolute: best group's accuracy − worst group's |
 * | bias.minPositiveRateRatio | 0.8 | lowest group positive rate / highest (the four-fifths rule) |
 * | bias.minGroupSamples  | 20      | smaller groups are left out (too few rows to judge) |
 * | holdoutSamples        | 500     | labelled holdout rows sent to the candidate (and the stable version) |
 * | latencySamples        | 30      | single-row requests timed per version |
 * | overrideTimeout       | PT1H    | how long a failed gate waits for an Admin override before the deployment fails (PT0S: at once) |
 */
import { z } from 'zod';
import { parseIsoDuration } from '../deployments/iso-duration';

const ratio = () => z.number().min(0).max(1);

export const BiasLimitsSchema = z.strictObject({
  maxAccuracyGap: ratio().default(0.1),
  minPositiveRateRatio: ratio().default(0.8),
  minGroupSamples: z.number().int().min(1).default(20),
});
export type BiasLimits = z.output<typeof BiasLimitsSchema>;

export const ValidationGatesSchema = z.strictObject({
  latencyIncrease: z.number().min(1).max(100).nullable().default(1.2),
  latencyMinIncreaseMs: z.number().min(0).max(60_000).default(0.5),
  accuracyTolerance: ratio().nullable().default(0.05),
  memory: z.boolean().default(true),
  bias: BiasLimitsSchema.nullable().prefault({}),
  holdoutSamples: z.number().int().min(1).max(5000).default(500),
  latencySamples: z.number().int().min(1).max(1000).default(30),
  overrideTimeout: z
    .string()
    .refine((s) => parseIsoDuration(s) !== null, 'must be an ISO-8601 duration such as PT1H (no years or months)')
    .default('PT1H'),
});
export type ValidationGates = z.output<typeof ValidationGatesSchema>;

/** Every default: what a deployment started before the gates existed, or without the field, uses. */
export const DEFAULT_VALIDATION_GATES: ValidationGates = ValidationGatesSchema.parse({});
