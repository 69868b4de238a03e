import { canTransition, allowedTransitions } from '../../domain/models/version-lifecycle';
import { VERSION_STATUSES } from '../../domain/models/enums';

// The lifecycle written out independently of the implementation: [from, to, allowed].
const ALLOWED = new Set([
  'Registered>Validating', 'Registered>Archived',
  'Validating>Validated', 'Validating>Registered', 'Validating>Archived',
  'Validated>Approved', 'Validated>Deployed', 'Validated>Archived',
  'Approved>Deployed', 'Approved>Archived',
  'Deployed>Deprecated',
  'Deprecated>Deployed', 'Deprecated>Archived',
]);

const rows = VERSION_STATUSES.flatMap((from) => VERSION_STATUSES.map((to) => [from, to, ALLOWED.has(`${from}>${to}`)] as const));

it.each(rows)('%s → %s allowed: %s', (from, to, allowed) => {
  expect(canTransition(from, to)).toBe(allowed);
});

it('Archived is terminal', () => {
  expect(allowedTransitions('Archived')).toEqual([]);
});
