/** The page: sign-in, then the header (pages, who is signed in, links) and the routed page. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { SESSION_ENDED, apiFor, consoleSettings, type Session } from '../api-client';
import { html } from '../html';
import { hrefOf, useRoute } from '../router';
import { loadSession, saveSession } from '../session-store';
import { DeploymentPage } from './deployment-page';
import { DeploymentsPage } from './deployments-page';
import { LoginPage } from './login-page';
import { ModelPage, ModelsPage } from './models-page';

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [links, setLinks] = useState<{ temporalUiUrl: string; grafanaUrl: string | null } | null>(null);
  const route = useRoute();
  const api = useMemo(() => (session ? apiFor(session) : null), [session]);
  useEffect(() => void consoleSettings().then(setLinks, () => setLinks(null)), []);
  const signIn = (s: Session | null) => {
    saveSession(s);
    setSession(s);
  };
  useEffect(() => {
    const ended = () => signIn(null);
    addEventListener(SESSION_ENDED, ended);
    return () => removeEventListener(SESSION_ENDED, ended);
  }, []);
  if (!session || !api) return html`<${LoginPage} onSignedIn=${signIn} />`;
  return html`<div class="shell">
    <header>
      <b>HotSwap</b>
      <nav>
        <a href=${hrefOf({ page: 'deployments' })} class=${route.page.startsWith('deployment') ? 'here' : ''}>Deployments</a>
        <a href=${hrefOf({ page: 'models' })} class=${route.page.startsWith('model') ? 'here' : ''}>Models</a>
        ${links && html`<a href=${links.temporalUiUrl} target="_blank" rel="noopener">Temporal Web UI</a>`}
        ${links?.grafanaUrl && html`<a href=${links.grafanaUrl} target="_blank" rel="noopener">Grafana</a>`}
      </nav>
      <span class="who" data-role=${session.role}>${session.username} (${session.role})</span>
      <button class="sign-out" onClick=${() => signIn(null)}>Sign out</button>
    </header>
    <main>
      ${route.page === 'models' && html`<${ModelsPage} api=${api} />`}
      ${route.page === 'model' && html`<${ModelPage} api=${api} id=${route.id} />`}
      ${route.page === 'deployments' && html`<${DeploymentsPage} api=${api} />`}
      ${route.page === 'deployment' && html`<${DeploymentPage} key=${route.id} api=${api} session=${session} id=${route.id} grafanaUrl=${links?.grafanaUrl ?? null} />`}
    </main>
  </div>`;
}
