/**
 * Which requests the lean inference gateway takes (api/gateway/gateway.ts), decided from the
 * method and URL alone. Pure and free of node:http, so api/main.ts can hand it to OpenTelemetry
 * before the server modules load: these paths get one cheap gateway span instead of the
 * automatic HTTP span.
 */
export const INFERENCE_PREFIX = '/api/v1/inference/';

export type LeanRoute =
  | { kind: 'native'; modelName: string; native: 'single' | 'batch'; query: string }
  | { kind: 'status'; id: string }
  /** parts: null when a segment is not valid percent-encoding (400 in the protocol's error body). */
  | { kind: 'v2'; parts: string[] | null; query: string };

/**
 * Splits "/a/b%20c?x=1" after `prefix` into decoded segments and the raw query; null when a
 * segment is not valid percent-encoding.
 */
export function splitAfter(url: string, prefix: string): { parts: string[]; query: string } | null {
  const q = url.indexOf('?');
  const path = q === -1 ? url.slice(prefix.length) : url.slice(prefix.length, q);
  const raw = path.length === 0 ? [] : path.split('/');
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  const parts: string[] = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const seg = raw[i];
    if (seg.indexOf('%') === -1) parts[i] = seg;
    else {
      try {
        parts[i] = decodeURIComponent(seg);
      } catch {
        return null;
      }
    }
  }
  return { parts, query: q === -1 ? '' : url.slice(q + 1) };
}

/** The gateway route of a request, or null when it is not the gateway's (Express takes it). */
export function leanRoute(method: string, url: string): LeanRoute | null {
  if (url.startsWith(INFERENCE_PREFIX)) {
    const split = splitAfter(url, INFERENCE_PREFIX);
    if (!split) return null;
    const { parts, query } = split;
    if (method === 'POST' && parts.length === 1) return { kind: 'native', modelName: parts[0], native: 'single', query };
    if (method === 'POST' && parts.length === 2 && parts[1] === 'batch') return { kind: 'native', modelName: parts[0], native: 'batch', query };
    if (method === 'GET' && parts.length === 2 && parts[1] === 'status') return { kind: 'status', id: parts[0] };
    return null;
  }
  if (url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?')) {
    const split = url.startsWith('/v2/') ? splitAfter(url, '/v2/') : { parts: [], query: url.slice(url.indexOf('?') + 1 || url.length) };
    return split ? { kind: 'v2', parts: split.parts, query: split.query } : { kind: 'v2', parts: null, query: '' };
  }
  return null;
}

/** True when the gateway takes the request (OpenTelemetry's ignoreIncomingRequestHook for the api). */
export function isLeanRequest(method: string, url: string): boolean {
  return leanRoute(method, url) !== null;
}
