import { canonicalJson } from '../../domain/routing/canonical-json';
import { normalizeEnvironment } from '../../domain/routing/environments';
import { routingRuleProblems, servedVersionIds, type RoutingRules } from '../../domain/routing/routing-rules';

const pool = (versionId: string, weight: number, role: 'primary' | 'canary' | 'challenger' = 'primary') => ({ versionId, version: versionId, weight, role });
const rules = (over: Partial<RoutingRules> = {}): RoutingRules => ({ pools: [pool('v1', 90), pool('v2', 10, 'canary')], shadow: null, sticky: null, cache: null, ...over });

describe('routingRuleProblems', () => {
  it.each<[string, RoutingRules, string[]]>([
    ['a valid canary split', rules(), []],
    ['shadow, sticky and cache', rules({ shadow: { versionId: 'v3', version: 'v3', percentage: 12.5 }, sticky: { header: 'x-user-id' }, cache: { enabled: true, ttlSeconds: 60, maxEntries: 100 } }), []],
    ['weights not summing to 100', rules({ pools: [pool('v1', 90), pool('v2', 20)] }), ['pools']],
    ['a version in two pools', rules({ pools: [pool('v1', 50), pool('v1', 50)] }), ['pools[1].version']],
    ['an unknown role', rules({ pools: [{ ...pool('v1', 100), role: 'boss' as never }] }), ['pools[0].role']],
    ['shadow over 100%', rules({ shadow: { versionId: 'v3', version: 'v3', percentage: 101 } }), ['shadow.percentage']],
    ['shadow NaN', rules({ shadow: { versionId: 'v3', version: 'v3', percentage: Number.NaN } }), ['shadow.percentage']],
    ['an upper-case sticky header', rules({ sticky: { header: 'X-User-Id' } }), ['sticky.header']],
    ['a sticky header with a space', rules({ sticky: { header: 'x user' } }), ['sticky.header']],
    ['cache bounds', rules({ cache: { enabled: true, ttlSeconds: 0, maxEntries: 2_000_000 } }), ['cache.ttlSeconds', 'cache.maxEntries']],
  ])('%s', (_name, r, fields) => {
    expect(routingRuleProblems(r).map((p) => p.field)).toEqual(fields);
  });
});

describe('servedVersionIds', () => {
  it.each<[string, RoutingRules, string[]]>([
    ['weighted pools', rules(), ['v1', 'v2']],
    ['a zero-weight pool is not served', rules({ pools: [pool('v1', 100), pool('v0', 0)] }), ['v1']],
    ['shadow counts', rules({ shadow: { versionId: 'v3', version: 'v3', percentage: 5 } }), ['v1', 'v2', 'v3']],
    ['a 0% shadow does not', rules({ shadow: { versionId: 'v3', version: 'v3', percentage: 0 } }), ['v1', 'v2']],
    ['shadow already in a pool', rules({ shadow: { versionId: 'v2', version: 'v2', percentage: 5 } }), ['v1', 'v2']],
  ])('%s', (_name, r, ids) => expect(servedVersionIds(r)).toEqual(ids));
});

describe('canonicalJson', () => {
  it.each<[unknown, string]>([
    [{ b: 1, a: { d: [2, 1], c: null } }, '{"a":{"c":null,"d":[2,1]},"b":1}'],
    [{ z: 'x', y: undefined }, '{"z":"x"}'],
    [[{ b: 1, a: 2 }, undefined], '[{"a":2,"b":1},null]'],
    ['text', '"text"'],
    [1.5, '1.5'],
    [true, 'true'],
    [null, 'null'],
    [{}, '{}'],
    [{ 'k"ey': 'v' }, '{"k\\"ey":"v"}'],
  ])('canonicalJson(%j) = %s', (v, s) => expect(canonicalJson(v)).toBe(s));

  it('gives the same text whatever the key order', () => {
    const a = { transaction_amount: 10, merchant_category: 'retail', nested: { x: 1, y: [1, { q: 1, p: 2 }] } };
    const b = { nested: { y: [1, { p: 2, q: 1 }], x: 1 }, merchant_category: 'retail', transaction_amount: 10 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(JSON.parse(canonicalJson(a))).toEqual(a);
  });
});

describe('normalizeEnvironment', () => {
  it.each<[string, string | undefined]>([
    ['Production', 'Production'],
    ['production', 'Production'],
    ['STAGING', 'Staging'],
    ['development', 'Development'],
    ['qa', undefined],
    ['', undefined],
  ])('%j → %s', (name, env) => expect(normalizeEnvironment(name)).toBe(env));
});
