/** Every model, and one model's versions with their status and who registered them. */
import type { modelView, versionView } from '../../../api/routes/model-views';
import type { Api } from '../api-client';
import { html } from '../html';
import { when } from '../format';
import { hrefOf } from '../router';
import { usePoll } from '../use-poll';

type ModelView = ReturnType<typeof modelView>;
type VersionView = ReturnType<typeof versionView>;

export function ModelsPage(props: { api: Api }) {
  const models = usePoll(() => props.api.get<{ models: ModelView[]; total: number }>('/models?limit=100'), [], () => false);
  return html`<section>
    <h2>Models</h2>
    ${models.error && html`<p class="error" role="alert">${models.error.describe()}</p>`}
    <table class="models">
      <thead><tr><th>Name</th><th>Type</th><th>Active version</th><th>Owner</th><th>Tags</th><th>Updated</th></tr></thead>
      <tbody>
        ${(models.data?.models ?? []).map(
          (m) => html`<tr key=${m.modelId} data-model=${m.name}>
            <td><a href=${hrefOf({ page: 'model', id: m.modelId })}>${m.name}</a></td>
            <td>${m.type}</td><td>${m.activeVersion ?? '—'}</td><td>${m.owner}</td><td>${m.tags.join(', ')}</td><td>${when(m.updatedAt)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

export function ModelPage(props: { api: Api; id: string }) {
  const versions = usePoll(() => props.api.get<{ modelId: string; name: string; versions: VersionView[] }>(`/models/${encodeURIComponent(props.id)}/versions`), [props.id], () => false);
  const v = versions.data;
  return html`<section>
    <p><a href=${hrefOf({ page: 'models' })}>← Models</a></p>
    <h2>${v?.name ?? props.id} — versions</h2>
    ${versions.error && html`<p class="error" role="alert">${versions.error.describe()}</p>`}
    <table class="versions">
      <thead><tr><th>Version</th><th>Status</th><th>Aliases</th><th>Interface</th><th>Size</th><th>SHA-256</th><th>Registered</th></tr></thead>
      <tbody>
        ${(v?.versions ?? []).map(
          (x) => html`<tr key=${x.versionId} data-version=${x.version}>
            <td>${x.version}</td><td class="status">${x.status}</td><td>${x.aliases.join(', ')}</td><td>${String(x.interface ?? '')}</td>
            <td>${(x.artifactSizeBytes / 1024).toFixed(1)} KiB</td><td><code>${x.checksum.slice(0, 12)}…</code></td><td>${when(x.createdAt)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
