import { featureNames, renderDeploymentList, renderMetrics, renderPrediction, renderRouting, sizeText } from '../../cli/render/resources';

const metrics = (requests: number, accuracy: number | null) => ({
  totalRequests: requests, failedInferences: 1, errorRate: 1 / requests, p50LatencyMs: 2, p99LatencyMs: 9.25, throughputRps: requests / 60, accuracy, labelledCount: 10,
});

it('renders a routing table: pools, shadow and sticky header', () => {
  const lines = renderRouting({
    modelName: 'm', environment: 'Production', revision: 7, updatedAt: '2026-12-07T10:00:00Z', updatedBy: 'admin',
    pools: [{ version: '1.0.0', weight: 90, role: 'primary' }, { version: '2.0.0', weight: 10, role: 'canary' }],
    shadow: { version: '3.0.0', percentage: 5 },
    sticky: { header: 'x-user-id' },
  });
  expect(lines[0]).toBe('m in Production, revision 7 (2026-12-07T10:00:00Z by admin)');
  expect(lines.slice(1, 4).map((l) => l.split(/\s+/))).toEqual([['VERSION', 'WEIGHT', 'ROLE'], ['1.0.0', '90%', 'primary'], ['2.0.0', '10%', 'canary']]);
  expect(lines).toContain('shadow: 5% mirrored to 3.0.0');
  expect(lines).toContain('sticky on header x-user-id');
});

it('renders metrics overall and per version', () => {
  const lines = renderMetrics({
    modelName: 'm', window: 'PT1H', from: 'a', to: 'b', environment: 'Staging', metrics: metrics(100, 0.9),
    versions: [{ version: '1.0.0', roles: ['primary'], metrics: metrics(50, null) }],
  });
  expect(lines[0]).toBe('m, PT1H (a – b) in Staging');
  expect(lines[2].split(/\s{2,}/)).toEqual(['(all)', '100', '1', '1.00%', '2.0 ms', '9.3 ms', '1.67', '90.00%', '10']);
  expect(lines[3].split(/\s{2,}/)).toEqual(['1.0.0', '50', '1', '2.00%', '2.0 ms', '9.3 ms', '0.83', '-', '10']);
});

it('renders a regression prediction, an empty deployment list and the helpers', () => {
  expect(renderPrediction({ requestId: 'r', modelName: 'm', version: '1', prediction: 3.5, latencyMs: 1 })[0]).toBe('m 1: prediction 3.5');
  expect(renderDeploymentList({ deployments: [], total: 0 })).toEqual(['no deployments']);
  expect(featureNames({ properties: { a: {}, b: {} } })).toEqual(['a', 'b']);
  expect(featureNames(null)).toEqual([]);
  expect(sizeText(512)).toBe('512 B');
  expect(sizeText(1536)).toBe('1.5 KiB');
  expect(sizeText(3 * 1024 ** 3)).toBe('3.0 GiB');
  expect(sizeText(null)).toBe('-');
});
