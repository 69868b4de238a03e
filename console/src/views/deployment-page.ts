/**
 * One deployment, live (polled every second while it runs): step, traffic split, metric charts
 * with thresholds, the evidence behind each decision, history, and the commands the role may use.
 */
import { useEffect, useState } from 'preact/hooks';
import type { DeploymentDetail } from '../../../api/services/deployment-service';
import type { Api, Session } from '../api-client';
import { html } from '../html';
import { clock, num, statusClass, when } from '../format';
import { CHARTS, appendPoint, thresholdOf, type Point } from '../metric-series';
import { hrefOf } from '../router';
import { usePoll } from '../use-poll';
import { CommandBar } from './command-bar';
import { MetricChart } from './metric-chart';
import { TrafficSplit } from './traffic-split';

export function DeploymentPage(props: { api: Api; session: Session; id: string; grafanaUrl: string | null }) {
  const polled = usePoll(() => props.api.get<DeploymentDetail>(`/deployments/${encodeURIComponent(props.id)}`), [props.id], (d) => d.completedAt === null);
  const [series, setSeries] = useState<Point[][]>(CHARTS.map(() => []));
  const d = polled.data;
  useEffect(() => {
    if (d) setSeries((all) => CHARTS.map((spec, i) => appendPoint(all[i], d, spec)));
  }, [d]);
  if (!d) return html`<section>${polled.error ? html`<p class="error" role="alert">${polled.error.describe()}</p>` : html`<p>Loading…</p>`}</section>`;
  const step = d.currentStep;
  return html`<section class="deployment" data-status=${d.status} data-phase=${d.phase}>
    <p><a href=${hrefOf({ page: 'deployments' })}>← Deployments</a></p>
    <h2>${d.modelName} ${d.version} <small>${d.strategy} → ${d.environment}</small></h2>
    <p class="headline">
      <span class=${`status ${statusClass(d.status)}`}>${d.status}${d.phase !== d.status ? ` (${d.phase})` : ''}</span>
      <code>${d.deploymentId}</code>
      ${d.temporalUiUrl && html`<a class="temporal" href=${d.temporalUiUrl} target="_blank" rel="noopener">Temporal workflow</a>`}
      ${props.grafanaUrl && html`<a class="grafana" href=${props.grafanaUrl} target="_blank" rel="noopener">Grafana</a>`}
    </p>
    ${polled.error && html`<p class="error" role="alert">${polled.error.describe()}</p>`}
    <p class="step">${step ? `step ${step.index + 1}/${step.total}: ${step.label} (since ${clock(step.startedAt)})` : d.completedAt ? `ended ${when(d.completedAt)}` : 'step: —'}
      <progress max="100" value=${d.progressPercentage}></progress> ${d.progressPercentage} %</p>
    <${TrafficSplit} stable=${d.stable?.version ?? null} candidate=${d.version} candidatePercent=${d.trafficPercentage} shadow=${d.strategy === 'Shadow'} />
    ${approval(d)}
    <${CommandBar} api=${props.api} session=${props.session} deployment=${d} onDone=${polled.refresh} />
    <div class="charts">${CHARTS.map((spec, i) => html`<${MetricChart} key=${spec.title} title=${spec.title} unit=${spec.unit} points=${series[i]} threshold=${thresholdOf(d, spec)} />`)}</div>
    ${evidence(d)}
    <h3>History</h3>
    <table class="history">
      <thead><tr><th>At</th><th>Step</th><th>Decision</th><th>Reason</th></tr></thead>
      <tbody>${d.history.map((h, i) => html`<tr key=${i}><td>${clock(h.at)}</td><td>${h.step}</td><td>${h.decision}</td><td>${h.reason}</td></tr>`)}</tbody>
    </table>
  </section>`;
}

function approval(d: DeploymentDetail) {
  const a = d.approval;
  if (!a?.required) return null;
  const by = a.decidedByName ?? a.decidedBy;
  const text = a.state === 'Pending'
    ? `approval: waiting for an Admin other than the initiator${a.deadline ? `, until ${when(a.deadline)}` : ''}`
    : `approval: ${a.state}${by ? ` by ${by}` : ''}${a.reason ? `: ${a.reason}` : ''}`;
  return html`<p class="approval" data-approval=${a.state}>${text}</p>`;
}

/** What each decision rests on: the last analysis window, the validation gates, the rollback. */
function evidence(d: DeploymentDetail) {
  const a = d.metrics?.assessment;
  const v = d.validationResult;
  const r = d.rollback;
  return html`<div class="evidence">
    <h3>Decision evidence</h3>
    ${a
      ? html`<p>last analysis window ${clock(d.metrics!.from)}–${clock(d.metrics!.to)}: <b>${a.decision}</b> (${a.phase})</p>
          <table class="checks">
            <thead><tr><th>Metric</th><th>Candidate</th><th>Stable</th><th>Limit</th><th>Phase</th><th>Reason</th></tr></thead>
            <tbody>${a.checks.map((c) => html`<tr key=${c.metric}><td>${c.metric}</td><td>${num(c.candidate)}</td><td>${num(c.stable)}</td><td>${num(c.limit)}</td><td>${c.phase}</td><td>${c.reason}</td></tr>`)}</tbody>
          </table>`
      : html`<p class="muted">No analysis window yet.</p>`}
    ${v && html`<p>validation: ${v.passed ? 'passed' : 'failed'} — ${v.checks.map((c) => `${c.name} ${c.passed ? '✓' : '✗'} ${c.message}`).join('; ')}</p>`}
    ${r && html`<p class="rollback">rollback (${r.trigger})${r.requestedBy ? ` by ${r.requestedBy}` : ''}: ${r.reason}${r.durationMs !== null ? `; traffic back in ${r.durationMs} ms` : ''}${r.errors.length ? `; errors: ${r.errors.join('; ')}` : ''}</p>`}
  </div>`;
}
