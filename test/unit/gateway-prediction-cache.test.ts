import { PredictionCache } from '../../api/gateway/prediction-cache';

describe('PredictionCache', () => {
  it('answers within the TTL and forgets after it', () => {
    const c = new PredictionCache<number>({ enabled: true, ttlSeconds: 2, maxEntries: 10 });
    c.set('a', 1, 1000);
    expect(c.get('a', 2999)).toBe(1);
    expect(c.get('a', 3000)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('evicts the least recently used entry when full', () => {
    const c = new PredictionCache<number>({ enabled: true, ttlSeconds: 60, maxEntries: 2 });
    c.set('a', 1, 0);
    c.set('b', 2, 0);
    expect(c.get('a', 1)).toBe(1); // a is now the most recent
    c.set('c', 3, 2);
    expect(c.get('b', 3)).toBeUndefined();
    expect(c.get('a', 3)).toBe(1);
    expect(c.get('c', 3)).toBe(3);
    expect(c.size).toBe(2);
  });

  it('overwriting a key refreshes it without growing', () => {
    const c = new PredictionCache<number>({ enabled: true, ttlSeconds: 1, maxEntries: 2 });
    c.set('a', 1, 0);
    c.set('a', 2, 900);
    expect(c.get('a', 1500)).toBe(2);
    expect(c.size).toBe(1);
  });

  it('compares settings', () => {
    const c = new PredictionCache<number>({ enabled: true, ttlSeconds: 1, maxEntries: 2 });
    expect(c.sameSettings({ enabled: true, ttlSeconds: 1, maxEntries: 2 })).toBe(true);
    expect(c.sameSettings({ enabled: true, ttlSeconds: 1, maxEntries: 3 })).toBe(false);
  });
});
