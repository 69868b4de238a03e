import { startTestApi, type TestApi } from '../helpers/api-harness';
import { ROLES, can } from '../../domain/permissions';

/**
 * The full role × route matrix: every protected route in the catalogue is called by every
 * role; a role without the route's permission gets 403, a role with it never does, and a
 * caller without credentials always gets 401.
 */
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({ RATE_LIMIT_REGISTER_PER_MIN: '1000', RATE_LIMIT_DEPLOY_PER_MIN: '1000' });
});
afterAll(() => t.close());

const concrete = (path: string) => path.replace(/:([A-Za-z]+)/g, (_m, name: string) => `no-such-${name.toLowerCase()}`);

it('catalogues the registry, auth and user routes', () => {
  const paths = t.api.catalogue.routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
  expect(paths).toEqual(expect.arrayContaining(['POST /api/v1/models', 'GET /api/v1/models', 'DELETE /api/v1/models/:id', 'POST /api/v1/models/:id/versions']));
  expect(paths.length).toBeGreaterThanOrEqual(12);
});

it('enforces the permission of every route for every role', async () => {
  const tokens = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await t.tokenFor(r)] as const)));
  const failures: string[] = [];
  for (const route of t.api.catalogue.routes) {
    const path = concrete(route.path);
    const body = route.method === 'get' ? undefined : {};
    const anonymous = await t.call(route.method.toUpperCase(), path, { body });
    if (anonymous.status !== 401) failures.push(`anonymous ${route.method} ${path} → ${anonymous.status}`);
    for (const role of ROLES) {
      const res = await t.call(route.method.toUpperCase(), path, { token: tokens[role], body });
      const allowed = can(role, route.permission);
      if (allowed && (res.status === 403 || res.status === 401)) failures.push(`${role} ${route.method} ${path} → ${res.status}, expected access`);
      if (!allowed && res.status !== 403) failures.push(`${role} ${route.method} ${path} → ${res.status}, expected 403`);
      if (!allowed) expect(res.body.error.code).toBe('FORBIDDEN');
    }
  }
  expect(failures).toEqual([]);
});
