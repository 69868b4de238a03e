/** Hash routes, so the api serves one static page: #/models, #/models/{id}, #/deployments, #/deployments/{id}. */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'models' }
  | { page: 'model'; id: string }
  | { page: 'deployments' }
  | { page: 'deployment'; id: string };

export function parseRoute(hash: string): Route {
  const [, page, id] = hash.replace(/^#/, '').split('/');
  if (page === 'models' && id) return { page: 'model', id: decodeURIComponent(id) };
  if (page === 'deployments' && id) return { page: 'deployment', id: decodeURIComponent(id) };
  if (page === 'models') return { page: 'models' };
  return { page: 'deployments' };
}

export const hrefOf = (r: Route): string => ('id' in r ? `#/${r.page === 'model' ? 'models' : 'deployments'}/${encodeURIComponent(r.id)}` : `#/${r.page}`);

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
