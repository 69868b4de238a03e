/**
 * Typed search attribute keys (all Keyword, registered on the dev server by ops/), so the Web UI
 * can filter: `DeploymentPhase = "Analysing" AND Environment = "Production"`.
 * Why @temporalio/common: the typed keys of SDK 1.24 live there (it is @temporalio/workflow's own
 * dependency and deterministic).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ModelNameKey = defineSearchAttributeKey('ModelName', SearchAttributeType.KEYWORD);
export const ModelVersionKey = defineSearchAttributeKey('ModelVersion', SearchAttributeType.KEYWORD);
export const DeploymentStrategyKey = defineSearchAttributeKey('DeploymentStrategy', SearchAttributeType.KEYWORD);
export const EnvironmentKey = defineSearchAttributeKey('Environment', SearchAttributeType.KEYWORD);
export const DeploymentPhaseKey = defineSearchAttributeKey('DeploymentPhase', SearchAttributeType.KEYWORD);
