import { initialDeploymentView, type DeploymentStatusView } from '../../domain/deployments/deployment-status';
import { deploymentEvent, driftAlertEvent, endingEventType, isAutomaticRollback, type NotificationEvent } from '../../domain/notifications/events';
import { evidenceLines, genericPayload, slackPayload, summarize, webhookPayload } from '../../domain/notifications/payloads';

const AT = '2026-12-07T12:00:00.000Z';

function view(extra: Partial<DeploymentStatusView> = {}): DeploymentStatusView {
  const v = initialDeploymentView({ deploymentId: 'd-1', modelId: 'm-1', modelName: 'fraud-detection', versionId: 'v2', version: '2.0.0', strategy: 'Canary', environment: 'Production', initiatedBy: 'u-bob' }, true, AT);
  return { ...v, stable: { versionId: 'v1', version: '1.0.0' }, ...extra };
}

const breach = {
  from: '2026-12-07T11:55:00.000Z',
  to: AT,
  stable: { requests: 1000, errors: 5, p99LatencyMs: 100, meanLatencyMs: 40, labelled: 0, correct: 0, latencyStdDevMs: 15 },
  candidate: { requests: 300, errors: 30, p99LatencyMs: 105, meanLatencyMs: 41, labelled: 0, correct: 0, latencyStdDevMs: 15 },
  assessment: { decision: 'Rollback', phase: 'Failed', checks: [], reasons: ['errorRate 10.0% > 1.0% (stable 0.5%)'], breached: ['errorRate'] },
} as unknown as DeploymentStatusView['metrics'];

const thresholdRollback = view({
  status: 'RolledBack',
  metrics: breach,
  analysisPhase: 'Failed',
  errorMessage: 'errorRate breached',
  rollback: { trigger: 'threshold', reason: 'errorRate breached', decidedAt: AT, trafficRestoredAt: AT, durationMs: 412, routeRevision: 7, errors: [], requestedBy: null },
});

describe('deployment events', () => {
  it.each([
    ['threshold', true],
    ['inconclusive', true],
    ['smoke-test', true],
    ['max-failures', true],
    ['rollback-command', false],
    ['abort', false],
  ] as const)('a rollback by %s is automatic: %s', (trigger, automatic) => {
    expect(isAutomaticRollback(trigger)).toBe(automatic);
  });

  it.each([
    [{ status: 'RolledBack' }, 'deployment.rolled_back'],
    [{ status: 'Failed' }, 'deployment.failed'],
    [{ status: 'Cancelled', approvalState: 'TimedOut' }, 'deployment.approval_timed_out'],
    [{ status: 'Cancelled', approvalState: 'Rejected' }, null],
    [{ status: 'Cancelled', approvalState: 'Approved' }, null],
    [{ status: 'Active' }, null],
    [{ status: 'Superseded' }, null],
  ] as const)('an ending %j announces %s', (ending, type) => {
    const v = view({ status: ending.status });
    if ('approvalState' in ending) v.approval = { ...v.approval, state: ending.approvalState };
    expect(endingEventType(v)).toBe(type);
  });

  it('a rolled-back event carries the rollback record and the evidence, keyed by deployment and type', () => {
    const e = deploymentEvent('deployment.rolled_back', thresholdRollback, AT);
    expect(e).toMatchObject({
      id: 'd-1:deployment.rolled_back',
      type: 'deployment.rolled_back',
      occurredAt: AT,
      environment: 'Production',
      automatic: true,
      deployment: { deploymentId: 'd-1', modelName: 'fraud-detection', version: '2.0.0', previousVersion: '1.0.0', strategy: 'Canary', initiatedBy: 'u-bob' },
      rollback: { trigger: 'threshold', durationMs: 412 },
      evidence: { analysisPhase: 'Failed', metrics: breach },
    });
  });

  it('a failed event says why, with the compensation errors', () => {
    const v = view({ status: 'Failed', errorMessage: 'checksum mismatch', rollback: { trigger: 'validation', reason: 'checksum mismatch', decidedAt: AT, trafficRestoredAt: null, durationMs: null, routeRevision: null, errors: ['unload candidate: timeout'] } });
    expect(deploymentEvent('deployment.failed', v, AT)).toMatchObject({ type: 'deployment.failed', trigger: 'validation', reason: 'checksum mismatch', errors: ['unload candidate: timeout'] });
  });

  it('an approval timeout carries the request time and the deadline', () => {
    const v = view({ status: 'Cancelled' });
    v.approval = { ...v.approval, state: 'TimedOut', requestedAt: AT, deadline: '2026-12-08T12:00:00.000Z' };
    expect(deploymentEvent('deployment.approval_timed_out', v, AT)).toMatchObject({ requestedAt: AT, deadline: '2026-12-08T12:00:00.000Z' });
  });
});

describe('webhook payloads', () => {
  const rolledBack = deploymentEvent('deployment.rolled_back', thresholdRollback, AT);

  it('the generic payload is the event with a one-line text', () => {
    const body = genericPayload(rolledBack);
    expect(body).toMatchObject({ ...rolledBack, text: summarize(rolledBack) });
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });

  it.each<[string, NotificationEvent, RegExp]>([
    ['rolled back automatically', rolledBack, /fraud-detection 2\.0\.0 was rolled back automatically in Production \(threshold: errorRate breached\); 1\.0\.0 serves again, traffic restored in 412 ms\./],
    [
      'rolled back on request',
      deploymentEvent('deployment.rolled_back', view({ status: 'RolledBack', rollback: { trigger: 'rollback-command', reason: 'rollback requested by bob: complaints', decidedAt: AT, trafficRestoredAt: AT, durationMs: 80, routeRevision: 3, errors: [], requestedBy: 'bob' } }), AT),
      /rolled back on request of bob in Production/,
    ],
    ['promoted', deploymentEvent('deployment.promoted', view({ status: 'Active' }), AT), /fraud-detection 2\.0\.0 now serves all traffic in Production \(was 1\.0\.0\); Canary deployment d-1\./],
    ['approval needed', deploymentEvent('deployment.approval_needed', view({ approval: { ...view().approval, deadline: '2026-12-08T12:00:00.000Z' } }), AT), /waits for an Admin's approval until 2026-12-08T12:00:00\.000Z \(not validated\)/],
    [
      'drift',
      driftAlertEvent({ id: 'drift-1', at: AT, environment: 'Production', modelName: 'fraud-detection', version: '2.0.0', drift: { subject: 'amount', statistic: 'psi', value: 0.31, threshold: 0.2, baseline: { from: AT, to: AT }, current: { from: AT, to: AT } } }),
      /drift in fraud-detection 2\.0\.0 \(Production\): psi of amount is 0\.31 \(threshold 0\.2\)/,
    ],
  ])('summarizes %s', (_name, event, text) => {
    expect(summarize(event)).toMatch(text);
  });

  it('the Slack payload has the summary as text, and blocks with the fields and the evidence', () => {
    const msg = slackPayload(rolledBack);
    expect(msg.text).toBe(summarize(rolledBack));
    expect(msg.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'HotSwap: Rolled back' } });
    expect(msg.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: msg.text } });
    const fields = (msg.blocks[2].fields as { text: string }[]).map((f) => f.text);
    expect(fields).toEqual(['*Environment*\nProduction', '*Model*\nfraud-detection 2.0.0', '*Deployment*\nd-1', '*Trigger*\nthreshold (automatic)']);
    expect(msg.blocks[3]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '*Evidence*\n• errorRate 10.0% > 1.0% (stable 0.5%)' } });
    expect(msg.blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: `event d-1:deployment.rolled_back at ${AT}` }] });
    expect(webhookPayload(rolledBack, 'slack')).toEqual(msg);
    expect(webhookPayload(rolledBack, 'generic')).toEqual(genericPayload(rolledBack));
  });

  it('evidence lines gather the analysis, smoke-test and shadow reasons', () => {
    const e = deploymentEvent('deployment.failed', view({ smokeTest: { phase: 'Failed', passed: false, accuracy: 0.8, reasons: ['accuracy 80% below baseline'] }, metrics: breach }), AT);
    expect('evidence' in e && evidenceLines(e.evidence)).toEqual(['errorRate 10.0% > 1.0% (stable 0.5%)', 'accuracy 80% below baseline']);
  });
});
