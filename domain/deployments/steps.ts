/**
 * A deployment is a plan of steps, argo-rollouts style: each step is exactly one kind. The
 * planners are pure; the workflows walk the plan, and the status shows progress through it.
 */
import type { AbTestConfig, BlueGreenConfig, CanaryConfig, RollingConfig, ShadowConfig } from './strategy-config-schemas';
import { durationMs, formatIsoDuration } from './iso-duration';

export type DeploymentStep =
  /** Validation gates: artifact integrity, the model loads, schemas match. */
  | { kind: 'validate' }
  /** Wait for an Admin's approve/reject (Production), until the approval deadline. */
  | { kind: 'approval' }
  /** Load the candidate on every target server and wait until each reports it ready. */
  | { kind: 'warmUp' }
  /** Route `weight`% of traffic to the candidate, the rest to stable; done when every gateway confirms. */
  | { kind: 'setWeight'; weight: number }
  /** Watch a metric window of `durationMs`, then assess it (the last analysis before promotion is `final`). */
  | { kind: 'analysis'; durationMs: number; final: boolean }
  /** Run labelled samples against the candidate before it gets traffic. */
  | { kind: 'smokeTest'; samples: number }
  /** Mirror `percentage`% of requests to the candidate (shadow); users only see stable's answers. */
  | { kind: 'mirror'; percentage: number }
  /** Collect shadow comparisons until `samples` or `durationMs`, reading every `checkIntervalMs`. */
  | { kind: 'compare'; samples: number; durationMs: number; checkIntervalMs: number }
  /** A/B test with repeated looks every `lookIntervalMs`, for at most `durationMs`. */
  | { kind: 'experiment'; durationMs: number; lookIntervalMs: number }
  /** Rolling: move these servers from stable to the candidate. */
  | { kind: 'updateBatch'; batch: number; servers: string[] }
  /** Route 100% to the candidate and make it the active version. */
  | { kind: 'promote' }
  /** The bake window: a timed wait after promotion in which the previous version stays warm and commands still apply. */
  | { kind: 'pause'; durationMs: number; purpose: 'keepPreviousWarm' }
  /** Rolling: load the previous version again on the servers the batches took it from, so the bake keeps it warm. */
  | { kind: 'rewarmPrevious' }
  /** Unload the previous version and mark it Deprecated. */
  | { kind: 'retirePrevious' };

export type StepKind = DeploymentStep['kind'];

export interface PlanContext {
  /** Whether a stable version serves the (model, environment) now; a first deployment has none. */
  hasStable: boolean;
  approvalRequired: boolean;
}

function gates(ctx: PlanContext): DeploymentStep[] {
  return ctx.approvalRequired ? [{ kind: 'validate' }, { kind: 'approval' }] : [{ kind: 'validate' }];
}

/** Strategy configs as workflows receive them: inputs recorded before bake windows have no bakeWindow (blue-green had keepBlueDuration). */
type BakeFields = { bakeWindow?: string; keepBlueDuration?: string };

/**
 * The bake window of a config in ms: bakeWindow, or blue-green's older keepBlueDuration; 0 when
 * neither is set (runs started before bake windows existed keep their recorded plans on replay).
 * Example: bakeWindowMs({bakeWindow: 'PT30M'}) === 1_800_000; bakeWindowMs({}) === 0.
 */
export function bakeWindowMs(config: BakeFields): number {
  const text = config.bakeWindow ?? config.keepBlueDuration;
  return text === undefined ? 0 : durationMs(text);
}

/**
 * What follows promotion when a previous version served: the bake window (the previous version
 * kept warm; omitted when it is 0), then its retirement. Rolling updates unloaded it batch by
 * batch, so they load it again first (`rewarm`). Blue-green's legacy keepBlueDuration always had
 * its pause step, even at 0, and keeps it.
 * Example: afterPromotion({bakeWindow: 'PT10M'}, {hasStable: true, …}) → [pause 10m, retirePrevious].
 */
export function afterPromotion(config: BakeFields, ctx: PlanContext, rewarm = false): DeploymentStep[] {
  if (!ctx.hasStable) return [];
  const ms = bakeWindowMs(config);
  const bake: DeploymentStep[] = ms > 0 || config.keepBlueDuration !== undefined ? [{ kind: 'pause', durationMs: ms, purpose: 'keepPreviousWarm' }] : [];
  return [...(rewarm && bake.length > 0 ? [{ kind: 'rewarmPrevious' } as const] : []), ...bake, { kind: 'retirePrevious' }];
}

/**
 * Candidate weights of a canary: initial, then + incrementStep until 100 (the last step is
 * promotion). Example: canaryWeights(10, 15) → [10, 25, 40, 55, 70, 85]; canaryWeights(10, 40) → [10, 50, 90].
 */
export function canaryWeights(initialPercentage: number, incrementStep: number): number[] {
  const weights: number[] = [];
  for (let w = initialPercentage; w < 100; w += incrementStep) weights.push(w);
  return weights;
}

/**
 * Canary: validate, (approve), warm up, then setWeight + analysis per step, promote, bake, retire the old version.
 * Example (initial 10, step 40, PT5M, bake PT30M, stable exists, no approval):
 *   validate, warmUp, setWeight 10, analysis 5m, setWeight 50, analysis 5m, setWeight 90,
 *   analysis 5m (final), promote, pause 30m (keepPreviousWarm), retirePrevious.
 * A first deployment (no stable) has nothing to compare against: validate, warmUp, promote.
 */
export function planCanary(config: CanaryConfig, ctx: PlanContext): DeploymentStep[] {
  if (!ctx.hasStable) return [...gates(ctx), { kind: 'warmUp' }, { kind: 'promote' }];
  const window = durationMs(config.monitoringDuration);
  const weights = canaryWeights(config.initialPercentage, config.incrementStep);
  const middle = weights.flatMap((weight, i): DeploymentStep[] => [
    { kind: 'setWeight', weight },
    { kind: 'analysis', durationMs: window, final: i === weights.length - 1 },
  ]);
  return [...gates(ctx), { kind: 'warmUp' }, ...middle, { kind: 'promote' }, ...afterPromotion(config, ctx)];
}

/**
 * Blue-green: warm green everywhere, smoke test, switch 100% at once, watch a post-switch window,
 * make green active, keep blue warm for the bake window, then retire blue.
 */
export function planBlueGreen(config: BlueGreenConfig, ctx: PlanContext): DeploymentStep[] {
  const head: DeploymentStep[] = [...gates(ctx), { kind: 'warmUp' }, { kind: 'smokeTest', samples: config.smokeTestSamples }];
  if (!ctx.hasStable) return [...head, { kind: 'promote' }];
  return [
    ...head,
    { kind: 'setWeight', weight: 100 },
    { kind: 'analysis', durationMs: durationMs(config.monitoringDuration), final: true },
    { kind: 'promote' },
    ...afterPromotion(config, ctx),
  ];
}

/** A/B test: split traffic, run the sequential test, promote the winner (or keep control: a rollback). */
export function planAbTest(config: AbTestConfig, ctx: PlanContext, candidateWeight: number): DeploymentStep[] {
  return [
    ...gates(ctx),
    { kind: 'warmUp' },
    { kind: 'setWeight', weight: candidateWeight },
    { kind: 'experiment', durationMs: durationMs(config.duration), lookIntervalMs: durationMs(config.lookInterval) },
    { kind: 'promote' },
    // A/B and shadow need a stable version (their precondition): the bake follows promotion.
    ...afterPromotion(config, { ...ctx, hasStable: true }),
  ];
}

/** Shadow: mirror traffic to the candidate, compare, then switch at once (promote) or reject. */
export function planShadow(config: ShadowConfig, ctx: PlanContext): DeploymentStep[] {
  return [
    ...gates(ctx),
    { kind: 'warmUp' },
    { kind: 'mirror', percentage: config.shadowPercentage },
    { kind: 'compare', samples: config.comparisonSamples, durationMs: durationMs(config.duration), checkIntervalMs: durationMs(config.checkInterval) },
    { kind: 'promote' },
    ...afterPromotion(config, { ...ctx, hasStable: true }),
  ];
}

/**
 * Servers in batches of batchSize, in the given order. Example: rollingBatches(['a','b','c'], 2) → [['a','b'], ['c']].
 */
export function rollingBatches(servers: readonly string[], batchSize: number): string[][] {
  const batches: string[][] = [];
  for (let i = 0; i < servers.length; i += batchSize) batches.push(servers.slice(i, i + batchSize));
  return batches;
}

/** Rolling: update batchSize servers at a time (each batch is loaded, switched, watched), then promote, reload the previous version for the bake, retire it. */
export function planRolling(config: RollingConfig, ctx: PlanContext, servers: readonly string[]): DeploymentStep[] {
  const batches = rollingBatches(servers, config.batchSize).map((s, i): DeploymentStep => ({ kind: 'updateBatch', batch: i + 1, servers: s }));
  return [...gates(ctx), ...batches, { kind: 'promote' }, ...afterPromotion(config, ctx, true)];
}

/** Steps a promote command skips: waits and measurements. Safety gates, batches and promotion itself still run. */
export function isSkippedOnPromote(step: DeploymentStep): boolean {
  return ['setWeight', 'analysis', 'pause', 'rewarmPrevious', 'experiment', 'compare', 'mirror'].includes(step.kind);
}

/**
 * Progress through a plan: completed steps over all steps, as an integer 0..100.
 * Example: progressPercentage(3, 10) === 30; progressPercentage(10, 10) === 100.
 */
export function progressPercentage(completedSteps: number, totalSteps: number): number {
  if (totalSteps <= 0) return 0;
  return Math.max(0, Math.min(100, Math.round((100 * completedSteps) / totalSteps)));
}

/** A short human label for history and status. Example: describeStep({kind: 'setWeight', weight: 25}) === 'setWeight 25%'. */
export function describeStep(step: DeploymentStep): string {
  switch (step.kind) {
    case 'setWeight':
      return `setWeight ${step.weight}%`;
    case 'analysis':
      return `analysis ${formatIsoDuration(step.durationMs)}${step.final ? ' (final)' : ''}`;
    case 'smokeTest':
      return `smokeTest ${step.samples} samples`;
    case 'mirror':
      return `mirror ${step.percentage}%`;
    case 'compare':
      return `compare ${step.samples} samples`;
    case 'experiment':
      return `experiment up to ${formatIsoDuration(step.durationMs)}`;
    case 'updateBatch':
      return `updateBatch ${step.batch} [${step.servers.join(', ')}]`;
    case 'pause':
      return `pause ${formatIsoDuration(step.durationMs)} (${step.purpose})`;
    default:
      return step.kind;
  }
}
