/** Pure renderers of the API's answers (except deployments) for people: tables and "key: value" lines. */
import type { modelView, versionView } from '../../api/routes/model-views';
import type { DeploymentSummary } from '../../api/services/deployment-service';
import { fields, scalar, table } from './table';

export type ModelView = ReturnType<typeof modelView>;
export type VersionView = ReturnType<typeof versionView>;

export function renderModels(body: { models: ModelView[]; total: number }): string[] {
  if (body.models.length === 0) return ['no models (register one with `hotswap models register DIR`)'];
  const rows = body.models.map((m) => [m.name, m.activeVersion ?? '-', m.framework, m.type, m.tags.join(',') || '-', m.owner ?? '-']);
  return [...table(['NAME', 'ACTIVE', 'FRAMEWORK', 'TYPE', 'TAGS', 'OWNER'], rows), `${body.total} model(s)`];
}

export function renderModel(m: ModelView): string[] {
  const aliases = Object.entries(m.aliases ?? {}).map(([a, v]) => `${a}=${v}`);
  return [
    ...fields(m, ['name', 'modelId', 'description', 'framework', 'type', 'owner', 'tags', 'activeVersion']),
    `aliases: ${aliases.join(', ') || '-'}`,
    ...fields(m, ['isArchived', 'createdAt', 'updatedAt']),
  ];
}

export function renderVersions(body: { name?: string; versions: VersionView[] }): string[] {
  if (body.versions.length === 0) return [`no versions of ${body.name ?? 'this model'}`];
  const rows = body.versions.map((v) => [v.version, v.status, v.aliases.join(',') || '-', sizeText(v.artifactSizeBytes), v.checksum.slice(0, 19), v.createdAt]);
  return table(['VERSION', 'STATUS', 'ALIASES', 'SIZE', 'CHECKSUM', 'CREATED'], rows);
}

export function renderVersion(v: VersionView): string[] {
  const features = featureNames(v.inputSchema);
  return [
    ...fields(v, ['modelName', 'version', 'versionId', 'status', 'aliases', 'checksum', 'artifactPath']),
    `size: ${sizeText(v.artifactSizeBytes)}`,
    `features: ${features.length > 0 ? features.join(', ') : '-'}`,
    ...fields(v, ['createdBy', 'createdAt', 'approvedBy', 'approvedAt']),
  ];
}

/** What POST /models (or /models/{id}/versions) answered, readably. */
export function renderRegistered(body: Record<string, unknown>, created: 'model' | 'version'): string[] {
  const name = body.name ?? body.modelName;
  const head = created === 'model' ? `registered model ${scalar(name)}${body.version ? ` with version ${scalar(body.version)}` : ''}` : `registered ${scalar(name)} ${scalar(body.version)}`;
  return [head, ...fields(body, ['modelId', 'versionId', 'status', 'checksum', 'artifactPath'])];
}

export function renderDeploymentList(body: { deployments: DeploymentSummary[]; total: number }): string[] {
  if (body.deployments.length === 0) return ['no deployments'];
  const rows = body.deployments.map((d) => [d.deploymentId, d.modelName, d.version, d.strategy, d.environment, d.status, `${d.trafficPercentage}%`, d.startedAt]);
  return [...table(['ID', 'MODEL', 'VERSION', 'STRATEGY', 'ENV', 'STATUS', 'TRAFFIC', 'STARTED'], rows), `${body.deployments.length} of ${body.total}`];
}

interface RoutingView {
  modelName: string;
  environment: string;
  revision: number;
  pools: { version: string; weight: number; role: string }[];
  shadow: { version: string; percentage: number } | null;
  sticky: { header: string } | null;
  updatedAt: string;
  updatedBy: string | null;
}

export function renderRouting(r: RoutingView): string[] {
  const lines = [`${r.modelName} in ${r.environment}, revision ${r.revision} (${r.updatedAt}${r.updatedBy ? ` by ${r.updatedBy}` : ''})`];
  lines.push(...table(['VERSION', 'WEIGHT', 'ROLE'], r.pools.map((p) => [p.version, `${p.weight}%`, p.role])));
  if (r.shadow) lines.push(`shadow: ${r.shadow.percentage}% mirrored to ${r.shadow.version}`);
  if (r.sticky) lines.push(`sticky on header ${r.sticky.header}`);
  return lines;
}

interface MetricsBlock {
  totalRequests: number;
  failedInferences: number;
  errorRate: number | null;
  p50LatencyMs: number | null;
  p99LatencyMs: number | null;
  throughputRps: number;
  accuracy: number | null;
  labelledCount: number;
}

interface MetricsAnswer {
  modelName: string;
  window: string;
  from: string;
  to: string;
  environment: string | null;
  metrics: MetricsBlock;
  versions?: { version: string; roles: string[]; metrics: MetricsBlock }[];
}

export function renderMetrics(m: MetricsAnswer): string[] {
  const row = (label: string, x: MetricsBlock) => [
    label, x.totalRequests, x.failedInferences, pct(x.errorRate), ms(x.p50LatencyMs), ms(x.p99LatencyMs), x.throughputRps.toFixed(2), pct(x.accuracy), x.labelledCount,
  ];
  const rows = [row('(all)', m.metrics), ...(m.versions ?? []).map((v) => row(v.version, v.metrics))];
  return [
    `${m.modelName}, ${m.window} (${m.from} – ${m.to})${m.environment ? ` in ${m.environment}` : ''}`,
    ...table(['VERSION', 'REQUESTS', 'FAILED', 'ERRORS', 'P50', 'P99', 'REQ/S', 'ACCURACY', 'LABELLED'], rows),
  ];
}

interface PredictionAnswer {
  requestId: string;
  modelName: string;
  version: string;
  prediction: unknown;
  confidence?: number | null;
  latencyMs: number;
}

export function renderPrediction(p: PredictionAnswer): string[] {
  const pred = p.prediction as { label?: unknown; probabilities?: Record<string, number> } | null;
  const label = pred && typeof pred === 'object' && 'label' in pred ? `label ${scalar(pred.label)}` : `prediction ${scalar(p.prediction)}`;
  const probabilities = pred?.probabilities ? Object.entries(pred.probabilities).map(([k, v]) => `${k} ${v.toFixed(6)}`).join(', ') : null;
  return [
    `${p.modelName} ${p.version}: ${label}${typeof p.confidence === 'number' ? ` (confidence ${p.confidence.toFixed(6)})` : ''}`,
    ...(probabilities ? [`probabilities: ${probabilities}`] : []),
    `request ${p.requestId}, ${p.latencyMs.toFixed(1)} ms`,
  ];
}

/** The names of the features an input schema takes (its properties), in tensor order when it gives one. */
export function featureNames(schema: unknown): string[] {
  const s = schema as { properties?: Record<string, unknown>; 'x-hotswap-tensor'?: { order?: string[] } } | null;
  return s?.['x-hotswap-tensor']?.order ?? Object.keys(s?.properties ?? {});
}

/** Example: sizeText(1536) === '1.5 KiB'. */
export function sizeText(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);
const ms = (x: number | null) => (x === null ? '-' : `${x.toFixed(1)} ms`);
