import { can, permissionsOf, PERMISSIONS, ROLES, type Permission, type Role } from '../../domain/permissions';

/**
 * The permission matrix written out independently from the spec (SPECIFICATION "Security
 * Requirements" → Authorization, and the "Authorization:" lines of API_REFERENCE), so a slip in
 * domain/permissions.ts shows up as a failing cell rather than being copied into the test.
 *
 * A = Admin, D = DataScientist, M = MLEngineer, P = Application.
 */
const EXPECTED: Record<Permission, string> = {
  'models:read': 'ADMP', // API_REFERENCE List Models: "All roles"
  'models:write': 'ADM', // Register Model: DataScientist, MLEngineer, Admin
  'models:delete': 'A', // spec: Admin — "delete models"
  'deployments:read': 'ADM', // Application: "run inference only"
  'deployments:create:nonprod': 'ADM', // spec: Data Scientist — "create deployments (non-prod)"
  'deployments:create:prod': 'AM', // spec: ML Engineer — "deploy to production (with approval)"
  'deployments:approve': 'A', // governance: "production deployments require admin approval"
  'deployments:control': 'AM', // Rollback Deployment: MLEngineer, Admin
  'inference:run': 'ADMP', // Run Inference: "All roles (with API key)"
  'inference:feedback': 'ADMP', // ground truth comes from whoever runs inference
  'routes:write': 'A', // a manual routing change would bypass the approval gate
  'servers:read': 'ADM', // ML Engineer manages infrastructure; data scientists see where models run
  'metrics:read': 'ADM',
  'audit:read': 'AM', // audit of approvals: admins and the engineers who request them
  'users:manage': 'A',
  'apikeys:manage': 'A',
};

const LETTER: Record<Role, string> = { Admin: 'A', DataScientist: 'D', MLEngineer: 'M', Application: 'P' };

const cells = ROLES.flatMap((role) => PERMISSIONS.map((permission) => ({ role, permission, allowed: EXPECTED[permission].includes(LETTER[role]) })));

describe('permission matrix', () => {
  it('covers every permission in the table', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...PERMISSIONS].sort());
  });

  it.each(cells)('$role × $permission → $allowed', ({ role, permission, allowed }) => {
    expect(can(role, permission)).toBe(allowed);
  });

  it.each(ROLES)('permissionsOf(%s) lists exactly the allowed permissions', (role) => {
    const expected = PERMISSIONS.filter((p) => EXPECTED[p].includes(LETTER[role]));
    expect([...permissionsOf(role)].sort()).toEqual([...expected].sort());
  });

  it('gives Admin everything and Application nothing beyond reading models and inference', () => {
    expect(PERMISSIONS.every((p) => can('Admin', p))).toBe(true);
    expect([...permissionsOf('Application')].sort()).toEqual(['inference:feedback', 'inference:run', 'models:read']);
  });
});
