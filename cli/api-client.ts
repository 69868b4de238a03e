import { ApiError, ApiUnreachableError, CliError } from './errors';

export interface RequestOptions {
  json?: unknown;
  form?: FormData;
  query?: Record<string, string | number | boolean | undefined>;
}

type Fetch = typeof fetch;

/** The HotSwap REST API over fetch: JSON in and out, the spec's error body turned into ApiError. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly fetchImpl: Fetch = fetch,
  ) {}

  get hasToken(): boolean {
    return this.token !== undefined;
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, json?: unknown): Promise<T> {
    return this.request<T>('POST', path, { json });
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: RequestInit['body'];
    if (opts.form) body = opts.form;
    else if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    const url = `${this.baseUrl}${path}${queryString(opts.query)}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, { method, headers, body });
    } catch (e) {
      throw new ApiUnreachableError(this.baseUrl, causeOf(e));
    }
    const text = await res.text();
    const parsed = parseJson(text);
    if (!res.ok) throw errorFromAnswer(res.status, parsed, text);
    return parsed as T;
  }
}

/** ?a=1&b=x of the defined values; '' when none. Example: queryString({ a: 1, b: undefined }) === '?a=1'. */
export function queryString(query: RequestOptions['query']): string {
  const entries = Object.entries(query ?? {}).filter((e): e is [string, string | number | boolean] => e[1] !== undefined);
  return entries.length > 0 ? `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}` : '';
}

/** An ApiError from the spec's error body; a short excerpt of anything else (a proxy's HTML page). */
export function errorFromAnswer(status: number, body: unknown, text: string): CliError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown; traceId?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    const details = Array.isArray(error.details) ? (error.details as { field: string; message: string }[]) : [];
    return new ApiError(status, error.code, error.message, details, typeof error.traceId === 'string' ? error.traceId : null);
  }
  const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, 120);
  return new CliError(`the API answered HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`, 'is --api the HotSwap API?');
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** fetch wraps the system error (ECONNREFUSED, ENOTFOUND …) in `cause`. */
function causeOf(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}
