/**
 * The deployment activities that read and write records (no model server involved), each run
 * alone in MockActivityEnvironment against the real FerretDB: the projection with its sequence
 * fence, version lifecycle, the approval notification hook, metric windows and the shadow
 * comparison from buckets and the prediction log.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BUCKET_RESOLUTIONS_S, bucketStartMs, emptyCounters, observeGroundTruth, observePrediction, observeShadowAgreement, type BucketCounters, type PredictionRole } from '../../domain/metrics';
import { initialDeploymentView, type DeploymentStatusView } from '../../domain/deployments/deployment-status';
import { judgeWindow } from '../../domain/decisions/assess-window';
import { MetricBucketRepository } from '../../infra/mongo/metric-bucket-repository';
import { ApprovalNotifier, WebhookChannel, type ApprovalRequest } from '../../infra/notifications/approval-notifier';
import { scoreDifference } from '../../activities/shadow';
import { pathToDeployed } from '../../activities/lifecycle';
import { poolRoles } from '../../activities/routing';
import type { RoutingTableDoc } from '../../infra/mongo/routing-repository';
import { runActivity, startWorld, type World } from './activities-world';

let w: World;
let v1: World['versions'][string];
let v2: World['versions'][string];

beforeAll(async () => {
  w = await startWorld({ servers: 0 });
  v1 = w.versions['1.0.0'];
  v2 = w.versions['2.0.0'];
}, 120_000);
afterAll(() => w?.close());

function view(deploymentId: string, sequence: number, extra: Partial<DeploymentStatusView> = {}): DeploymentStatusView {
  const at = new Date().toISOString();
  const identity = { deploymentId, modelId: w.modelId, modelName: 'fraud-detection', versionId: v2.versionId, version: '2.0.0', strategy: 'Canary', environment: 'Staging', initiatedBy: 'u-1' } as const;
  return {
    ...initialDeploymentView(identity, false, at, [{ at, step: 'start', decision: 'Planned', reason: `sequence ${sequence}` }]),
    stable: { versionId: v1.versionId, version: '1.0.0' },
    status: 'Deploying',
    phase: 'ShiftingTraffic',
    progressPercentage: sequence,
    trafficPercentage: 10,
    sequence,
    ...extra,
  };
}

describe('projection', () => {
  it('only moves forward: older and repeated sequences change nothing; the run that wrote it is kept', async () => {
    await runActivity(w.activities.recordDeploymentStatus, view('dep-p1', 3));
    await runActivity(w.activities.recordDeploymentStatus, view('dep-p1', 2, { status: 'Validating' }));
    await runActivity(w.activities.recordDeploymentStatus, view('dep-p1', 3, { status: 'Validating' }));
    let stored = await w.deps.deployments.get('dep-p1');
    expect(stored).toMatchObject({ sequence: 3, status: 'Deploying', progressPercentage: 3, runId: 'run-test' });
    await runActivity(w.activities.recordDeploymentStatus, view('dep-p1', 4, { status: 'Active' }));
    stored = await w.deps.deployments.get('dep-p1');
    expect(stored).toMatchObject({ sequence: 4, status: 'Active' });
  });

  it('keeps the highest of many concurrent writes', async () => {
    const order = Array.from({ length: 20 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    await Promise.all(order.map((s) => runActivity(w.activities.recordDeploymentStatus, view('dep-p2', s))));
    expect((await w.deps.deployments.get('dep-p2'))?.sequence).toBe(20);
  });

  it("the API's initial write and the workflow's first publish meet in either order", async () => {
    const loc = { workflowId: 'deploy-x', firstExecutionRunId: 'run-1' };
    await w.deps.deployments.create(view('dep-p3', 0, { status: 'Pending' }), loc);
    await runActivity(w.activities.recordDeploymentStatus, view('dep-p3', 1, { status: 'Validating' }));
    expect(await w.deps.deployments.get('dep-p3')).toMatchObject({ status: 'Validating', sequence: 1, ...loc });

    await runActivity(w.activities.recordDeploymentStatus, view('dep-p4', 2, { status: 'Validating' }));
    await w.deps.deployments.create(view('dep-p4', 0, { status: 'Pending' }), loc);
    expect(await w.deps.deployments.get('dep-p4')).toMatchObject({ status: 'Validating', sequence: 2, ...loc });
  });

  it("the API's initial write and the workflow's first publish may also race: neither fails, the newer view wins", async () => {
    const loc = { workflowId: 'deploy-y', firstExecutionRunId: 'run-2' };
    for (let i = 0; i < 10; i++) {
      const id = `dep-race-${i}`;
      await Promise.all([w.deps.deployments.create(view(id, 0, { status: 'Pending' }), loc), runActivity(w.activities.recordDeploymentStatus, view(id, 1, { status: 'Validating' }))]);
      expect(await w.deps.deployments.get(id)).toMatchObject({ status: 'Validating', sequence: 1, ...loc });
    }
  });

  it('refuses a projection without id or sequence', async () => {
    await expect(runActivity(w.activities.recordDeploymentStatus, { ...view('', 1) })).rejects.toMatchObject({ type: 'VALIDATION_ERROR', nonRetryable: true });
  });
});

describe('pure rules', () => {
  it.each([
    ['Registered', ['Validating', 'Validated', 'Deployed']],
    ['Validating', ['Validated', 'Deployed']],
    ['Validated', ['Deployed']],
    ['Approved', ['Deployed']],
    ['Deprecated', ['Deployed']],
    ['Deployed', []],
    ['Archived', []],
  ] as const)('pathToDeployed(%s)', (from, path) => {
    expect(pathToDeployed(from)).toEqual(path);
  });

  const table = (pools: [string, number, 'primary' | 'canary' | 'challenger'][]) => ({ pools: pools.map(([versionId, weight, role]) => ({ versionId, version: versionId, weight, role })) }) as RoutingTableDoc;
  const route = (pools: [string, number][], sticky = false) => ({ pools: pools.map(([versionId, weight]) => ({ versionId, weight })), shadow: null, sticky: sticky ? { header: 'x-user-id' } : null });
  it.each([
    ['first route', null, route([['v1', 100]]), ['primary']],
    ['canary enters', table([['v1', 100, 'primary']]), route([['v1', 90], ['v2', 10]]), ['primary', 'canary']],
    ['canary overtakes: roles stay', table([['v1', 45, 'primary'], ['v2', 55, 'canary']]), route([['v1', 30], ['v2', 70]]), ['primary', 'canary']],
    ['A/B challenger', table([['v1', 100, 'primary']]), route([['v1', 50], ['v2', 50]], true), ['primary', 'challenger']],
    ['promotion', table([['v1', 10, 'primary'], ['v2', 90, 'canary']]), route([['v2', 100]]), ['primary']],
    ['no previous primary: the heaviest', table([]), route([['v1', 30], ['v2', 70]]), ['canary', 'primary']],
  ] as const)('poolRoles: %s', (_name, current, r, roles) => {
    expect(poolRoles(r as never, current)).toEqual(roles);
  });
});

describe('version lifecycle', () => {
  const history = async (versionId: string) => (await w.deps.versions.find(w.modelId, versionId))!.statusHistory.map((h) => `${h.status} by ${h.by}`);

  it('activates: Registered → Validating → Validated → Deployed, recorded with the deployment; Production moves activeVersion; again changes nothing', async () => {
    const input = { deploymentId: 'dep-l1', modelId: w.modelId, environment: 'Production' as const, versionId: v1.versionId, previousVersionId: null };
    await runActivity(w.activities.activateVersion, input);
    await runActivity(w.activities.activateVersion, input);
    expect(await history(v1.versionId)).toEqual(['Registered by admin', 'Validating by deployment:dep-l1', 'Validated by deployment:dep-l1', 'Deployed by deployment:dep-l1']);
    expect((await w.deps.models.findByIdOrName(w.modelId))?.activeVersion).toBe('1.0.0');
  });

  it('a Staging activation deploys the version but leaves the Production activeVersion', async () => {
    await runActivity(w.activities.activateVersion, { deploymentId: 'dep-l2', modelId: w.modelId, environment: 'Staging', versionId: v2.versionId, previousVersionId: null });
    expect((await w.deps.versions.find(w.modelId, v2.versionId))?.status).toBe('Deployed');
    expect((await w.deps.models.findByIdOrName(w.modelId))?.activeVersion).toBe('1.0.0');
  });

  it('retires only what no longer serves: not the active version, not a routed one', async () => {
    const retire = (versionId: string) => runActivity(w.activities.retireVersion, { deploymentId: 'dep-l3', modelId: w.modelId, environment: 'Production', versionId });
    await retire(v1.versionId); // Production's activeVersion
    expect((await w.deps.versions.find(w.modelId, v1.versionId))?.status).toBe('Deployed');

    await w.deps.routing.replace({ modelId: w.modelId, modelName: 'fraud-detection', environment: 'Staging', pools: [{ versionId: v2.versionId, version: '2.0.0', weight: 100, role: 'primary' }], shadow: null, sticky: null, cache: null, updatedBy: 'test' }, 0);
    await retire(v2.versionId); // routed in Staging
    expect((await w.deps.versions.find(w.modelId, v2.versionId))?.status).toBe('Deployed');

    await runActivity(w.activities.activateVersion, { deploymentId: 'dep-l3', modelId: w.modelId, environment: 'Production', versionId: v2.versionId, previousVersionId: v1.versionId });
    expect((await w.deps.models.findByIdOrName(w.modelId))?.activeVersion).toBe('2.0.0');
    await retire(v1.versionId);
    await retire(v1.versionId);
    expect((await history(v1.versionId)).slice(-2)).toEqual(['Deployed by deployment:dep-l1', 'Deprecated by deployment:dep-l3']);

    // A rollback target is Deprecated → Deployed again.
    await runActivity(w.activities.activateVersion, { deploymentId: 'dep-l4', modelId: w.modelId, environment: 'Production', versionId: v1.versionId, previousVersionId: v2.versionId });
    expect((await w.deps.versions.find(w.modelId, v1.versionId))?.status).toBe('Deployed');
  });
});

describe('approval notification hook', () => {
  const request = (deploymentId: string): ApprovalRequest => ({ deploymentId, modelName: 'fraud-detection', version: '2.0.0', environment: 'Production', strategy: 'Canary', initiatedBy: 'u-1', deadline: new Date(Date.now() + 86_400_000).toISOString(), validation: null });

  it('notifies once per deployment however often the activity runs', async () => {
    const before = w.sent.length;
    await runActivity(w.activities.notifyApprovalNeeded, request('dep-n1'));
    await runActivity(w.activities.notifyApprovalNeeded, request('dep-n1'));
    await runActivity(w.activities.notifyApprovalNeeded, request('dep-n2'));
    expect(w.sent.slice(before).map((r) => (r as ApprovalRequest).deploymentId)).toEqual(['dep-n1', 'dep-n2']);
  });

  it('POSTs JSON to the webhook with an idempotency key; a failed send is retried, a sent one is not', async () => {
    const received: { headers: http.IncomingHttpHeaders; body: any }[] = [];
    let failNext = true;
    const server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(text) });
        res.writeHead(failNext ? 503 : 204).end();
        failNext = false;
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const notifier = new ApprovalNotifier(w.db, [new WebhookChannel(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`)]);
      await expect(notifier.approvalNeeded(request('dep-n3'))).rejects.toThrow(/webhook answered HTTP 503/);
      await expect(notifier.approvalNeeded(request('dep-n3'))).resolves.toBe('sent');
      await expect(notifier.approvalNeeded(request('dep-n3'))).resolves.toBe('already-sent');
      expect(received).toHaveLength(2);
      expect(received[1].headers['idempotency-key']).toBe('approval-needed:dep-n3');
      expect(received[1].body).toMatchObject({ type: 'deployment.approval_needed', deploymentId: 'dep-n3', modelName: 'fraud-detection', environment: 'Production' });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

/** Adds counters to the buckets of one series at every resolution (as the gateways' aggregator does). */
async function addBuckets(version: { versionId: string; version: string }, role: PredictionRole, timeMs: number, counters: BucketCounters) {
  const repo = new MetricBucketRepository(w.db);
  const key = { modelId: w.modelId, modelName: 'fraud-detection', environment: 'Staging', version: version.version, versionId: version.versionId, role };
  await repo.apply(BUCKET_RESOLUTIONS_S.map((resolutionS) => ({ key, resolutionS, bucketStartMs: bucketStartMs(timeMs, resolutionS), counters })), { flushId: `t-${Math.random()}`, guarded: false, writer: `test-${Math.random()}` });
}

function traffic(requests: number, opts: { serverErrors?: number; clientErrors?: number; latencyMs: number; labelled?: number; correct?: number; compared?: number; agreed?: number }): BucketCounters {
  const c = emptyCounters();
  for (let i = 0; i < requests; i++) {
    if (i < (opts.serverErrors ?? 0)) observePrediction(c, { status: 'Failed', errorCode: 'INFERENCE_ERROR', latencyMs: null });
    else if (i < (opts.serverErrors ?? 0) + (opts.clientErrors ?? 0)) observePrediction(c, { status: 'Failed', errorCode: 'SCHEMA_VALIDATION_ERROR', latencyMs: null });
    else observePrediction(c, { status: 'Completed', latencyMs: opts.latencyMs + (i % 5) });
  }
  for (let i = 0; i < (opts.labelled ?? 0); i++) observeGroundTruth(c, { task: 'classification', correct: i < (opts.correct ?? 0) });
  for (let i = 0; i < (opts.compared ?? 0); i++) observeShadowAgreement(c, i < (opts.agreed ?? 0));
  return c;
}

describe('metric windows and shadow comparison', () => {
  const t0 = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
  const window = { from: new Date(t0).toISOString(), to: new Date(t0 + 60_000).toISOString() };

  beforeAll(async () => {
    await addBuckets(v1, 'primary', t0 + 20_000, traffic(200, { serverErrors: 2, clientErrors: 3, latencyMs: 10, labelled: 100, correct: 90 }));
    await addBuckets(v2, 'canary', t0 + 20_000, traffic(50, { serverErrors: 1, latencyMs: 20, labelled: 20, correct: 15 }));
    await addBuckets(v2, 'shadow', t0 + 30_000, traffic(40, { latencyMs: 30, compared: 40, agreed: 36 }));
    await addBuckets(v1, 'primary', t0 + 70_000, traffic(999, { latencyMs: 99 })); // after the window
  });

  it('sums each version over its own window: server errors only, serving roles only (no shadow copies)', async () => {
    const r = await runActivity(w.activities.readMetricWindows, { modelId: w.modelId, environment: 'Staging', stable: { versionId: v1.versionId, ...window }, candidate: { versionId: v2.versionId, ...window } });
    expect(r.stable).toMatchObject({ requests: 200, errors: 2, labelled: 100, correct: 90 });
    expect(r.stable.meanLatencyMs).toBeCloseTo(12, 0);
    expect(r.stable.p99LatencyMs).toBeGreaterThanOrEqual(10);
    expect(r.candidate).toMatchObject({ requests: 50, errors: 1, labelled: 20, correct: 15 });
    expect(r.candidate.meanLatencyMs).toBeCloseTo(22, 0);
  });

  it('carries the latency histograms, and the anytime-valid latency test judges them: 2× slower fails', async () => {
    const r = await runActivity(w.activities.readMetricWindows, { modelId: w.modelId, environment: 'Staging', stable: { versionId: v1.versionId, ...window }, candidate: { versionId: v2.versionId, ...window } });
    const sum = (h: number[] | undefined) => (h ?? []).reduce((a, b) => a + b, 0);
    expect(sum(r.stable.latencyHistogram)).toBe(195); // 200 − 2 server − 3 client errors: latency of completed requests
    expect(sum(r.candidate.latencyHistogram)).toBe(49);
    const [latency] = judgeWindow(r.candidate, r.stable, { errorRateIncrease: null, latencyIncrease: 1.5, accuracyDrop: null }, { requests: 10, labelled: 10 });
    expect(latency).toMatchObject({ metric: 'latency', test: 'dirichlet-multinomial-sequential', verdict: 'Failed', samples: { control: 195, candidate: 49 } });
    expect(latency.statistic).toBeGreaterThanOrEqual(latency.bound);
  });

  it('waits METRICS_SETTLE_MS past a window that just ended before reading', async () => {
    const now = new Date().toISOString();
    const started = Date.now();
    await runActivity(w.activities.readMetricWindows, { modelId: w.modelId, environment: 'Staging', stable: { versionId: v1.versionId, from: window.from, to: now }, candidate: { versionId: v2.versionId, from: window.from, to: now } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('compares shadow with primary: agreement from buckets, score difference from logged pairs', async () => {
    const at = new Date(t0 + 30_000);
    const base = { modelId: w.modelId, modelName: 'fraud-detection', environment: 'Staging', features: {}, latencyMs: 1, status: 'Completed' as const, cached: false, time: at };
    const docs = [];
    for (let i = 0; i < 10; i++) {
      const p = 0.1 + i * 0.05;
      docs.push({ ...base, _id: `req-${i}`, requestId: `req-${i}`, version: '1.0.0', versionId: v1.versionId, role: 'primary' as const, outputs: { prediction: { label: 'legit', probabilities: { legit: 1 - p, fraud: p } }, confidence: 1 - p } });
      docs.push({ ...base, _id: `req-${i}:shadow`, requestId: `req-${i}:shadow`, primaryRequestId: `req-${i}`, version: '2.0.0', versionId: v2.versionId, role: 'shadow' as const, outputs: { prediction: { label: 'legit', probabilities: { legit: 0.8 - p, fraud: 0.2 + p } }, confidence: 0.8 - p } });
    }
    await w.deps.predictions.insertBatch(docs);
    const r = await runActivity(w.activities.readShadowComparison, { modelId: w.modelId, environment: 'Staging', primaryVersionId: v1.versionId, shadowVersionId: v2.versionId, ...window });
    expect(r).toMatchObject({ samples: 40, labelAgreement: 0.9, shadowRequests: 40, shadowErrors: 0, primaryRequests: 200, primaryErrors: 2 });
    expect(r.meanAbsoluteScoreDifference).toBeCloseTo(0.2, 6);
    expect(r.shadowMeanLatencyMs).toBeCloseTo(32, 0);
    expect(scoreDifference({ value: 3 }, { prediction: { value: 1.5 } })).toBe(1.5);
  });
});
