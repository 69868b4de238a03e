import { MEASURED_GATES } from '../../domain/validation/gates';
import express from 'express';
import { z } from '../openapi/zod';
import { DEPLOYMENT_STATUSES, DEPLOYMENT_STRATEGIES, ENVIRONMENTS } from '../../domain/deployments/enums';
import { VERDICTS } from '../../domain/decisions/judgement';
import { DeploymentRequestSchema } from '../../domain/deployments/strategy-config-schemas';
import type { ControlCommandKind } from '../../domain/deployments/commands';
import type { AuthModule } from '../app';
import type { RouteCatalogue } from '../http/route-catalogue';
import { parseOrThrow } from '../http/validate';
import { commonErrors, errorResponse, jsonBody } from '../openapi/common-schemas';
import { commandState, type DeploymentService } from '../services/deployment-service';
import { auditNote } from '../audit/audit-calls';

const BASE = '/api/v1/deployments';
const IdParams = z.object({ id: z.string().openapi({ description: 'Deployment id (deploymentId)', example: 'dep-3f0c…' }) });
const notFound = { 404: errorResponse('DEPLOYMENT_NOT_FOUND') };
const conflict = { 409: errorResponse('CONFLICT') };
const unavailable = { 503: errorResponse('SERVICE_UNAVAILABLE (Temporal or the worker did not answer)') };

/** Documentation of the request; the handler validates with DeploymentRequestSchema (strict, per strategy). */
const CreateDeploymentDoc = z
  .object({
    modelId: z.string().openapi({ description: 'Model id or name', example: 'fraud-detection' }),
    versionId: z.string().openapi({ description: 'Version id, semantic version or alias', example: '2.0.0' }),
    strategy: z.enum(DEPLOYMENT_STRATEGIES),
    environment: z.enum(ENVIRONMENTS),
    strategyConfig: z.record(z.string(), z.unknown()).optional().openapi({
      description:
        'Per strategy (unknown fields are rejected). Canary: initialPercentage (alias canaryPercentage), incrementStep, monitoringDuration, rollbackThresholds {accuracyDrop, latencyIncrease, errorRateIncrease}, minSamplesPerStep, minLabelledSamplesPerStep, maxInconclusiveExtensions, warmupDuration. BlueGreen: smokeTestSamples, smokeTestMinAccuracyRatio, monitoringDuration, keepBlueDuration, rollbackThresholds, minSamples, minLabelledSamples. ABTesting: splitRatio, minimumSamples, significanceLevel, primaryMetric, duration, lookInterval, spending, stickyHeader, rollbackThresholds, guardrailMinSamples. Shadow: shadowPercentage, comparisonSamples, predictionDifferenceThreshold, duration, checkInterval, latencyIncrease, errorRateIncrease. Rolling: batchSize, waitDuration, maxFailures, rollbackThresholds, minSamples. Every strategy: bakeWindow (default PT30M; PT0S = none; BlueGreen also accepts its older name keepBlueDuration): after promotion the previous version stays warm this long, and rollback, promote (end the bake now) and a new deployment (supersedes it) are accepted. Durations are ISO-8601 (PT5M).',
      example: { canaryPercentage: 10, incrementStep: 15, monitoringDuration: 'PT5M', rollbackThresholds: { accuracyDrop: 0.05, latencyIncrease: 1.5 } },
    }),
  })
  .openapi('CreateDeploymentRequest');

const CreatedSchema = z
  .object({
    deploymentId: z.string(),
    status: z.literal('Pending'),
    strategy: z.enum(DEPLOYMENT_STRATEGIES),
    environment: z.enum(ENVIRONMENTS),
    modelId: z.string(),
    modelName: z.string(),
    versionId: z.string(),
    version: z.string(),
    startedAt: z.string(),
    estimatedCompletionTime: z.string().openapi({ description: 'Upper estimate from the plan’s timers (approval time not included)' }),
    workflowId: z.string(),
    temporalUiUrl: z.string().openapi({ description: 'The workflow in the Temporal Web UI' }),
  })
  .openapi('DeploymentCreated');

const SummarySchema = z
  .object({
    deploymentId: z.string(),
    modelId: z.string(),
    modelName: z.string(),
    versionId: z.string(),
    version: z.string(),
    strategy: z.enum(DEPLOYMENT_STRATEGIES),
    environment: z.enum(ENVIRONMENTS),
    status: z.enum(DEPLOYMENT_STATUSES),
    phase: z.string(),
    progressPercentage: z.number(),
    trafficPercentage: z.number(),
    initiatedBy: z.string(),
    approval: z.string(),
    startedAt: z.string(),
    updatedAt: z.string(),
    completedAt: z.string().nullable(),
    errorMessage: z.string().nullable(),
    workflowId: z.string().nullable(),
  })
  .openapi('DeploymentSummary');

const ApprovalSchema = z.object({
  required: z.boolean(),
  state: z.enum(['NotRequired', 'Pending', 'Approved', 'Rejected', 'TimedOut']),
  requestedAt: z.string().nullable(),
  deadline: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decidedByName: z.string().nullable(),
  decidedAt: z.string().nullable(),
  reason: z.string().nullable(),
});

const JudgementSchema = z
  .object({
    metric: z.enum(['errorRate', 'accuracy', 'latency']),
    verdict: z.enum(VERDICTS),
    test: z.string().openapi({ description: 'msprt-normal-mixture (error rate, accuracy; latency without histograms) or dirichlet-multinomial-sequential (latency histograms); docs/DECISIONS.md' }),
    statistic: z.number().openapi({ description: 'Mixture likelihood ratio / Bayes factor: evidence of a difference' }),
    bound: z.number().openapi({ description: '1/α: the statistic at or above it means a difference (false-alarm rate ≤ α however often one looks)' }),
    estimate: z.number().openapi({ description: 'Degradation: candidate worse than control is positive (error-rate points, accuracy points, ln latency ratio)' }),
    interval: z.tuple([z.number(), z.number()]).nullable().openapi({ description: 'Anytime-valid 1 − α interval for the degradation; null below the minimum samples' }),
    margin: z.number().openapi({ description: 'The tolerance: Successful when the interval lies below it' }),
    alpha: z.number(),
    samples: z.object({ control: z.number(), candidate: z.number() }),
    reason: z.string(),
  })
  .openapi('DecisionEvidence');

const HistoryEntrySchema = z.object({
  at: z.string(),
  step: z.string(),
  decision: z.string(),
  reason: z.string(),
  evidence: z.array(JudgementSchema).optional().openapi({ description: 'The judgements behind an analysis decision' }),
});

const DetailSchema = SummarySchema.omit({ approval: true })
  .extend({
    stable: z.object({ versionId: z.string(), version: z.string() }).nullable(),
    currentStep: z.unknown().openapi({ description: '{index, total, step, label, startedAt} or null' }),
    history: z.array(HistoryEntrySchema),
    approval: ApprovalSchema,
    validationResult: z.unknown().openapi({ description: '{passed, checks[{name, passed, message, outcome?, overridable?, override?, measured?}], metrics, validatedAt} or null' }),
    metrics: z.unknown().openapi({ description: 'The last analysis window: {from, to, stable, candidate, assessment} or null' }),
    liveMetrics: z.unknown().openapi({ description: 'Last 5 minutes per version (running deployments): {from, to, stable, candidate}' }),
    assignedServers: z.array(z.string()),
    smokeTest: z.unknown(),
    shadow: z.unknown(),
    abTest: z.unknown(),
    rollback: z.unknown().openapi({ description: '{trigger, reason, decidedAt, trafficRestoredAt, durationMs, routeRevision, errors, requestedBy} or null' }),
    supersededBy: z.string().nullable().optional().openapi({ description: 'The deployment that superseded this one (status Superseded)' }),
    analysisPhase: z.string(),
    temporalUiUrl: z.string().nullable(),
    source: z.enum(['workflow', 'projection']),
  })
  .openapi('DeploymentDetail');

const ListQuerySchema = z
  .object({
    scope: z.enum(['current', 'all']).default('current').openapi({
      description:
        'current (default): one deployment per model and environment, the one in force there — the running one (an Active one in its bake window counts), else the Active one, else the newest; status and strategy then filter those. all: every deployment (Superseded ones included).',
    }),
    model: z.string().min(1).max(200).optional().openapi({ description: 'Model id or name' }),
    status: z.enum(DEPLOYMENT_STATUSES).optional(),
    strategy: z.enum(DEPLOYMENT_STRATEGIES).optional(),
    environment: z.enum(ENVIRONMENTS).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const reason = () => z.string().trim().min(1, 'is required').max(2000);
const ReasonRequired = z.object({ reason: reason() }).strict().openapi('CommandWithReason');
const OverrideRequest = z.object({ gate: z.enum(MEASURED_GATES), reason: reason() }).strict().openapi('GateOverride');
const ReasonOptional = z.object({ reason: reason().optional() }).strict().openapi('CommandWithOptionalReason');

const CONTROL: { kind: ControlCommandKind; summary: string; reasonRequired: boolean }[] = [
  { kind: 'pause', summary: 'Hold the deployment at its current step and traffic split (monitoring clocks stop)', reasonRequired: false },
  { kind: 'resume', summary: 'Resume a paused deployment', reasonRequired: false },
  { kind: 'promote', summary: 'Skip the remaining waits and measurements and promote the candidate now', reasonRequired: false },
  { kind: 'abort', summary: 'Stop the deployment; traffic goes back to the stable version (ends Cancelled)', reasonRequired: true },
  {
    kind: 'rollback',
    summary:
      'Roll back (ends RolledBack). While rolling out or in the bake window: traffic back on the still-warm previous version. After the deployment ended: a rollbackDeployment workflow (id rollback-<deploymentId>) reloads the previous version if it was retired, restores the routing the deployment replaced, reactivates the previous version and retires the candidate. 409 for a superseded deployment or while another deployment of the model and environment runs.',
    reasonRequired: true,
  },
];

export function deploymentRoutes(service: DeploymentService, auth: AuthModule) {
  return (catalogue: RouteCatalogue) => {
    const r = express.Router();
    const add = catalogue.add.bind(catalogue, r, BASE);
    const mount = express.Router();
    mount.use('/deployments', r);

    add('post', '/', 'deployments:create:nonprod', {
      summary: 'Start a deployment (one per model and environment at a time)',
      tags: ['Deployments'],
      description:
        'Production also needs deployments:create:prod (MLEngineer, Admin) and waits for an Admin other than the initiator to approve it. A deployment of the same model and environment in its bake window is superseded first (it retires its previous version and ends Superseded); one still rolling out answers 409.',
      request: { body: jsonBody(CreateDeploymentDoc) },
      responses: { 202: jsonBody(CreatedSchema, 'Accepted: the workflow runs'), ...commonErrors, 404: errorResponse('MODEL_NOT_FOUND / VERSION_NOT_FOUND'), 409: errorResponse('CONFLICT: a deployment of this model and environment is running (named in the message)'), ...unavailable },
    }, auth.limit('deploy'), async (req, res) => {
      const body = parseOrThrow(DeploymentRequestSchema, req.body ?? {});
      const created = await service.create(body, req.principal!);
      auditNote(res, { target: { type: 'deployment', id: created.deploymentId }, after: created });
      res.status(202).location(`${BASE}/${created.deploymentId}`).json(created);
    });

    add('get', '/', 'deployments:read', {
      summary: 'List deployments, newest first (by default one current deployment per model and environment: see scope)',
      tags: ['Deployments'],
      request: { query: ListQuerySchema },
      responses: { 200: jsonBody(z.object({ deployments: z.array(SummarySchema), total: z.number(), limit: z.number(), offset: z.number() })), ...commonErrors },
    }, async (req, res) => {
      const q = parseOrThrow(ListQuerySchema, req.query, 'query');
      const { deployments, total } = await service.list(q);
      res.json({ deployments, total, limit: q.limit, offset: q.offset });
    });

    add('get', '/:id', 'deployments:read', {
      summary: 'Deployment status: the live workflow state when reachable, else the stored projection',
      tags: ['Deployments'],
      request: { params: IdParams },
      responses: { 200: jsonBody(DetailSchema), ...commonErrors, ...notFound },
    }, async (req, res) => {
      res.json(await service.get(String(req.params.id)));
    });

    for (const decision of ['approve', 'reject'] as const) {
      add('post', `/:id/${decision}`, 'deployments:approve', {
        summary: decision === 'approve' ? 'Approve a Production deployment (an Admin other than the initiator)' : 'Reject a Production deployment (it ends Cancelled)',
        tags: ['Deployments'],
        request: { params: IdParams, body: jsonBody(ReasonRequired) },
        responses: {
          200: jsonBody(z.object({ deploymentId: z.string(), approval: ApprovalSchema.nullable(), accepted: z.boolean() })),
          ...commonErrors,
          403: errorResponse('FORBIDDEN: not an Admin, or the initiator approving their own deployment'),
          ...notFound,
          409: errorResponse('CONFLICT: the deployment is not awaiting approval'),
          ...unavailable,
        },
      }, async (req, res) => {
        const body = parseOrThrow(ReasonRequired, req.body ?? {});
        const { before, ...result } = await service.decide(decision, String(req.params.id), body.reason, req.principal!);
        auditNote(res, { target: { type: 'deployment', id: result.deploymentId }, before, after: result.approval ? { approval: result.approval.state } : undefined, details: { reason: body.reason } });
        res.json(result);
      });
    }

    add('post', '/:id/override', 'deployments:approve', {
      summary: 'Override a failed validation gate (Admin, with a reason): the deployment goes on; the override is shown in the validation report and history and audited',
      tags: ['Deployments'],
      request: { params: IdParams, body: jsonBody(OverrideRequest) },
      responses: {
        200: jsonBody(z.object({ deploymentId: z.string(), validationResult: z.unknown().nullable(), accepted: z.boolean() })),
        ...commonErrors,
        403: errorResponse('FORBIDDEN: not an Admin'),
        ...notFound,
        409: errorResponse('CONFLICT: the deployment is not waiting for an override of that gate'),
        ...unavailable,
      },
    }, async (req, res) => {
      const body = parseOrThrow(OverrideRequest, req.body ?? {});
      const { before, ...result } = await service.overrideGate(String(req.params.id), body.gate, body.reason, req.principal!);
      const gate = result.validationResult?.checks.find((c) => c.name === body.gate);
      auditNote(res, { target: { type: 'deployment', id: result.deploymentId }, before, after: gate ? { gate: body.gate, outcome: gate.outcome ?? null } : undefined, details: { gate: body.gate, reason: body.reason } });
      res.json(result);
    });

    for (const c of CONTROL) {
      const schema = c.reasonRequired ? ReasonRequired : ReasonOptional;
      add('post', `/:id/${c.kind}`, 'deployments:control', {
        summary: c.summary,
        tags: ['Deployments'],
        request: { params: IdParams, body: jsonBody(schema) },
        responses: { 200: jsonBody(DetailSchema, 'Done: the workflow’s state after the command'), 202: jsonBody(DetailSchema, 'Accepted, still in progress (the stored projection)'), ...commonErrors, ...notFound, ...conflict, ...unavailable },
      }, async (req, res) => {
        const body: { reason?: string } = parseOrThrow(schema, req.body ?? {});
        const { view, completed, before } = await service.control(c.kind, String(req.params.id), body.reason, req.principal!);
        auditNote(res, { target: { type: 'deployment', id: view.deploymentId }, before, after: commandState(view), details: { ...(body.reason !== undefined && { reason: body.reason }), completed } });
        const extra =
          c.kind === 'rollback' && completed
            ? { rolledBackAt: view.rollback?.trafficRestoredAt ?? view.completedAt, previousVersion: view.version, currentVersion: view.stable?.version ?? null }
            : {};
        res.status(completed ? 200 : 202).json({ ...view, ...extra });
      });
    }

    return mount;
  };
}
