import { DEFAULT_PLACEMENT, parsePlacement, placeVersion } from '../../domain/serving/placement';
import { estimateVersionBytes } from '../../domain/serving/memory';
import { defaultServerId } from '../../model-server/server-id';
import { cgroupMemoryLimit, memoryBudgetBytes } from '../../model-server/memory-budget';

describe('placeVersion (rendezvous hashing over a pool)', () => {
  const pool = ['s1', 's2', 's3', 's4', 's5'];

  it('places on every server when replicas is 0 or at least the pool size', () => {
    expect(placeVersion('v1', ['s2', 's1', 's1'], 0)).toEqual(['s1', 's2']);
    expect(placeVersion('v1', pool, 9)).toEqual(pool);
  });

  it('picks `replicas` servers, the same from any order of the list', () => {
    const a = placeVersion('v1', pool, 2);
    expect(a).toHaveLength(2);
    expect(placeVersion('v1', [...pool].reverse(), 2)).toEqual(a);
  });

  it('spreads versions over the pool, and a leaving server moves only what it held', () => {
    const versions = Array.from({ length: 200 }, (_, i) => `version-${i}`);
    const counts = new Map<string, number>();
    for (const v of versions) for (const s of placeVersion(v, pool, 1)) counts.set(s, (counts.get(s) ?? 0) + 1);
    // 200 versions on 5 servers: each gets some (an even split is 40).
    for (const s of pool) expect(counts.get(s) ?? 0).toBeGreaterThan(15);
    const without = pool.filter((s) => s !== 's3');
    for (const v of versions) {
      const before = placeVersion(v, pool, 1)[0];
      if (before !== 's3') expect(placeVersion(v, without, 1)).toEqual([before]);
    }
  });

  it('places nothing on an empty pool', () => {
    expect(placeVersion('v1', [], 2)).toEqual([]);
  });
});

describe('parsePlacement (SERVING_PLACEMENT)', () => {
  it('defaults every environment to pool "default" on every server', () => {
    expect(parsePlacement('')).toEqual({ placement: DEFAULT_PLACEMENT });
  });

  it('reads Environment=pool[:replicas], case-insensitive environments', () => {
    const r = parsePlacement('production=prod:2, Staging=default');
    expect(r).toEqual({ placement: { Development: { pool: 'default', replicas: 0 }, Staging: { pool: 'default', replicas: 0 }, Production: { pool: 'prod', replicas: 2 } } });
  });

  it('names every problem', () => {
    expect(parsePlacement('qa=x,Production=Bad_Pool,Staging')).toEqual({
      problems: ['"qa" is not an environment (Development, Staging, Production)', 'pool "Bad_Pool" must be lowercase letters, digits and dashes', '"Staging" is not Environment=pool[:replicas]'],
    });
  });
});

describe('estimateVersionBytes', () => {
  it('takes the declared baseline when it is the largest', () => {
    expect(estimateVersionBytes({ artifactSizeBytes: 1000, baseline: { memoryUsageBytes: 123_456_789 } })).toBe(123_456_789);
    expect(estimateVersionBytes({ artifactSizeBytes: 693, baseline: { memoryUsageBytes: 693 } })).toBe(8 * 2 ** 20);
  });
  it('else twice the artifact, at least 8 MiB', () => {
    expect(estimateVersionBytes({ artifactSizeBytes: 50 * 2 ** 20 })).toBe(100 * 2 ** 20);
    expect(estimateVersionBytes({ artifactSizeBytes: 10_000, baseline: {} })).toBe(8 * 2 ** 20);
  });
});

describe('defaultServerId', () => {
  it('is host name and port, so two servers on defaults never collide', () => {
    expect(defaultServerId('Build-Box.local', 8081)).toBe('build-box-local-8081');
    expect(defaultServerId('Build-Box.local', 8082)).not.toBe(defaultServerId('Build-Box.local', 8081));
    expect(defaultServerId('web_1', 0, 4242)).toBe('web-1-pid4242');
    expect(defaultServerId('...', 8081)).toBe('host-8081');
  });
});

describe('memory budget', () => {
  it('takes MODEL_SERVER_MEMORY_BUDGET_MB when set', () => {
    expect(memoryBudgetBytes(512, 10 * 2 ** 30, 64 * 2 ** 30)).toBe(512 * 2 ** 20);
  });
  it('else 80 % of the cgroup limit or the machine, whichever is smaller', () => {
    expect(memoryBudgetBytes(0, 1000, 5000)).toBe(800);
    expect(memoryBudgetBytes(0, null, 5000)).toBe(4000);
  });
  it('reads cgroup v2, then v1, ignoring "max" and v1\'s "no limit"', () => {
    expect(cgroupMemoryLimit((f) => (f.endsWith('memory.max') ? '2147483648\n' : null))).toBe(2147483648);
    expect(cgroupMemoryLimit((f) => (f.endsWith('memory.max') ? 'max\n' : '1073741824'))).toBe(1073741824);
    expect(cgroupMemoryLimit((f) => (f.endsWith('memory.max') ? null : '9223372036854771712'))).toBeNull();
  });
});
