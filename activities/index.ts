import { createRegistryActivities, type RegistryActivityDeps } from './registry-activities';

export type ActivityDeps = RegistryActivityDeps;

/** Every activity the worker registers, built once from injected adapters. */
export function createActivities(deps: ActivityDeps) {
  return { ...createRegistryActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
