/**
 * Scripted activities for workflow tests, typed against the activity interface: a small fake
 * world (registry, servers, routing table, metric store) whose answers each test scripts, and a
 * log of every call so tests can check what the workflow did, in what order.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { DeploymentActivities, DeploymentProjection, RollbackTarget, RouteSpec, ServerHealth, WarmUpResult } from '../../../activities/deployment-activity-types';
import type { MetricWindow } from '../../../domain/deployments/analysis';
import type { ValidationCheck, VersionRef } from '../../../domain/deployments/deployment-status';
import type { ShadowComparison } from '../../../domain/deployments/shadow-comparison';
import type { SmokeTestResult } from '../../../domain/deployments/smoke-test';
import type { CandidateMeasurement } from '../../../domain/validation/measurement';

export const STABLE: VersionRef = { versionId: 'v1', version: '1.0.0' };
export const CANDIDATE: VersionRef = { versionId: 'v2', version: '2.0.0' };

/** Healthy traffic: 0.5% errors, p99 100 ms, 90% accuracy. */
export const goodStable: MetricWindow = { requests: 20000, errors: 100, p99LatencyMs: 100, meanLatencyMs: 40, labelled: 4000, correct: 3600, latencyStdDevMs: 15 };
/** A candidate as good as stable (within every threshold). */
export const goodCandidate: MetricWindow = { requests: 6000, errors: 30, p99LatencyMs: 100, meanLatencyMs: 40, labelled: 2000, correct: 1800, latencyStdDevMs: 15 };

export type Windows = { stable: MetricWindow; candidate: MetricWindow };

export interface FakeWorldOptions {
  stable?: VersionRef | null;
  servers?: string[];
  /** Metric windows by call number (0-based). Default: always good. */
  windows?: (call: number) => Windows;
  /** Validation gate results. Default: all pass. */
  validation?: { integrity?: boolean; loads?: boolean; schema?: boolean };
  /** What measureCandidate answers (the measured gates judge it). Default: nothing measured, so those gates do not block. */
  measurement?: Partial<CandidateMeasurement>;
  warmUpFailures?: (versionId: string, servers: string[], call: number) => WarmUpResult['failed'];
  smokeTest?: SmokeTestResult;
  shadow?: (call: number) => ShadowComparison;
  health?: (servers: string[], call: number) => ServerHealth[];
  /** Return an error to make applyRoute fail for this input. */
  applyRouteError?: (route: RouteSpec, call: number) => Error | null;
  notifyError?: boolean;
  /** Versions a routing table of another environment still sends traffic to (unloading them is refused, as by the real activity). */
  routedElsewhere?: string[];
  /** Make activateVersion fail (non-retryable) for this version id. */
  activateError?: string;
  /** What resolveRollbackTarget answers (rollbackDeployment). Default: the stable version at 100 %, sequence 4, no problem. */
  rollbackTarget?: Partial<RollbackTarget>;
}

export interface Call {
  name: keyof DeploymentActivities;
  input: any;
}

export interface FakeWorld {
  activities: DeploymentActivities;
  calls: Call[];
  projections: DeploymentProjection[];
  routes: RouteSpec[];
  named(name: keyof DeploymentActivities): any[];
  /** The last projection written (by sequence). */
  lastProjection(): DeploymentProjection | undefined;
}

export function fakeWorld(opts: FakeWorldOptions = {}): FakeWorld {
  const calls: Call[] = [];
  const projections: DeploymentProjection[] = [];
  const routes: RouteSpec[] = [];
  let revision = 10;
  const counters = new Map<string, number>();
  const count = (name: string) => {
    const n = counters.get(name) ?? 0;
    counters.set(name, n + 1);
    return n;
  };
  const log = (name: keyof DeploymentActivities, input: any) => calls.push({ name, input: JSON.parse(JSON.stringify(input ?? null)) });
  const stable = opts.stable === undefined ? STABLE : opts.stable;
  const servers = opts.servers ?? ['s1', 's2'];
  const check = (name: string, passed: boolean | undefined): ValidationCheck => ({ name, passed: passed !== false, message: passed === false ? `${name} failed` : 'ok' });

  const activities: DeploymentActivities = {
    async resolveDeploymentTargets(input) {
      log('resolveDeploymentTargets', input);
      return { stable, servers, modelName: 'fraud-detection', version: CANDIDATE.version };
    },
    async verifyArtifactIntegrity(input) {
      log('verifyArtifactIntegrity', input);
      const verified = opts.validation?.integrity !== false;
      return { versionId: input.versionId, checksum: 'sha256:abc', sizeBytes: 10, verified, ...(!verified && { reason: 'checksum mismatch' }) };
    },
    async checkCandidateLoads(input) {
      log('checkCandidateLoads', input);
      return check('loads', opts.validation?.loads);
    },
    async measureCandidate(input) {
      log('measureCandidate', input);
      const none: CandidateMeasurement = {
        notMeasured: 'not measured in the fake world',
        server: 's1',
        sampleSource: null,
        rows: [],
        stableMeasured: false,
        latencyMs: { candidate: [], stable: [] },
        candidateMemoryBytes: null,
        pool: [],
        declared: { candidate: { accuracy: null, inferenceLatencyMs: null }, stable: null },
        fairness: null,
      };
      return { ...none, ...opts.measurement };
    },
    async checkSchemaCompatibility(input) {
      log('checkSchemaCompatibility', input);
      return check('schema-compatible', opts.validation?.schema);
    },
    async notifyApprovalNeeded(input) {
      log('notifyApprovalNeeded', input);
      if (opts.notifyError) throw ApplicationFailure.nonRetryable('mail server down', 'SERVICE_UNAVAILABLE');
    },
    async sendNotification(event) {
      log('sendNotification', event);
      if (opts.notifyError) throw ApplicationFailure.nonRetryable('webhook refused', 'NOTIFICATION_REJECTED');
    },
    async warmUpVersion(input) {
      log('warmUpVersion', input);
      const failed = opts.warmUpFailures?.(input.versionId, input.servers, count('warmUpVersion')) ?? [];
      return { ready: input.servers.filter((s) => !failed.some((f) => f.server === s)), failed };
    },
    async unloadVersion(input) {
      log('unloadVersion', input);
      // As the real activity: a version some route still sends traffic to is refused, or kept with keepIfRouted.
      const routedHere = routes.at(-1)?.pools.some((p) => p.versionId === input.versionId) ?? false;
      const everywhere = servers.every((s) => (input.servers ?? servers).includes(s));
      if (everywhere && (routedHere || opts.routedElsewhere?.includes(input.versionId))) {
        if (input.keepIfRouted) return { unloadedFrom: [], kept: 'a routing table still sends it traffic' };
        throw ApplicationFailure.nonRetryable(`version ${input.versionId} still receives traffic from a routing table`, 'CONFLICT');
      }
      return { unloadedFrom: input.servers ?? servers, kept: null };
    },
    async applyRoute(input) {
      log('applyRoute', input);
      const error = opts.applyRouteError?.(input.route, count('applyRoute'));
      if (error) throw error;
      // As the real activity: a route must have pools.
      if (input.route.pools.length === 0) throw ApplicationFailure.nonRetryable('invalid route: pools must not be empty', 'VALIDATION_ERROR');
      routes.push(input.route);
      revision += 1;
      return { revision, confirmedAt: new Date().toISOString(), gateways: 2, elapsedMs: 7 };
    },
    async readMetricWindows(input) {
      log('readMetricWindows', input);
      return (opts.windows ?? (() => ({ stable: goodStable, candidate: goodCandidate })))(count('readMetricWindows'));
    },
    async runSmokeTest(input) {
      log('runSmokeTest', input);
      return opts.smokeTest ?? { samples: input.samples, validOutputs: input.samples, labelled: input.samples, correct: Math.round(input.samples * 0.95), baselineAccuracy: 0.95 };
    },
    async readShadowComparison(input) {
      log('readShadowComparison', input);
      return (opts.shadow ?? (() => goodShadow(2000)))(count('readShadowComparison'));
    },
    async checkServerHealth(input) {
      log('checkServerHealth', input);
      return opts.health?.(input.servers, count('checkServerHealth')) ?? input.servers.map((server) => ({ server, healthy: true, ready: true }));
    },
    async activateVersion(input) {
      log('activateVersion', input);
      if (opts.activateError === input.versionId) throw ApplicationFailure.nonRetryable(`cannot activate ${input.versionId}`, 'CONFLICT');
    },
    async retireVersion(input) {
      log('retireVersion', input);
    },
    async resolveRollbackTarget(input) {
      log('resolveRollbackTarget', input);
      const previous = input.stable ?? STABLE;
      return { route: { pools: [{ versionId: previous.versionId, weight: 100 }], shadow: null, sticky: null }, restoresRevision: 9, lastSequence: 4, versionIds: [previous.versionId], previous, servers, problem: null, ...opts.rollbackTarget };
    },
    async recordDeploymentStatus(projection) {
      projections.push(JSON.parse(JSON.stringify(projection)));
    },
  };
  return {
    activities,
    calls,
    projections,
    routes,
    named: (name) => calls.filter((c) => c.name === name).map((c) => c.input),
    lastProjection: () => [...projections].sort((a, b) => a.sequence - b.sequence).at(-1),
  };
}

export function goodShadow(samples: number): ShadowComparison {
  return {
    samples,
    labelAgreement: 0.97,
    meanAbsoluteScoreDifference: 0.03,
    shadowRequests: samples,
    shadowErrors: 1,
    primaryRequests: samples,
    primaryErrors: 1,
    shadowP99LatencyMs: 110,
    primaryP99LatencyMs: 100,
    shadowMeanLatencyMs: 42,
    primaryMeanLatencyMs: 40,
  };
}
