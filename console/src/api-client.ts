/**
 * The console's only way to the server: the public API (/api/v1/...) with the signed-in user's
 * token. A non-2xx answer becomes an ApiError carrying the spec's error body.
 */
import type { Role } from '../../domain/permissions';

export interface Session {
  token: string;
  username: string;
  role: Role;
  expiresAt: string;
}

export interface FieldDetail {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** One line for the page: code, message and the field-level details. */
  describe(): string {
    const details = this.details.map((d) => `${d.field}: ${d.message}`).join('; ');
    return `${this.code}: ${this.message}${details ? ` (${details})` : ''}`;
  }
}

/** Fired when the API refuses the session's token (expired, or the user disabled): sign in again. */
export const SESSION_ENDED = 'hotswap:session-ended';

async function request<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (res.status === 401 && token) dispatchEvent(new Event(SESSION_ENDED));
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string; details?: FieldDetail[] } } | null)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? res.statusText, e?.details ?? []);
  }
  return parsed as T;
}

export async function login(username: string, password: string): Promise<Session> {
  const r = await request<{ token: string; expiresAt: string; user: { username: string; role: Role } }>('POST', '/api/v1/authentication/login', null, { username, password });
  return { token: r.token, expiresAt: r.expiresAt, username: r.user.username, role: r.user.role };
}

/** Calls made on behalf of one signed-in user. */
export function apiFor(session: Session) {
  const get = <T>(path: string) => request<T>('GET', `/api/v1${path}`, session.token);
  const post = <T>(path: string, body: unknown) => request<T>('POST', `/api/v1${path}`, session.token, body);
  return { get, post };
}

export type Api = ReturnType<typeof apiFor>;

/** Links to the other UIs (served beside the console by the api). */
export async function consoleSettings(): Promise<{ temporalUiUrl: string; grafanaUrl: string | null }> {
  return request('GET', 'settings.json', null);
}
