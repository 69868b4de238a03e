/** The deployments list, live: one current deployment per model and environment, or every one. */
import { useState } from 'preact/hooks';
import type { DeploymentSummary } from '../../../api/services/deployment-service';
import type { Api } from '../api-client';
import { html } from '../html';
import { statusClass, when } from '../format';
import { hrefOf } from '../router';
import { usePoll } from '../use-poll';

export function DeploymentsPage(props: { api: Api }) {
  const [scope, setScope] = useState<'current' | 'all'>('current');
  const list = usePoll(() => props.api.get<{ deployments: DeploymentSummary[]; total: number }>(`/deployments?scope=${scope}&limit=100`), [scope]);
  return html`<section>
    <h2>Deployments</h2>
    <p class="scope">
      <label><input type="radio" name="scope" checked=${scope === 'current'} onChange=${() => setScope('current')} /> current per model and environment</label>
      <label><input type="radio" name="scope" checked=${scope === 'all'} onChange=${() => setScope('all')} /> all</label>
    </p>
    ${list.error && html`<p class="error" role="alert">${list.error.describe()}</p>`}
    <table class="deployments">
      <thead><tr><th>Model</th><th>Version</th><th>Environment</th><th>Strategy</th><th>Status</th><th>Traffic</th><th>Approval</th><th>Started</th></tr></thead>
      <tbody>
        ${(list.data?.deployments ?? []).map(
          (d) => html`<tr key=${d.deploymentId} data-deployment=${d.deploymentId}>
            <td><a href=${hrefOf({ page: 'deployment', id: d.deploymentId })}>${d.modelName}</a></td>
            <td>${d.version}</td><td>${d.environment}</td><td>${d.strategy}</td>
            <td class=${`status ${statusClass(d.status)}`}>${d.status}${d.phase !== d.status ? ` (${d.phase})` : ''}</td>
            <td>${d.trafficPercentage} %</td><td>${d.approval}</td><td>${when(d.startedAt)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${list.data && list.data.deployments.length === 0 && html`<p class="muted">No deployments yet.</p>`}
  </section>`;
}
