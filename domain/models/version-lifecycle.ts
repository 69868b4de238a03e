import type { VersionStatus } from './enums';

/**
 * The version status lifecycle (DOMAIN_MODELS ModelVersionStatus):
 *
 *   Registered → Validating → Validated → Approved → Deployed → Deprecated → Archived
 *
 * Validation may fail back to Registered; a Deployed version that is retired becomes
 * Deprecated and can be deployed again (rollback target); anything but Deployed can be
 * Archived. Example: canTransition('Validated', 'Approved') === true,
 * canTransition('Registered', 'Deployed') === false.
 */
const NEXT: Record<VersionStatus, readonly VersionStatus[]> = {
  Registered: ['Validating', 'Archived'],
  Validating: ['Validated', 'Registered', 'Archived'],
  Validated: ['Approved', 'Deployed', 'Archived'],
  Approved: ['Deployed', 'Archived'],
  Deployed: ['Deprecated'],
  Deprecated: ['Deployed', 'Archived'],
  Archived: [],
};

export function canTransition(from: VersionStatus, to: VersionStatus): boolean {
  return NEXT[from].includes(to);
}

export function allowedTransitions(from: VersionStatus): readonly VersionStatus[] {
  return NEXT[from];
}
