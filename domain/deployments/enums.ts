/** Deployment enumerations (DOMAIN_MODELS "DeploymentStrategy", "DeploymentStatus"; issue 4), as string unions. */

export const DEPLOYMENT_STRATEGIES = ['Canary', 'BlueGreen', 'ABTesting', 'Shadow', 'Rolling'] as const;
export type DeploymentStrategy = (typeof DEPLOYMENT_STRATEGIES)[number];

export const ENVIRONMENTS = ['Development', 'Staging', 'Production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * Pending → Validating → (AwaitingApproval) → Deploying ⇄ Paused → Active, or one of the bad
 * endings Failed, RolledBack, Cancelled. RolledBack means the candidate served user traffic and
 * was withdrawn (also later, by a rollback of the completed deployment); Failed means it was
 * rejected (validation, smoke test, shadow comparison) or the deployment broke; Cancelled means a
 * person or a deadline stopped it. Superseded means a later deployment of the same model and
 * environment took over: it was started during this one's bake window, or it was promoted after
 * this one ended. Active is terminal for the rollout, but an Active deployment may still be in its
 * bake window (phase KeepingPreviousWarm, completedAt null) and take commands.
 */
export const DEPLOYMENT_STATUSES = ['Pending', 'Validating', 'AwaitingApproval', 'Deploying', 'Paused', 'Active', 'Failed', 'RolledBack', 'Cancelled', 'Superseded'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const TERMINAL_STATUSES: readonly DeploymentStatus[] = ['Active', 'Failed', 'RolledBack', 'Cancelled', 'Superseded'];

/** Active, Failed, RolledBack, Cancelled and Superseded end a rollout. Example: isTerminalStatus('Paused') === false. */
export function isTerminalStatus(status: DeploymentStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * Finer-grained than the status: the value of the DeploymentPhase search attribute, so the
 * Temporal Web UI can filter e.g. `DeploymentPhase = "Analysing"`.
 */
export const DEPLOYMENT_PHASES = [
  'Pending',
  'Validating',
  'AwaitingApproval',
  'AwaitingOverride',
  'WarmingUp',
  'SmokeTesting',
  'ShiftingTraffic',
  'Analysing',
  'Experimenting',
  'Shadowing',
  'UpdatingServers',
  'Promoting',
  'KeepingPreviousWarm',
  'Paused',
  'RollingBack',
  'Active',
  'Failed',
  'RolledBack',
  'Cancelled',
  'Superseded',
] as const;
export type DeploymentPhase = (typeof DEPLOYMENT_PHASES)[number];

/** The Temporal search attributes every deployment workflow sets (all Keyword, registered by ops/). */
export const DEPLOYMENT_SEARCH_ATTRIBUTES = ['ModelName', 'ModelVersion', 'DeploymentStrategy', 'Environment', 'DeploymentPhase'] as const;
