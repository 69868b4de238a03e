import { AppError } from '../../domain/errors';
import type { ModelCatalog } from '../../api/gateway/model-catalog';
import { compileRoute, selectTarget, type RouteTables } from '../../api/gateway/route-tables';
import { TargetResolver } from '../../api/gateway/target-resolver';
import type { RoutingTableDoc } from '../../infra/mongo/routing-repository';

const doc = (over: Partial<RoutingTableDoc> = {}): RoutingTableDoc => ({
  _id: 'm1:Production',
  schemaVersion: 1,
  modelId: 'm1',
  modelName: 'fraud-detection',
  environment: 'Production',
  revision: 3,
  pools: [
    { versionId: 'id-1', version: '1.0.0', weight: 90, role: 'primary' },
    { versionId: 'id-2', version: '2.0.0', weight: 10, role: 'canary' },
  ],
  shadow: null,
  sticky: null,
  cache: null,
  updatedAt: new Date(0),
  ...over,
});

describe('compileRoute', () => {
  it('precomputes targets, paths and cumulative weights', () => {
    const r = compileRoute(doc());
    expect(r.cumulative).toEqual([90, 100]);
    expect(r.targets.map((t) => [t.version, t.role])).toEqual([['1.0.0', 'primary'], ['2.0.0', 'canary']]);
    expect(r.targets[0].predictPath).toBe('/v1/models/fraud-detection/versions/1.0.0/predict');
    expect(r.targets[0].batchPath).toBe('/v1/models/fraud-detection/versions/1.0.0/predict/batch');
    expect(r.targets[0].v2Path).toBe('/v2/models/fraud-detection/versions/1.0.0');
    expect(r.shadow).toBeNull();
    expect(r.cache).toBeNull();
  });

  it('reads a pool without a role (older documents) as primary, and encodes path segments', () => {
    const r = compileRoute(doc({ modelName: 'a b', pools: [{ versionId: 'x', version: '1.0.0+build/1', weight: 100 }] }));
    expect(r.targets[0].role).toBe('primary');
    expect(r.targets[0].predictPath).toBe('/v1/models/a%20b/versions/1.0.0%2Bbuild%2F1/predict');
  });

  it('builds a shadow target with role shadow; a 0% shadow is none', () => {
    expect(compileRoute(doc({ shadow: { versionId: 'id-3', version: '3.0.0', percentage: 25 } })).shadow).toMatchObject({ percentage: 25, target: { version: '3.0.0', role: 'shadow' } });
    expect(compileRoute(doc({ shadow: { versionId: 'id-3', version: '3.0.0', percentage: 0 } })).shadow).toBeNull();
  });

  it('keeps the prediction cache across revisions when its settings are unchanged', () => {
    const cache = { enabled: true, ttlSeconds: 60, maxEntries: 10 };
    const r1 = compileRoute(doc({ cache }));
    r1.cache!.set('k', { prediction: 1, confidence: 1 }, 0);
    const r2 = compileRoute(doc({ cache, revision: 4 }), r1);
    expect(r2.cache).toBe(r1.cache);
    const r3 = compileRoute(doc({ cache: { ...cache, ttlSeconds: 5 }, revision: 5 }), r2);
    expect(r3.cache).not.toBe(r1.cache);
    expect(compileRoute(doc({ cache: { ...cache, enabled: false }, revision: 6 }), r3).cache).toBeNull();
  });
});

describe('selectTarget', () => {
  const r = compileRoute(doc());
  it.each<[number, string]>([
    [0, '1.0.0'],
    [0.8999, '1.0.0'],
    [0.9, '2.0.0'],
    [0.9999, '2.0.0'],
  ])('random draw %d → %s', (u, version) => expect(selectTarget(r, undefined, () => u).version).toBe(version));

  it('a sticky key gets the same version every time, whatever the random draw', () => {
    const sticky = compileRoute(doc({ sticky: { header: 'x-user-id' } }));
    for (let i = 0; i < 200; i++) {
      const key = `user-${i}`;
      const first = selectTarget(sticky, key, () => 0).version;
      for (const u of [0.1, 0.5, 0.95]) expect(selectTarget(sticky, key, () => u).version).toBe(first);
    }
  });

  it('sticky keys split in proportion to the weights (binomial tolerance)', () => {
    let v2 = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if (selectTarget(r, `customer-${i}`).version === '2.0.0') v2++;
    const sd = Math.sqrt(n * 0.1 * 0.9);
    expect(Math.abs(v2 - n * 0.1)).toBeLessThan(5 * sd);
  });

  it('stays stable for a key while the weights stay; a new weight moves only keys in changed buckets', () => {
    const before = compileRoute(doc({ pools: [{ versionId: 'a', version: 'A', weight: 50, role: 'primary' }, { versionId: 'b', version: 'B', weight: 50, role: 'challenger' }] }));
    const after = compileRoute(doc({ pools: [{ versionId: 'a', version: 'A', weight: 60, role: 'primary' }, { versionId: 'b', version: 'B', weight: 40, role: 'challenger' }] }));
    for (let i = 0; i < 1000; i++) {
      const key = `k${i}`;
      // Growing A's share only moves keys from B to A, never from A to B.
      if (selectTarget(before, key).version === 'A') expect(selectTarget(after, key).version).toBe('A');
    }
  });
});

describe('TargetResolver.rerouteAfter (a request whose version was unloaded under it)', () => {
  const unavailable = new AppError('SERVICE_UNAVAILABLE', 'no server has it');
  const resolverFor = (route: ReturnType<typeof compileRoute> | undefined) =>
    new TargetResolver({ get: () => route } as unknown as RouteTables, { model: async () => null, target: async () => null } as unknown as ModelCatalog);
  const now = compileRoute(doc({ pools: [{ versionId: 'id-2', version: '2.0.0', weight: 100, role: 'primary' }] }));
  const old = compileRoute(doc()).targets[0];
  const noHeader = () => undefined;

  it('sends an unpinned request to the version the table picks now', () => {
    expect(resolverFor(now).rerouteAfter(unavailable, old, 'fraud-detection', 'Production', undefined, noHeader)?.target).toMatchObject({ versionId: 'id-2', version: '2.0.0' });
  });

  it('never moves a pinned request, nor one that failed otherwise, nor one the table still sends to the failed version', () => {
    expect(resolverFor(now).rerouteAfter(unavailable, old, 'fraud-detection', 'Production', '1.0.0', noHeader)).toBeUndefined();
    expect(resolverFor(now).rerouteAfter(new AppError('INTERNAL_ERROR', 'boom'), old, 'fraud-detection', 'Production', undefined, noHeader)).toBeUndefined();
    expect(resolverFor(now).rerouteAfter(new Error('socket hang up'), old, 'fraud-detection', 'Production', undefined, noHeader)).toBeUndefined();
    expect(resolverFor(now).rerouteAfter(unavailable, now.targets[0], 'fraud-detection', 'Production', undefined, noHeader)).toBeUndefined();
    expect(resolverFor(undefined).rerouteAfter(unavailable, old, 'fraud-detection', 'Production', undefined, noHeader)).toBeUndefined();
  });
});
