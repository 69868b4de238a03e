import { RecentReads } from '../../infra/async/recent-reads';

describe('RecentReads', () => {
  it('answers concurrent and recent reads of a key from one load, and loads again once it is older than the ttl', async () => {
    let t = 0;
    let loads = 0;
    const reads = new RecentReads<number>(1000, () => t);
    const load = () => Promise.resolve(++loads);
    expect(await Promise.all([reads.get('a', load), reads.get('a', load)])).toEqual([1, 1]);
    t = 999;
    expect(await reads.get('a', load)).toBe(1);
    expect(await reads.get('b', load)).toBe(2);
    t = 1000;
    expect(await reads.get('a', load)).toBe(3);
  });

  it('does not keep a failed load', async () => {
    const reads = new RecentReads<string>(1000, () => 0);
    await expect(reads.get('a', () => Promise.reject(new Error('database away')))).rejects.toThrow('database away');
    expect(await reads.get('a', () => Promise.resolve('back'))).toBe('back');
  });

  it('forgets the oldest key when full', async () => {
    let loads = 0;
    const reads = new RecentReads<number>(60_000, () => 0, 2);
    const load = () => Promise.resolve(++loads);
    await reads.get('a', load);
    await reads.get('b', load);
    await reads.get('c', load);
    expect(await reads.get('b', load)).toBe(2);
    expect(await reads.get('a', load)).toBe(4);
  });
});
