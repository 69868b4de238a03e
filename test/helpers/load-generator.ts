/**
 * Constant-rate load through a stack's gateway (autocannon's overallRate), with the model's
 * labelled samples as bodies. Counts statuses, connection errors and which version answered;
 * optionally posts each answer's true label as feedback (batched) so accuracy is measured.
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import type { E2EStack } from './stack-harness';

export interface LoadResult {
  total: number;
  ok: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  byVersion: Record<string, number>;
  /** First few failure descriptions. */
  failures: string[];
  feedbackSent: number;
  feedbackFailed: number;
  /** Feedback still queued when the run stopped (not sent). */
  feedbackDropped: number;
}

/** One answered (or failed) request: when it finished, its status (0 = connection error), version and request id. */
export interface LoadEvent {
  at: number;
  status: number;
  version?: string;
  requestId?: string;
  /** How long it took, sent to answered (absent for connection errors). */
  ms?: number;
}

/** What the load needs of a stack: where its gateway is and the token to call it with by default. */
export type LoadTarget = Pick<E2EStack, 'apiUrl'> & { admin: { token: string } };

export interface LoadRun {
  snapshot(): LoadResult;
  /** Every request since the start, in completion order. */
  timeline(): LoadEvent[];
  stop(): Promise<LoadResult>;
}

const MAX_FAILURES = 10;
const FEEDBACK_FLUSH_MS = 500;
const FEEDBACK_BATCH = 500;
/** Flushes (FEEDBACK_FLUSH_MS apart) a feedback item is offered before it counts as failed. */
const FEEDBACK_ATTEMPTS = 20;
const STOP_WAIT_MS = 15_000;

/** A delay that does not keep the process alive (the race it is in may be won by the other side). */
function idle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

interface Pending {
  requestId: string;
  label: unknown;
  attempts: number;
}

/** The labelled samples of the model's first example version (all versions share the features). */
export function loadSamples(modelName: string): { instances: unknown[]; labels: unknown[] } {
  const dir = path.join(__dirname, '..', '..', 'examples', 'models', modelName);
  const versions = fs.readdirSync(dir).sort();
  for (const v of versions) {
    const file = path.join(dir, v, 'samples.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as { instances: unknown[]; labels: unknown[] };
  }
  throw new Error(`no samples.json under ${dir}`);
}

export function startLoad(stack: LoadTarget, opts: { modelName: string; rps: number; environment?: string; sendFeedback?: boolean; token?: string; connections?: number }): LoadRun {
  const { instances, labels } = loadSamples(opts.modelName);
  const bodies = instances.map((features) => JSON.stringify({ features }));
  const token = opts.token ?? stack.admin.token;
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  if (opts.environment) headers['x-hotswap-environment'] = opts.environment;

  const result: LoadResult = { total: 0, ok: 0, non2xx: 0, errors: 0, statusCodes: {}, byVersion: {}, failures: [], feedbackSent: 0, feedbackFailed: 0, feedbackDropped: 0 };
  const events: LoadEvent[] = [];
  const pending: Pending[] = [];
  let next = 0;
  const fail = (what: string) => {
    if (result.failures.length < MAX_FAILURES) result.failures.push(`${new Date().toISOString()} ${what}`);
  };

  const requests = [
    {
      setupRequest: (req: any, context: any) => {
        const i = next++ % bodies.length;
        context.sample = i;
        context.sentAt = Date.now();
        return { ...req, body: bodies[i] };
      },
      onResponse: (status: number, body: string, context: any) => {
        result.total++;
        result.statusCodes[status] = (result.statusCodes[status] ?? 0) + 1;
        let parsed: any;
        try {
          parsed = JSON.parse(body);
        } catch {
          /* not JSON */
        }
        const version = typeof parsed?.version === 'string' ? (parsed.version as string) : undefined;
        const requestId = typeof parsed?.requestId === 'string' ? (parsed.requestId as string) : undefined;
        const at = Date.now();
        events.push({ at, status, ms: at - (context.sentAt as number), ...(version && { version }), ...(requestId && { requestId }) });
        if (status >= 200 && status < 300) {
          result.ok++;
          if (version) result.byVersion[version] = (result.byVersion[version] ?? 0) + 1;
          if (opts.sendFeedback && typeof parsed?.requestId === 'string') pending.push({ requestId: parsed.requestId, label: labels[context.sample as number], attempts: 0 });
        } else {
          result.non2xx++;
          fail(`HTTP ${status}: ${body.slice(0, 300)}`);
        }
      },
    },
  ];
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));
  // With a callback autocannon returns the running instance (without one, a promise).
  const instance = autocannon(
    {
      url: `${stack.apiUrl}/api/v1/inference/${encodeURIComponent(opts.modelName)}`,
      method: 'POST',
      headers,
      connections: opts.connections ?? 8,
      overallRate: opts.rps,
      duration: 24 * 3600,
      timeout: 30,
      requests,
    },
    () => finished(),
  );
  instance.on('reqError', (e: Error) => {
    result.total++;
    result.errors++;
    events.push({ at: Date.now(), status: 0 });
    fail(`connection error: ${e?.message ?? String(e)}`);
  });


  let flushing: Promise<void> = Promise.resolve();
  // Why retries: the gateway writes its prediction log in batches, so feedback for a very recent
  // answer may name a request id the log does not hold yet; the API then refuses the whole batch
  // (404) and lists the unknown items. Those are sent again on a later flush, the rest at once.
  const post = async (batch: Pending[]): Promise<Pending[]> => {
    try {
      const res = await fetch(`${stack.apiUrl}/api/v1/inference/${encodeURIComponent(opts.modelName)}/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ feedback: batch.map(({ requestId, label }) => ({ requestId, label })) }),
      });
      const text = await res.text();
      if (res.status >= 200 && res.status < 300) {
        result.feedbackSent += batch.length;
        return [];
      }
      // A busy or unreachable database (503, Retry-After): send the same items again later.
      if (res.status === 503) return batch;
      if (res.status === 404) {
        const details = ((JSON.parse(text) as { error?: { details?: Array<{ field?: string }> } }).error?.details ?? []).map((d) => /^feedback\[(\d+)\]/.exec(d.field ?? '')?.[1]);
        const unknown = new Set(details.filter((i): i is string => i !== undefined).map(Number));
        if (unknown.size > 0 && unknown.size < batch.length) {
          const known = batch.filter((_, i) => !unknown.has(i));
          const later = batch.filter((_, i) => unknown.has(i));
          return [...(await post(known)), ...later];
        }
        return batch;
      }
      result.feedbackFailed += batch.length;
      fail(`feedback HTTP ${res.status}: ${text.slice(0, 300)}`);
    } catch (e) {
      result.feedbackFailed += batch.length;
      fail(`feedback error: ${(e as Error).message}`);
    }
    return [];
  };
  const flush = async (final = false) => {
    const retry: Pending[] = [];
    while (pending.length > 0) {
      // Newest first: when the API cannot keep up, the labels of current traffic (what an analysis
      // window is reading now) arrive first and the backlog later.
      const batch = pending.splice(-FEEDBACK_BATCH);
      for (const item of await post(batch)) {
        if (++item.attempts >= FEEDBACK_ATTEMPTS || final) {
          result.feedbackFailed++;
          fail(`feedback for ${item.requestId}: no prediction found after ${item.attempts} attempts`);
        } else retry.push(item);
      }
    }
    pending.push(...retry);
  };
  const timer = opts.sendFeedback
    ? setInterval(() => {
        flushing = flushing.then(() => flush());
      }, FEEDBACK_FLUSH_MS)
    : undefined;

  const snapshot = (): LoadResult => ({ ...result, statusCodes: { ...result.statusCodes }, byVersion: { ...result.byVersion }, failures: [...result.failures] });
  let stopped: Promise<LoadResult> | undefined;
  return {
    snapshot,
    timeline: () => [...events],
    stop: () => {
      stopped ??= (async () => {
        instance.stop();
        // Why bounded: a request stuck on a starved server must not hold the test past its timeout.
        await Promise.race([done, idle(STOP_WAIT_MS)]);
        if (timer) clearInterval(timer);
        // Late answers get a few more flushes (bounded in time); what is left then is dropped.
        const deadline = Date.now() + STOP_WAIT_MS;
        for (let i = 0; i < 5 && pending.length > 0 && Date.now() < deadline; i++) {
          flushing = flushing.then(() => flush());
          await Promise.race([flushing, idle(Math.max(0, deadline - Date.now()))]);
          if (pending.length > 0) await new Promise((r) => setTimeout(r, FEEDBACK_FLUSH_MS));
        }
        result.feedbackDropped += pending.splice(0).length;
        return snapshot();
      })();
      return stopped;
    },
  };
}

/** The counts between two snapshots (what happened during one phase of a test). */
export function diffLoad(after: LoadResult, before: LoadResult): LoadResult {
  const sub = (a: Record<string, number>, b: Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const k of Object.keys(a)) {
      const d = a[k] - (b[k] ?? 0);
      if (d !== 0) out[k] = d;
    }
    return out;
  };
  return {
    total: after.total - before.total,
    ok: after.ok - before.ok,
    non2xx: after.non2xx - before.non2xx,
    errors: after.errors - before.errors,
    statusCodes: sub(after.statusCodes, before.statusCodes),
    byVersion: sub(after.byVersion, before.byVersion),
    failures: after.failures.slice(before.failures.length),
    feedbackSent: after.feedbackSent - before.feedbackSent,
    feedbackFailed: after.feedbackFailed - before.feedbackFailed,
    feedbackDropped: after.feedbackDropped - before.feedbackDropped,
  };
}
