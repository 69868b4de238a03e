/** The web console's pure rules: which buttons a role sees, and where a chart's threshold line goes. */
import { visibleCommands } from '../../console/src/commands';
import { appendPoint, CHARTS, thresholdOf } from '../../console/src/metric-series';
import { candidateBound } from '../../domain/deployments/check-bound';
import type { Role } from '../../domain/permissions';
import { canaryDetail } from '../helpers/deployment-detail-fixture';

describe('visibleCommands', () => {
  const open = { completedAt: null };
  it.each<[Role, string, string | null, string[]]>([
    ['Admin', 'AwaitingApproval', null, ['approve', 'reject', 'abort']],
    ['MLEngineer', 'AwaitingApproval', null, ['abort']],
    ['Admin', 'Deploying', null, ['pause', 'promote', 'abort', 'rollback']],
    ['MLEngineer', 'Paused', null, ['resume', 'promote', 'abort', 'rollback']],
    ['MLEngineer', 'Active', null, ['promote', 'rollback']],
    ['MLEngineer', 'Active', '2026-12-07T10:00:00Z', ['rollback']],
    ['Admin', 'RolledBack', '2026-12-07T10:00:00Z', []],
    ['Admin', 'Superseded', '2026-12-07T10:00:00Z', []],
    ['DataScientist', 'Deploying', null, []],
    ['DataScientist', 'AwaitingApproval', null, []],
    ['Application', 'Paused', null, []],
  ])('%s on %s (completedAt %s) sees %j', (role, status, completedAt, expected) => {
    expect(visibleCommands(role, { ...open, status: status as never, completedAt })).toEqual(expected);
  });
});

describe('candidateBound', () => {
  it.each([
    [{ metric: 'errorRate', stable: 0.02, limit: 0.01 }, 0.03],
    [{ metric: 'p99Latency', stable: 12, limit: 1.5 }, 18],
    [{ metric: 'meanLatency', stable: 4, limit: 2 }, 8],
    [{ metric: 'latency', stable: 4, limit: 1.5 }, 6],
    [{ metric: 'accuracy', stable: 0.9, limit: 0.05 }, 0.855],
    [{ metric: 'traffic', stable: 100, limit: 50 }, null],
    [{ metric: 'p99Latency', stable: null, limit: 1.5 }, null],
    [{ metric: 'errorRate', stable: 0, limit: null }, null],
  ] as const)('%j → %s', (check, expected) => {
    const bound = candidateBound(check);
    if (expected === null) expect(bound).toBeNull();
    else expect(bound).toBeCloseTo(expected, 10);
  });
});

describe('chart series', () => {
  const [errorRate, mean, p99] = CHARTS;
  it('adds one point per live window end, candidate and stable, and ignores a repeated window', () => {
    const d = canaryDetail();
    const once = appendPoint([], d, p99);
    expect(once).toEqual([{ at: Date.parse('2026-12-07T10:00:30Z'), candidate: 12.5, stable: 11 }]);
    expect(appendPoint(once, d, p99)).toBe(once);
    const later = canaryDetail({ liveMetrics: { ...d.liveMetrics!, to: '2026-12-07T10:00:31Z' } });
    expect(appendPoint(once, later, errorRate)).toHaveLength(2);
    expect(appendPoint([], canaryDetail({ liveMetrics: null }), p99)).toEqual([]);
  });

  it('draws the threshold from the last analysis window, none before one ran', () => {
    expect(thresholdOf(canaryDetail(), errorRate)).toBeCloseTo(0.01, 10);
    expect(thresholdOf(canaryDetail(), p99)).toBe(22);
    expect(thresholdOf(canaryDetail({ metrics: null }), p99)).toBeNull();
    // The anytime-valid rules judge latency on the means: their line is on the mean chart, not the p99 one.
    const d = canaryDetail();
    const sequential = canaryDetail({ metrics: { ...d.metrics!, assessment: { ...d.metrics!.assessment!, checks: [{ metric: 'latency', phase: 'Successful', candidate: 5, stable: 4, limit: 1.5, reason: '' }] } } });
    expect(thresholdOf(sequential, mean)).toBe(6);
    expect(thresholdOf(sequential, p99)).toBeNull();
  });
});
