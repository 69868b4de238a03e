import { desiredState, type DesiredStateInput, type RoutedTable, type ServingHold } from '../../domain/serving/desired-state';
import { DEFAULT_PLACEMENT, parsePlacement, type PlacementMap } from '../../domain/serving/placement';

const table = (environment: RoutedTable['environment'], pools: [string, number][], shadow: [string, number] | null = null): RoutedTable => ({
  modelId: 'm1',
  modelName: 'fraud-detection',
  environment,
  pools: pools.map(([versionId, weight]) => ({ versionId, weight })),
  shadow: shadow ? { versionId: shadow[0], percentage: shadow[1] } : null,
});
const hold = (versionId: string, server: string, kind: ServingHold['kind'], holder = 'd1'): ServingHold => ({ holder, modelId: 'm1', modelName: 'fraud-detection', versionId, server, kind });

function input(over: Partial<DesiredStateInput> = {}): DesiredStateInput {
  return {
    server: { id: 's1', pool: 'default' },
    servers: [{ id: 's1', pool: 'default' }, { id: 's2', pool: 'default' }],
    tables: [],
    running: [],
    holds: [],
    placement: DEFAULT_PLACEMENT,
    ...over,
  };
}
const loads = (i: DesiredStateInput) => [...desiredState(i).load.keys()].sort();

it('wants every version a table sends traffic to (pools above 0 %, a shadow above 0 %)', () => {
  const i = input({ tables: [table('Production', [['v1', 90], ['v2', 10], ['v0', 0]], ['v3', 5]), table('Staging', [['v4', 100]], ['v5', 0])] });
  expect(loads(i)).toEqual(['v1', 'v2', 'v3', 'v4']);
  expect(desiredState(i).load.get('v1')!.reasons).toEqual(['routed in Production']);
});

it('wants a routed version on a server missing from the live list (itself, before its first heartbeat)', () => {
  expect(loads(input({ servers: [], tables: [table('Production', [['v1', 100]])] }))).toEqual(['v1']);
});

it('serves only the environments mapped to its pool, on the servers placement picks', () => {
  const placement = (parsePlacement('Production=prod:1') as { placement: PlacementMap }).placement;
  const servers = [{ id: 'p1', pool: 'prod' }, { id: 'p2', pool: 'prod' }, { id: 's1', pool: 'default' }];
  const tables = [table('Production', [['v1', 100]]), table('Staging', [['v2', 100]])];
  expect(loads(input({ server: { id: 's1', pool: 'default' }, servers, tables, placement }))).toEqual(['v2']);
  const onP1 = loads(input({ server: { id: 'p1', pool: 'prod' }, servers, tables, placement }));
  const onP2 = loads(input({ server: { id: 'p2', pool: 'prod' }, servers, tables, placement }));
  // One replica: exactly one of the two prod servers holds v1, and neither holds Staging's v2.
  expect([...onP1, ...onP2]).toEqual(['v1']);
});

it('keeps the previous version of a running deployment warm (its bake window), and protects its candidate', () => {
  const i = input({
    tables: [table('Production', [['v2', 100]])],
    running: [{ deploymentId: 'd1', modelId: 'm1', modelName: 'fraud-detection', environment: 'Production', candidateVersionId: 'v2', stableVersionId: 'v1' }],
    holds: [hold('v2', 's1', 'keep')],
  });
  const d = desiredState(i);
  expect([...d.load.keys()].sort()).toEqual(['v1', 'v2']);
  expect(d.load.get('v1')!.reasons).toEqual(['kept warm by deployment d1']);
  expect(d.load.get('v2')!.reasons).toEqual(['held by d1']);
  expect([...d.protect].sort()).toEqual(['v1', 'v2']);
});

it('wants what a deployment warmed on this server, not on another', () => {
  expect(loads(input({ holds: [hold('v2', 's1', 'keep'), hold('v3', 's2', 'keep')] }))).toEqual(['v2']);
});

it('a "*" keep hold applies on the pool of its environment only', () => {
  const placement = (parsePlacement('Production=prod') as { placement: PlacementMap }).placement;
  const h = { ...hold('v2', '*', 'keep'), environment: 'Production' as const };
  expect(loads(input({ holds: [h], placement }))).toEqual([]);
  expect(loads(input({ server: { id: 'p1', pool: 'prod' }, holds: [h], placement }))).toEqual(['v2']);
});

it('an exclusion wins on its server: a rolling update unloaded the routed stable version there on purpose', () => {
  const i = input({
    tables: [table('Production', [['v1', 50], ['v2', 50]])],
    running: [{ deploymentId: 'd1', modelId: 'm1', modelName: 'fraud-detection', environment: 'Production', candidateVersionId: 'v2', stableVersionId: 'v1' }],
    holds: [hold('v1', 's1', 'exclude'), hold('v2', 's1', 'keep')],
  });
  expect(loads(i)).toEqual(['v2']);
  expect(loads({ ...i, server: { id: 's2', pool: 'default' } })).toEqual(['v1']);
  expect(loads({ ...i, holds: [hold('v1', '*', 'exclude'), hold('v2', 's1', 'keep')] })).toEqual(['v2']);
});

it('a running deployment\'s routed candidate is where it warmed it, not everywhere (a rolling update\'s batch)', () => {
  const i = input({
    tables: [table('Production', [['v1', 50], ['v2', 50]]), table('Staging', [['v2', 100]])],
    running: [{ deploymentId: 'd1', modelId: 'm1', modelName: 'fraud-detection', environment: 'Production', candidateVersionId: 'v2', stableVersionId: 'v1' }],
    holds: [hold('v2', 's1', 'keep'), hold('v1', 's1', 'exclude')],
  });
  expect(loads(i)).toEqual(['v2']);
  // s2 has not been updated yet: it keeps v1 only, although Production routes v2 — and Staging, which no deployment manages, wants v2 there.
  expect(loads({ ...i, server: { id: 's2', pool: 'default' }, tables: [i.tables[0]] })).toEqual(['v1']);
  expect(loads({ ...i, server: { id: 's2', pool: 'default' } })).toEqual(['v1', 'v2']);
});
