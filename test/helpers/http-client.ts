import { randomBytes } from 'node:crypto';
import type { Role } from '../../domain/permissions';

/** One answer of the api: status, parsed JSON body (the text when it is not JSON), headers. */
export interface CallResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as JSON (content-type application/json unless `headers` says otherwise). */
  body?: unknown;
  /** Sent as is (a FormData upload, a string that is not valid JSON, …). */
  rawBody?: NonNullable<RequestInit['body']>;
  headers?: Record<string, string>;
}

export type Call = <T = any>(method: string, path: string, opts?: CallOptions) => Promise<CallResult<T>>;

/** The test harnesses' HTTP client for one api: `call('GET', '/api/v1/models', { token })`. */
export function apiCaller(baseUrl: string): Call {
  return async <T>(method: string, path: string, opts: CallOptions = {}): Promise<CallResult<T>> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: RequestInit['body'] | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.body);
    }
    const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined && { body, duplex: 'half' }) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
}

/** Logs in through the api; throws with the api's answer when it refuses. */
export async function login(call: Call, username: string, password: string): Promise<string> {
  const res = await call<{ token: string }>('POST', '/api/v1/authentication/login', { body: { username, password } });
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}

/**
 * `tokenFor(role)`: a token of a user with that role, created through the api (by the
 * bootstrap admin) on first use and reused after. `adminToken` is the admin's, logged in once.
 */
export function tokenCache(call: Call, adminToken: () => Promise<string>): (role: Role) => Promise<string> {
  const tokens = new Map<Role, Promise<string>>();
  const tokenFor = (role: Role): Promise<string> => {
    let t = tokens.get(role);
    if (!t) {
      t = (async () => {
        if (role === 'Admin') return adminToken();
        const admin = await tokenFor('Admin');
        const username = `${role.toLowerCase()}-${randomBytes(3).toString('hex')}`;
        const password = randomBytes(18).toString('base64url');
        const created = await call('POST', '/api/v1/users', { token: admin, body: { username, password, role } });
        if (created.status !== 201) throw new Error(`creating ${role} failed: ${created.status} ${JSON.stringify(created.body)}`);
        return login(call, username, password);
      })();
      tokens.set(role, t);
    }
    return t;
  };
  return tokenFor;
}
