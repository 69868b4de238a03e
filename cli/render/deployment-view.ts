/**
 * Pure rendering of a deployment (GET /api/v1/deployments/{id}) to lines: what `deployments
 * show` prints and what `--watch` redraws in place. No I/O, no clock but the `now` passed in.
 */
import type { DeploymentDetail, LiveVersionMetrics } from '../../api/services/deployment-service';
import type { MetricCheck } from '../../domain/deployments/analysis';
import { isTerminalStatus } from '../../domain/deployments/enums';
import type { Colors } from './colors';
import { trafficBar } from './traffic-bar';

export interface Viewer {
  /** The user id of whoever runs the CLI (GET /authentication/me), to say "other than you". */
  id: string | null;
  role: string | null;
}

export interface RenderOptions {
  colors: Colors;
  viewer: Viewer;
  now: Date;
  barWidth?: number;
}

const BAD_ENDINGS = new Set(['Failed', 'RolledBack', 'Cancelled']);

/** Exit code of a watch that saw this status: 1 when the deployment failed, rolled back or was cancelled. */
export function watchExitCode(status: string): number {
  return BAD_ENDINGS.has(status) ? 1 : 0;
}

/** Whether a watch stops here: the rollout is over (Active in its bake window counts as over). */
export function rolloutEnded(d: Pick<DeploymentDetail, 'status'>): boolean {
  return isTerminalStatus(d.status);
}

export function renderDeployment(d: DeploymentDetail, o: RenderOptions): string[] {
  const c = o.colors;
  const lines = [
    `${c.bold(`${d.modelName} ${d.version}`)}  ${d.strategy} → ${d.environment}  ${statusText(d, c)}  ${c.dim(d.deploymentId)}`,
    stepLine(d, o.now),
    ...trafficLines(d, o),
    ...validationLines(d, c),
    ...approvalLines(d, o),
    ...analysisLines(d, c),
    ...liveLines(d),
    ...endingLines(d, c),
  ];
  if (d.temporalUiUrl) lines.push(`Temporal: ${c.cyan(d.temporalUiUrl)}`);
  return lines;
}

/**
 * One line that changes when anything a person follows changes (for pipes and logs).
 * Example: "Deploying (Analysing) step 4/8 analysis PT20S, traffic on 2.0.0: 25%".
 */
export function summaryLine(d: DeploymentDetail): string {
  const step = d.currentStep ? `step ${d.currentStep.index + 1}/${d.currentStep.total} ${d.currentStep.label}` : 'step -';
  return `${d.status} (${d.phase}) ${step}, traffic on ${d.version}: ${d.trafficPercentage}%`;
}

function statusText(d: DeploymentDetail, c: Colors): string {
  const text = d.phase && d.phase !== d.status ? `${d.status} (${d.phase})` : d.status;
  if (BAD_ENDINGS.has(d.status)) return c.red(text);
  if (d.status === 'Active') return c.green(text);
  return c.yellow(text);
}

function stepLine(d: DeploymentDetail, now: Date): string {
  const s = d.currentStep;
  if (!s) return `step: ${rolloutEnded(d) ? 'done' : '-'}`;
  const since = Math.max(0, Math.round((now.getTime() - Date.parse(s.startedAt)) / 1000));
  return `step ${s.index + 1}/${s.total}: ${s.label} (for ${formatSeconds(since)})`;
}

/** "42 s", "3 min 05 s". */
export function formatSeconds(s: number): string {
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

function trafficLines(d: DeploymentDetail, o: RenderOptions): string[] {
  const width = o.barWidth ?? 30;
  const rows: { label: string; share: number }[] = [];
  const shadowing = d.strategy === 'Shadow';
  if (d.stable) rows.push({ label: `${d.stable.version} (stable)`, share: 100 - d.trafficPercentage });
  rows.push({ label: `${d.version} (${shadowing ? 'shadow' : 'candidate'})`, share: d.trafficPercentage });
  const labelWidth = Math.max(...rows.map((r) => r.label.length));
  return ['traffic', ...rows.map((r) => `  ${r.label.padEnd(labelWidth)}  ${trafficBar(r.share, width)} ${String(r.share).padStart(3)}%`)];
}

function approvalLines(d: DeploymentDetail, o: RenderOptions): string[] {
  const a = d.approval;
  if (!a?.required) return [];
  if (a.state === 'Pending') {
    if (d.status !== 'AwaitingApproval') return ['approval: required (asked once validation passes)'];
    const who = o.viewer.id !== null && o.viewer.id === d.initiatedBy ? 'an Admin other than you' : 'an Admin other than the initiator';
    const deadline = a.deadline ? `, until ${a.deadline}` : '';
    return [o.colors.yellow(`waiting for approval by ${who}${deadline}`) + `  (hotswap approve ${d.deploymentId} --reason …)`];
  }
  const by = a.decidedByName ?? a.decidedBy;
  return [`approval: ${a.state}${by ? ` by ${by}` : ''}${a.reason ? `: ${a.reason}` : ''}`];
}

/**
 * The validation report while it matters (validating, waiting for an override, or any gate failed
 * or overridden): one line per gate, and how to override. Example: "  latency  Failed: candidate median 1.4 ms …".
 */
function validationLines(d: DeploymentDetail, c: Colors): string[] {
  const r = d.validationResult;
  if (!r) return [];
  const notable = r.checks.some((k) => !k.passed || k.outcome === 'Overridden');
  if (d.phase !== 'AwaitingOverride' && !notable) return [];
  const lines = [`validation: ${r.passed ? c.green('passed') : c.red('failed')}`];
  for (const k of r.checks) {
    const outcome = k.outcome ?? (k.passed ? 'Passed' : 'Failed');
    const by = k.override ? ` (overridden by ${k.override.byName}: ${k.override.reason})` : '';
    lines.push(`  ${k.name.padEnd(20)} ${outcome === 'Failed' ? c.red(outcome) : outcome === 'Passed' ? c.green(outcome) : c.yellow(outcome)}: ${k.message}${by}`);
  }
  const waiting = r.checks.filter((k) => !k.passed && k.overridable).map((k) => k.name);
  if (d.phase === 'AwaitingOverride' && waiting.length > 0) lines.push(c.yellow(`waiting for an Admin to override ${waiting.join(', ')}`) + `  (hotswap override ${d.deploymentId} --gate ${waiting[0]} --reason …)`);
  return lines;
}

/** The last analysis window: each metric against its threshold, with the evidence behind the verdict. */
function analysisLines(d: DeploymentDetail, c: Colors): string[] {
  const m = d.metrics;
  if (!m?.assessment) return [];
  const a = m.assessment;
  const window = `${m.from.slice(11, 19)}–${m.to.slice(11, 19)}`;
  const lines = [`last analysis window ${window}: ${a.decision} (${phaseText(a.phase, c)})`];
  for (const check of a.checks) lines.push(`  ${checkLine(check, c)}`);
  return lines;
}

/**
 * One metric check: candidate vs stable against the limit, its phase and reason.
 * Example: "errorRate    0.02 vs 0  limit 0.01  Failed: error rate 2.0% vs 0.0%" (candidate first).
 */
export function checkLine(check: MetricCheck, c: Colors): string {
  const values = `${num(check.candidate)} vs ${num(check.stable)}`;
  const limit = check.limit === null ? '' : `  limit ${num(check.limit)}`;
  return `${check.metric.padEnd(12)} ${values}${limit}  ${phaseText(check.phase, c)}: ${check.reason}`;
}

function phaseText(phase: string, c: Colors): string {
  if (phase === 'Successful') return c.green(phase);
  if (phase === 'Failed') return c.red(phase);
  return c.yellow(phase);
}

function liveLines(d: DeploymentDetail): string[] {
  const live = d.liveMetrics;
  if (!live || (!live.stable && !live.candidate)) return [];
  const rows = [live.candidate, live.stable].filter((v): v is LiveVersionMetrics => v !== null).map((v) => `  ${liveText(v)}`);
  return ['live, last 5 min', ...rows];
}

function liveText(v: LiveVersionMetrics): string {
  const accuracy = v.accuracy === null ? '-' : `${(v.accuracy * 100).toFixed(1)}% of ${v.labelled}`;
  const errorRate = v.errorRate === null ? '-' : `${(v.errorRate * 100).toFixed(2)}%`;
  return `${v.version}: ${v.requests} req, errors ${errorRate}, p99 ${v.p99LatencyMs === null ? '-' : `${v.p99LatencyMs.toFixed(1)} ms`}, accuracy ${accuracy}`;
}

function endingLines(d: DeploymentDetail, c: Colors): string[] {
  if (!rolloutEnded(d)) return [];
  const r = d.rollback;
  if (r) {
    const restored = r.durationMs === null ? '' : `, traffic restored in ${r.durationMs} ms`;
    return [c.red(`${d.status}: ${r.reason} (trigger ${r.trigger}${restored})`)];
  }
  if (BAD_ENDINGS.has(d.status)) return [c.red(`${d.status}${d.errorMessage ? `: ${d.errorMessage}` : ''}`)];
  if (d.status === 'Active') return [c.green(`Active: ${d.version} serves ${d.trafficPercentage}% of ${d.environment}`)];
  return [`${d.status}${d.supersededBy ? ` by ${d.supersededBy}` : ''}`];
}

/** 4 significant digits, or '-'. Example: num(0.012345) === '0.01235'; num(null) === '-'. */
export function num(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4)));
}
