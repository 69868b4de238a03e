/**
 * HTTP client of the model servers' control API and native predict routes, authenticated with
 * the shared SERVICE_TOKEN. Knows nothing of deployments: it returns what a server answered.
 */
import type { LoadRequest } from '../domain/serving/load-request';

/** A server's summary of one loaded version. */
export interface VersionSummary {
  versionId: string;
  modelName: string;
  version: string;
  state: string;
  [key: string]: unknown;
}

export type LoadOutcome =
  | { ok: true; summary: VersionSummary }
  /** The server refused or failed the load (a 4xx/422 answer): retrying the same request will not help. */
  | { ok: false; status: number; code: string; reason: string };

export interface UnloadOutcome {
  wasLoaded: boolean;
  drainMs?: number;
  timedOut?: boolean;
}

/** A server could not be reached, or answered 5xx: may work later. */
export class ServerUnreachableError extends Error {
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServerUnreachableError';
  }
}

export interface BatchPrediction {
  predictions: unknown[];
  confidences: unknown[];
}

interface Answer {
  status: number;
  body: unknown;
}

const trim = (url: string) => url.replace(/\/$/, '');
const segment = (s: string) => encodeURIComponent(s);

function errorOf(body: unknown): { code: string; message: string } {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return { code: typeof e?.code === 'string' ? e.code : 'INTERNAL_ERROR', message: typeof e?.message === 'string' ? e.message : 'no error message' };
}

export class ModelServerClient {
  constructor(
    private readonly serviceToken: string,
    private readonly opts: { requestTimeoutMs?: number; fetchFn?: typeof fetch } = {},
  ) {}

  private async request(baseUrl: string, method: string, path: string, body?: unknown, signal?: AbortSignal, timeoutMs?: number): Promise<Answer> {
    const url = `${trim(baseUrl)}${path}`;
    const timeout = AbortSignal.timeout(timeoutMs ?? this.opts.requestTimeoutMs ?? 30_000);
    const headers: Record<string, string> = { authorization: `Bearer ${this.serviceToken}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await (this.opts.fetchFn ?? fetch)(url, {
        method,
        headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new ServerUnreachableError(baseUrl, `${method} ${url}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    if (res.status >= 500 && res.status !== 503) throw new ServerUnreachableError(baseUrl, `${method} ${url}: HTTP ${res.status} ${errorOf(parsed).message}`);
    return { status: res.status, body: parsed };
  }

  /** Loads (verify checksum, warm up) and returns once the server reports Ready, or why it did not. Idempotent on the server. */
  async load(baseUrl: string, spec: LoadRequest, signal?: AbortSignal, timeoutMs = 10 * 60_000): Promise<LoadOutcome> {
    const a = await this.request(baseUrl, 'POST', '/control/versions', spec, signal, timeoutMs);
    if (a.status === 200) return { ok: true, summary: a.body as VersionSummary };
    if (a.status === 503) throw new ServerUnreachableError(baseUrl, `load on ${baseUrl}: the server is shutting down`);
    const body = a.body as { reason?: unknown } | null;
    const { code, message } = errorOf(a.body);
    return { ok: false, status: a.status, code, reason: typeof body?.reason === 'string' ? body.reason : message };
  }

  /** Drains and unloads; a version that is not loaded is fine. */
  async unload(baseUrl: string, versionId: string, signal?: AbortSignal): Promise<UnloadOutcome> {
    const a = await this.request(baseUrl, 'DELETE', `/control/versions/${segment(versionId)}`, undefined, signal);
    if (a.status === 503) throw new ServerUnreachableError(baseUrl, `unload on ${baseUrl}: the server is shutting down`);
    if (a.status !== 200) throw new Error(`unload ${versionId} on ${baseUrl}: HTTP ${a.status} ${errorOf(a.body).message}`);
    const b = a.body as { wasLoaded?: boolean; drainMs?: number; timedOut?: boolean };
    return { wasLoaded: b.wasLoaded === true, ...(b.drainMs !== undefined && { drainMs: b.drainMs }), ...(b.timedOut !== undefined && { timedOut: b.timedOut }) };
  }

  /** The version's summary on that server, or null when it is not loaded there. */
  async version(baseUrl: string, versionId: string, signal?: AbortSignal): Promise<VersionSummary | null> {
    const a = await this.request(baseUrl, 'GET', `/control/versions/${segment(versionId)}`, undefined, signal, 5000);
    if (a.status === 404) return null;
    if (a.status !== 200) throw new ServerUnreachableError(baseUrl, `GET version ${versionId} on ${baseUrl}: HTTP ${a.status}`);
    return a.body as VersionSummary;
  }

  /** One row straight on one server: the prediction and the server's own time for it (`latencyMs`). Throws with the server's error on a non-200 answer. */
  async predictOne(baseUrl: string, modelName: string, version: string, features: unknown, signal?: AbortSignal): Promise<{ prediction: unknown; latencyMs: number | null }> {
    const a = await this.request(baseUrl, 'POST', `/v1/models/${segment(modelName)}/versions/${segment(version)}/predict`, { features }, signal);
    if (a.status !== 200) {
      const { code, message } = errorOf(a.body);
      throw new PredictionRefusedError(a.status, code, message);
    }
    const b = a.body as { prediction?: unknown; latencyMs?: unknown };
    return { prediction: b.prediction, latencyMs: typeof b.latencyMs === 'number' && Number.isFinite(b.latencyMs) ? b.latencyMs : null };
  }

  /** Batch prediction straight on one server (not through the gateway). Throws with the server's error on a non-200 answer. */
  async predictBatch(baseUrl: string, modelName: string, version: string, instances: unknown[], signal?: AbortSignal): Promise<BatchPrediction> {
    const a = await this.request(baseUrl, 'POST', `/v1/models/${segment(modelName)}/versions/${segment(version)}/predict/batch`, { instances }, signal);
    if (a.status !== 200) {
      const { code, message } = errorOf(a.body);
      throw new PredictionRefusedError(a.status, code, message);
    }
    const b = a.body as { predictions?: unknown; confidences?: unknown };
    return { predictions: Array.isArray(b.predictions) ? b.predictions : [], confidences: Array.isArray(b.confidences) ? b.confidences : [] };
  }
}

/** A server answered a prediction with an error (bad rows, draining, model failure). */
export class PredictionRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`HTTP ${status} ${code}: ${message}`);
    this.name = 'PredictionRefusedError';
  }
}
