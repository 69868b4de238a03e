/**
 * Roles and the spec's permission matrix (SPECIFICATION "Authorization"):
 * Admin — everything; DataScientist — register models, deploy outside Production, run
 * inference; MLEngineer — deploy to Production (approval still needed), operate deployments
 * and infrastructure; Application — run inference (and report ground truth) only.
 * Every route names one permission; api/http/authorize.ts enforces it.
 */
export const ROLES = ['Admin', 'DataScientist', 'MLEngineer', 'Application'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'models:read',
  'models:write',
  'models:delete',
  'deployments:read',
  'deployments:create:nonprod',
  'deployments:create:prod',
  'deployments:approve',
  'deployments:control',
  'inference:run',
  'inference:feedback',
  'routes:write',
  'servers:read',
  'metrics:read',
  'audit:read',
  'users:manage',
  'apikeys:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const MATRIX: Record<Role, readonly Permission[]> = {
  Admin: PERMISSIONS,
  DataScientist: ['models:read', 'models:write', 'deployments:read', 'deployments:create:nonprod', 'inference:run', 'inference:feedback', 'servers:read', 'metrics:read'],
  MLEngineer: ['models:read', 'models:write', 'deployments:read', 'deployments:create:nonprod', 'deployments:create:prod', 'deployments:control', 'inference:run', 'inference:feedback', 'servers:read', 'metrics:read', 'audit:read'],
  Application: ['models:read', 'inference:run', 'inference:feedback'],
};

/** True when `role` holds `permission`. Example: can('DataScientist', 'models:delete') === false. */
export function can(role: Role, permission: Permission): boolean {
  return MATRIX[role].includes(permission);
}

export function permissionsOf(role: Role): readonly Permission[] {
  return MATRIX[role];
}

/** Who is calling: a user (password login or external OIDC token) or an application's API key. */
export interface Principal {
  id: string;
  username: string;
  role: Role;
  via: 'password' | 'oidc' | 'api-key';
  /** An API key's own inference limit; absent: the default for its kind (api/auth/inference-limiter.ts). */
  inferenceRateLimitPerMin?: number;
}
