/**
 * What the API passes when it starts a deployment workflow (workflow id = one per model and
 * environment, so a second deployment of the same pair is refused by Temporal). The strategy
 * config is already parsed by DeploymentRequestSchema, defaults applied: workflows do not run zod.
 */
import type { DeploymentStrategy, Environment } from '../domain/deployments/enums';
import type { AbTestConfig, BlueGreenConfig, CanaryConfig, RollingConfig, ShadowConfig } from '../domain/deployments/strategy-config-schemas';
import type { SequentialState } from '../domain/statistics/sequential';
import type { RunSnapshot } from './deployment-run';

export interface DeploymentInputBase {
  deploymentId: string;
  modelId: string;
  versionId: string;
  /** The model's name and the version string, as the API resolved them (the first projection shows them before the workflow resolves its targets). */
  modelName?: string;
  version?: string;
  environment: Environment;
  /** User id of the person who started it (approvers must be someone else). */
  initiatedBy: string;
  /** The deployment in its bake window that gave way to this one (supersede), for the history. */
  supersedes?: string;
  /** Production approval. Defaults: required when environment is Production; deadline P1D. */
  approval?: { required?: boolean; timeout?: string };
}

export interface CanaryDeploymentInput extends DeploymentInputBase {
  strategy: 'Canary';
  config: CanaryConfig;
}

export interface BlueGreenDeploymentInput extends DeploymentInputBase {
  strategy: 'BlueGreen';
  config: BlueGreenConfig;
}

/** A/B state carried across continue-as-new. */
export interface AbCarryOver {
  run: RunSnapshot;
  startedAt: number;
  deadline: number;
  sequential: SequentialState;
  looks: number;
}

export interface AbTestDeploymentInput extends DeploymentInputBase {
  strategy: 'ABTesting';
  config: AbTestConfig;
  /** Set by the workflow itself when it continues as new. */
  carryOver?: AbCarryOver;
  /** Continue as new after this many looks in one run (default 100; Temporal's own suggestion also triggers it). */
  continueAsNewAfterLooks?: number;
}

export interface ShadowDeploymentInput extends DeploymentInputBase {
  strategy: 'Shadow';
  config: ShadowConfig;
}

export interface RollingDeploymentInput extends DeploymentInputBase {
  strategy: 'Rolling';
  config: RollingConfig;
}

export type DeploymentInput = CanaryDeploymentInput | BlueGreenDeploymentInput | AbTestDeploymentInput | ShadowDeploymentInput | RollingDeploymentInput;

export type { DeploymentStrategy };

export const DEFAULT_APPROVAL_TIMEOUT = 'P1D';
