import type { DeploymentDetail } from '../../api/services/deployment-service';

/** A canary of fraud-detection 2.0.0 over 1.0.0, at 25 % and analysing, as GET /deployments/{id} answers. */
export function canaryDetail(over: Partial<DeploymentDetail> = {}): DeploymentDetail {
  return {
    deploymentId: 'dep-1',
    modelId: 'm-1',
    modelName: 'fraud-detection',
    versionId: 'v-2',
    version: '2.0.0',
    stable: { versionId: 'v-1', version: '1.0.0' },
    strategy: 'Canary',
    environment: 'Production',
    initiatedBy: 'user-ml',
    status: 'Deploying',
    phase: 'Analysing',
    progressPercentage: 40,
    trafficPercentage: 25,
    currentStep: { index: 4, total: 9, step: { kind: 'analysis', durationMs: 20_000, final: false }, label: 'analysis PT20S', startedAt: '2026-12-07T10:00:00Z' },
    history: [],
    approval: { required: true, state: 'Approved', requestedAt: null, deadline: null, decidedBy: 'user-admin', decidedByName: 'admin', decidedAt: null, reason: 'looks good' },
    validationResult: null,
    metrics: {
      from: '2026-12-07T09:59:40.000Z',
      to: '2026-12-07T10:00:00.000Z',
      stable: null,
      candidate: null,
      assessment: {
        decision: 'Rollback',
        phase: 'Failed',
        checks: [
          { metric: 'errorRate', phase: 'Failed', candidate: 0.05, stable: 0, limit: 0.01, reason: 'error rate rose 5.0 points, more than 1.0' },
          { metric: 'p99Latency', phase: 'Successful', candidate: 12.5, stable: 11, limit: 2, reason: 'p99 1.14× stable, at most 2×' },
        ],
        reasons: [],
        breached: ['errorRate'],
      },
    },
    liveMetrics: {
      from: '2026-12-07T09:55:30Z',
      to: '2026-12-07T10:00:30Z',
      stable: { versionId: 'v-1', version: '1.0.0', requests: 90, errorRate: 0, avgLatencyMs: 5, p99LatencyMs: 11, accuracy: 0.9, labelled: 40 },
      candidate: { versionId: 'v-2', version: '2.0.0', requests: 30, errorRate: 0.05, avgLatencyMs: 6, p99LatencyMs: 12.5, accuracy: null, labelled: 0 },
    },
    assignedServers: [],
    smokeTest: null,
    shadow: null,
    abTest: null,
    rollback: null,
    analysisPhase: 'Failed',
    startedAt: '2026-12-07T09:58:00Z',
    updatedAt: '2026-12-07T10:00:00Z',
    completedAt: null,
    errorMessage: null,
    workflowId: 'deployment-dep-1',
    temporalUiUrl: 'http://localhost:8233/namespaces/default/workflows/deployment-dep-1/run-1/history',
    source: 'workflow',
    ...over,
  };
}

