import { apportion, canarySplit, ratioSplit, serverShareSplit } from '../../domain/deployments/traffic-split';

describe('apportion (largest remainder)', () => {
  it.each([
    [[1, 1, 1], [34, 33, 33]],
    [[2, 1], [67, 33]],
    [[0.5, 0.5], [50, 50]],
    [[3, 0], [100, 0]],
    [[1, 1, 1, 1, 1, 1, 1], [15, 15, 14, 14, 14, 14, 14]],
    [[0.1, 0.9], [10, 90]],
    [[1 / 3, 2 / 3], [33, 67]],
  ])('apportion(%j) = %j', (shares, expected) => {
    expect(apportion(shares)).toEqual(expected);
  });

  it('always gives integers summing to 100 (a sweep of random shares)', () => {
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 2000; i++) {
      const shares = Array.from({ length: 1 + (i % 6) }, () => next() * 10);
      const w = apportion(shares);
      expect(w.reduce((a, b) => a + b, 0)).toBe(100);
      w.forEach((x) => expect(Number.isInteger(x) && x >= 0).toBe(true));
    }
  });

  it('rejects bad shares', () => {
    expect(() => apportion([])).toThrow(RangeError);
    expect(() => apportion([0, 0])).toThrow(RangeError);
    expect(() => apportion([-1, 2])).toThrow(RangeError);
    expect(() => apportion([Number.NaN])).toThrow(RangeError);
  });
});

it.each([
  [25, { stable: 75, candidate: 25 }],
  [10.4, { stable: 90, candidate: 10 }],
  [120, { stable: 0, candidate: 100 }],
  [-5, { stable: 100, candidate: 0 }],
])('canarySplit(%p)', (p, expected) => expect(canarySplit(p)).toEqual(expected));

it.each([
  [0.5, { stable: 50, candidate: 50 }],
  [1 / 3, { stable: 67, candidate: 33 }],
  [0.001, { stable: 99, candidate: 1 }],
  [0.999, { stable: 1, candidate: 99 }],
])('ratioSplit(%p)', (r, expected) => expect(ratioSplit(r)).toEqual(expected));

it('serverShareSplit weights pools by server count', () => {
  expect(serverShareSplit({ v1: 3, v2: 1 })).toEqual({ v1: 75, v2: 25 });
  expect(serverShareSplit({ v1: 2, v2: 1 })).toEqual({ v1: 67, v2: 33 });
  expect(serverShareSplit({ v1: 0, v2: 3 })).toEqual({ v2: 100 });
});
