import type { DeploymentDetail } from '../../api/services/deployment-service';
import { canaryDetail as canary } from '../helpers/deployment-detail-fixture';
import { colorsFor } from '../../cli/render/colors';
import { checkLine, formatSeconds, num, renderDeployment, rolloutEnded, summaryLine, watchExitCode } from '../../cli/render/deployment-view';
import { trafficBar } from '../../cli/render/traffic-bar';

const plain = colorsFor(false);
const NOW = new Date('2026-12-07T10:00:30Z');

const render = (d: DeploymentDetail, viewerId: string | null = null) => renderDeployment(d, { colors: plain, viewer: { id: viewerId, role: null }, now: NOW, barWidth: 20 }).join('\n');

describe('renderDeployment', () => {
  it('shows the step, a bar per version with its share, each metric against its threshold, and the Temporal link', () => {
    const text = render(canary());
    expect(text).toContain('fraud-detection 2.0.0  Canary → Production  Deploying (Analysing)  dep-1');
    expect(text).toContain('step 5/9: analysis PT20S (for 30 s)');
    expect(text).toContain(`1.0.0 (stable)     ${trafficBar(75, 20)}  75%`);
    expect(text).toContain(`2.0.0 (candidate)  ${trafficBar(25, 20)}  25%`);
    expect(text).toContain('last analysis window 09:59:40–10:00:00: Rollback (Failed)');
    expect(text).toContain('errorRate    0.05 vs 0  limit 0.01  Failed: error rate rose 5.0 points, more than 1.0');
    expect(text).toContain('p99Latency   12.5 vs 11  limit 2  Successful: p99 1.14× stable, at most 2×');
    expect(text).toContain('2.0.0: 30 req, errors 5.00%, p99 12.5 ms, accuracy -');
    expect(text).toContain('1.0.0: 90 req, errors 0.00%, p99 11.0 ms, accuracy 90.0% of 40');
    expect(text).toContain('approval: Approved by admin: looks good');
    expect(text).toContain('Temporal: http://localhost:8233/namespaces/default/workflows/deployment-dep-1/run-1/history');
  });

  it('says the approval waits for an Admin other than you when you started it', () => {
    const waiting = canary({ status: 'AwaitingApproval', phase: 'AwaitingApproval', trafficPercentage: 0, approval: { ...canary().approval, state: 'Pending', decidedBy: null, decidedByName: null, reason: null } });
    expect(render(waiting, 'user-ml')).toContain('waiting for approval by an Admin other than you');
    expect(render(waiting, 'user-admin')).toContain('waiting for approval by an Admin other than the initiator');
    expect(render(waiting, 'user-ml')).toContain('hotswap approve dep-1 --reason');
    expect(render(canary({ approval: { ...waiting.approval, required: false, state: 'NotRequired' } }))).not.toContain('approval');
  });

  it('shows the gates while one waits for an override, and how to override it; a passed report stays quiet', () => {
    const report = { passed: false, metrics: {}, validatedAt: '2026-12-07T10:00:00Z', checks: [
      { name: 'model-loads', passed: true, message: 'loaded' },
      { name: 'latency', passed: false, outcome: 'Failed' as const, overridable: true, message: 'candidate median 1.4 ms vs stable 0.2 ms' },
    ] };
    const waiting = canary({ status: 'Validating', phase: 'AwaitingOverride', trafficPercentage: 0, validationResult: report });
    const text = render(waiting);
    expect(text).toContain('validation: failed');
    expect(text).toContain('  latency              Failed: candidate median 1.4 ms vs stable 0.2 ms');
    expect(text).toContain('hotswap override dep-1 --gate latency --reason');
    const overridden = { ...report, passed: true, checks: [report.checks[0], { ...report.checks[1], passed: true, outcome: 'Overridden' as const, override: { by: 'u', byName: 'alice', reason: 'batch job', at: 'x' } }] };
    expect(render(canary({ validationResult: overridden }))).toContain('Overridden: candidate median 1.4 ms vs stable 0.2 ms (overridden by alice: batch job)');
    expect(render(canary({ validationResult: { ...report, passed: true, checks: [report.checks[0]] } }))).not.toContain('validation:');
  });

  it('ends with the final state: the rollback with its reason and how fast traffic came back', () => {
    const rolledBack = canary({
      status: 'RolledBack',
      phase: 'RolledBack',
      trafficPercentage: 0,
      currentStep: null,
      rollback: { trigger: 'threshold', reason: 'errorRate breached', decidedAt: '', trafficRestoredAt: '', durationMs: 712, routeRevision: 4, errors: [] },
    });
    expect(render(rolledBack)).toContain('RolledBack: errorRate breached (trigger threshold, traffic restored in 712 ms)');
    expect(render(rolledBack)).toContain('step: done');
    expect(render(canary({ status: 'Active', phase: 'Active', trafficPercentage: 100, currentStep: null }))).toContain('Active: 2.0.0 serves 100% of Production');
    expect(render(canary({ status: 'Failed', phase: 'Failed', errorMessage: 'validation failed: checksum' }))).toContain('Failed: validation failed: checksum');
    expect(render(canary({ status: 'Superseded', phase: 'Superseded', supersededBy: 'dep-9' }))).toContain('Superseded by dep-9');
  });

  it('has one bar for a first version (nothing to share with) and calls a shadow a shadow', () => {
    const first = render(canary({ stable: null, trafficPercentage: 100 }));
    expect(first).not.toContain('(stable)');
    expect(first).toContain(`2.0.0 (candidate)  ${trafficBar(100, 20)} 100%`);
    expect(render(canary({ strategy: 'Shadow', trafficPercentage: 0 }))).toContain('2.0.0 (shadow)');
  });

  it('leaves out what the API did not send (no analysis yet, no live metrics, no link)', () => {
    const text = render(canary({ metrics: null, liveMetrics: null, temporalUiUrl: null }));
    expect(text).not.toContain('last analysis');
    expect(text).not.toContain('live, last 5 min');
    expect(text).not.toContain('Temporal:');
  });

  it('colours the status on a terminal', () => {
    const coloured = renderDeployment(canary({ status: 'RolledBack' }), { colors: colorsFor(true), viewer: { id: null, role: null }, now: NOW }).join('\n');
    expect(coloured).toContain('\u001b[31mRolledBack (Analysing)\u001b[39m');
  });
});

describe('watch outcome', () => {
  it.each([
    ['Active', true, 0],
    ['Superseded', true, 0],
    ['Failed', true, 1],
    ['RolledBack', true, 1],
    ['Cancelled', true, 1],
    ['Deploying', false, 0],
    ['Paused', false, 0],
    ['AwaitingApproval', false, 0],
  ] as const)('%s: ended %s, exit %d', (status, ended, code) => {
    expect(rolloutEnded({ status })).toBe(ended);
    expect(watchExitCode(status)).toBe(code);
  });
});

it('summarises a deployment in one line that changes with step and traffic', () => {
  expect(summaryLine(canary())).toBe('Deploying (Analysing) step 5/9 analysis PT20S, traffic on 2.0.0: 25%');
  expect(summaryLine(canary({ currentStep: null, status: 'Active', phase: 'Active', trafficPercentage: 100 }))).toBe('Active (Active) step -, traffic on 2.0.0: 100%');
});

it.each([
  [0, 8, '░░░░░░░░'],
  [25, 8, '██░░░░░░'],
  [50, 8, '████░░░░'],
  [100, 8, '████████'],
  [130, 4, '████'],
  [-5, 4, '░░░░'],
])('trafficBar(%d, %d) = %s', (p, w, bar) => expect(trafficBar(p, w)).toBe(bar));

it.each([
  [null, '-'],
  [0, '0'],
  [12, '12'],
  [0.012345, '0.01235'],
  [Number.NaN, '-'],
])('num(%p) = %s', (x, s) => expect(num(x)).toBe(s));

it('formats seconds and a check without a limit', () => {
  expect(formatSeconds(42)).toBe('42 s');
  expect(formatSeconds(185)).toBe('3 min 05 s');
  expect(checkLine({ metric: 'traffic', phase: 'Inconclusive', candidate: 3, stable: 50, limit: null, reason: 'too few requests' }, plain)).toBe('traffic      3 vs 50  Inconclusive: too few requests');
});
