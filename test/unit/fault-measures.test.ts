/** The fault suite's and the soak's measures (test/faults/), on hand-made timelines. */
import { measureRequests } from '../faults/fault-run';
import { nearestRank, trafficBackAt } from '../faults/soak-cycle';
import type { LoadEvent } from '../helpers/load-generator';

const ev = (at: number, status: number, version?: string, ms = 5): LoadEvent => ({ at, status, ms, ...(version && { version }) });

describe('measureRequests', () => {
  it('no failure: traffic recovery is null, counts and slowest answer', () => {
    const m = measureRequests([ev(1000, 200), ev(1100, 200, undefined, 40)], 1050);
    expect(m).toEqual({ requests: { total: 2, failed: 0, failedSeconds: 0, statusCodes: { 200: 2 }, slowestMs: 40 }, trafficRecoveryMs: null });
  });

  it('recovery: fault → first success after the last failure; failures before the fault count as failed but not for recovery', () => {
    const events = [ev(500, 503), ev(1000, 200), ev(2000, 0), ev(2500, 200), ev(3100, 503), ev(3200, 0), ev(3900, 200), ev(4000, 200)];
    const m = measureRequests(events, 1500);
    expect(m.trafficRecoveryMs).toBe(3900 - 1500);
    expect(m.requests.failed).toBe(4);
    expect(m.requests.failedSeconds).toBe(3); // seconds 0, 2 and 3
    expect(m.requests.statusCodes).toEqual({ 0: 2, 200: 4, 503: 2 });
  });

  it('copes with a flood of refused connections (a whole-stack restart made 100,000s)', () => {
    const events = Array.from({ length: 300_000 }, (_, i) => ev(i, 0));
    events.push(ev(300_000, 200));
    expect(measureRequests(events, 0)).toMatchObject({ requests: { failed: 300_000, failedSeconds: 300 }, trafficRecoveryMs: 300_000 });
  });

  it('no success after the last failure: never recovered', () => {
    expect(measureRequests([ev(1000, 200), ev(2000, 503)], 1500).trafficRecoveryMs).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('trafficBackAt (soak rollback, clients view)', () => {
  it('the first answer of the previous version after the last answer of another one', () => {
    const events = [ev(900, 200, '2.0.0'), ev(1100, 200, '2.0.0'), ev(1200, 200, '1.0.0'), ev(1300, 200, '2.0.0'), ev(1400, 503), ev(1500, 200, '1.0.0'), ev(1600, 200, '1.0.0')];
    expect(trafficBackAt(events, 1000, '1.0.0')).toBe(1500);
  });

  it('undefined while the candidate is the last to answer', () => {
    expect(trafficBackAt([ev(1100, 200, '1.0.0'), ev(1200, 200, '2.0.0')], 1000, '1.0.0')).toBeUndefined();
  });

  it('only the previous version after the call: its first answer', () => {
    expect(trafficBackAt([ev(900, 200, '2.0.0'), ev(1050, 200, '1.0.0')], 1000, '1.0.0')).toBe(1050);
  });
});

describe('nearestRank', () => {
  const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  it.each([
    ['one value', [10], 0.99, 10],
    ['1..4, p50', [1, 2, 3, 4], 0.5, 2],
    ['1..100, p99', oneTo(100), 0.99, 99],
    ['1..100, p50', oneTo(100), 0.5, 50],
    ['1..10, p99 is the largest', oneTo(10), 0.99, 10],
  ])('%s', (_label, sorted, q, expected) => {
    expect(nearestRank(sorted, q)).toBe(expected);
  });
});
